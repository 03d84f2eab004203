"""mockd's serializer: projection onto the daemon's own document, then the per-requested-version rules."""

from __future__ import annotations

import specs
from mockd.serializer import RULES, Rule, serialize


def _ser(obj, version: str, daemon: str, op_id: str, **kw):
    spec = specs.load(version)
    return serialize(obj, spec=spec, version=version, target=spec.operation_by_id(op_id), daemon=daemon, **kw)


def _endpoint(**extra):
    return {"NetworkID": "n", "EndpointID": "e", "Gateway": "", "IPAddress": "", "MacAddress": "", "DNSNames": None,
            "GwPriority": 0, "Aliases": None, **extra}


def test_a_daemon_only_sends_what_its_own_document_defines() -> None:
    inspect = {"Id": "c1", "Name": "/x", "HostConfig": {"Memory": 0, "Annotations": {"a": "b"}, "Binds": None},
               "NetworkSettings": {"Networks": {"bridge": _endpoint()}}, "NotAField": 1}
    old = _ser(inspect, "1.41", "1.41", "ContainerInspect")
    assert "NotAField" not in old
    assert "Annotations" not in old["HostConfig"] and old["HostConfig"]["Memory"] == 0
    bridge = old["NetworkSettings"]["Networks"]["bridge"]  # a map keyed by network name: keys are data
    assert "GwPriority" not in bridge and "DNSNames" not in bridge and bridge["EndpointID"] == "e"
    # The same object from a 1.56 daemon at /v1.41/: its own fields stay (a newer daemon sends them).
    new = _ser(inspect, "1.41", "1.56", "ContainerInspect")
    assert new["HostConfig"]["Annotations"] == {"a": "b"}
    assert "GwPriority" in new["NetworkSettings"]["Networks"]["bridge"]
    assert inspect["HostConfig"]["Annotations"] == {"a": "b"}, "the engine's object is never modified"


def test_free_form_maps_are_kept_whole() -> None:
    labels = {"com.example/a": "1", "weird key": "2"}
    out = _ser({"Name": "v", "Driver": "local", "Labels": labels, "Options": {"o": "x"}}, "1.41", "1.56", "VolumeInspect")
    assert out["Labels"] == labels and out["Options"] == {"o": "x"}


def test_virtual_size_is_added_below_1_44_and_gone_from_1_44() -> None:
    image = {"Id": "sha256:1", "Size": 42, "RepoTags": ["a:b"]}
    assert _ser([image], "1.43", "1.56", "ImageList")[0]["VirtualSize"] == 42
    assert "VirtualSize" not in _ser([{**image, "VirtualSize": 42}], "1.44", "1.56", "ImageList")[0]
    df = {"LayersSize": 42, "Images": [image], "Containers": [], "Volumes": [], "BuildCache": []}
    assert _ser(df, "1.41", "1.56", "SystemDataUsage")["Images"][0]["VirtualSize"] == 42


def test_fields_a_newer_daemon_still_sends_to_old_clients_survive_the_projection() -> None:
    """Legacy fields the 1.56 document dropped: still sent below the version that dropped them."""
    settings = {"Networks": {}, "IPAddress": "172.17.0.2", "Gateway": "172.17.0.1", "SandboxID": "s"}
    inspect = {"Id": "c1", "NetworkSettings": settings, "HostConfig": {"KernelMemory": 0, "KernelMemoryTCP": 0}}
    at_141 = _ser(inspect, "1.41", "1.56", "ContainerInspect")
    assert at_141["NetworkSettings"]["IPAddress"] == "172.17.0.2"
    assert set(at_141["HostConfig"]) == {"KernelMemory", "KernelMemoryTCP"}
    at_144 = _ser(inspect, "1.44", "1.56", "ContainerInspect")
    assert set(at_144["HostConfig"]) == {"KernelMemoryTCP"}
    at_152 = _ser(inspect, "1.52", "1.56", "ContainerInspect")
    assert "IPAddress" not in at_152["NetworkSettings"] and at_152["HostConfig"] == {}


def test_system_df_takes_the_1_52_summary_shape() -> None:
    df = {"LayersSize": 100, "Images": [{"Id": "i1", "Size": 100, "SharedSize": 0, "Containers": 1},
                                        {"Id": "i2", "Size": 30, "SharedSize": 0, "Containers": 0}],
          "Containers": [{"Id": "c", "State": "running", "SizeRw": 5}], "Volumes": [], "BuildCache": []}
    old = _ser(df, "1.41", "1.56", "SystemDataUsage")
    assert old["BuilderSize"] == 0 and "ImageUsage" not in old and len(old["Images"]) == 2
    # From 1.52 the summaries; the legacy fields beside them unless verbose=1 (getDiskUsage, v29.0 and later).
    usage = {"ImageUsage", "ContainerUsage", "VolumeUsage", "BuildCacheUsage"}
    new = _ser(df, "1.52", "1.56", "SystemDataUsage")
    assert set(new) == usage | {"LayersSize", "Images", "Containers", "Volumes", "BuildCache"}
    assert {k: v for k, v in new["ImageUsage"].items() if k != "Items"} == {
        "ActiveCount": 1, "TotalCount": 2, "Reclaimable": 30, "TotalSize": 100}
    verbose = _ser(df, "1.52", "1.56", "SystemDataUsage", query={"verbose": ["1"]})
    assert set(verbose) == usage
    assert [i["Id"] for i in verbose["ImageUsage"]["Items"]] == ["i1", "i2"]
    assert "BuilderSize" not in _ser(df, "1.44", "1.56", "SystemDataUsage")


def test_events_keep_their_undocumented_legacy_fields_below_1_52() -> None:
    event = {"status": "start", "id": "c1", "from": "busybox", "Type": "container", "Action": "start",
             "Actor": {"ID": "c1", "Attributes": {}}, "scope": "local", "time": 1, "timeNano": 1}
    for version, daemon in (("1.41", "1.41"), ("1.25", "1.56"), ("1.51", "1.56")):
        spec = specs.load(version)
        assert serialize(event, spec=spec, version=version, target="EventMessage", daemon=daemon)["from"] == "busybox"
    spec = specs.load("1.52")
    assert "status" not in serialize(event, spec=spec, version="1.52", target="EventMessage", daemon="1.56")


def test_omitempty_fields_are_absent_when_unset() -> None:
    inspect = {"Id": "c1", "HostConfig": {"Init": None, "Mounts": None, "Memory": 0}}
    assert _ser(inspect, "1.41", "1.41", "ContainerInspect")["HostConfig"] == {"Memory": 0}
    assert _ser({"Id": "c1", "HostConfig": {"Init": True}}, "1.41", "1.41", "ContainerInspect")["HostConfig"] == {"Init": True}


def test_rules_name_fields_some_document_defines_or_dockerd_is_known_to_send() -> None:
    """Every row is true of the documents: a hidden field exists just before its version, an added or kept one
    is defined by some document or is a measured dockerd extra (checker/data/daemon_extras.csv)."""
    from checker.daemon.classify import daemon_extras

    measured = {x.name for x in daemon_extras()}
    for rule in RULES:
        assert isinstance(rule, Rule) and rule.why, rule
        if rule.action == "hide" and rule.when.since and rule.field.split(".")[-1] not in measured:
            before = specs.versions()[specs.versions().index(rule.when.since) - 1]
            spec = specs.load(before)
            flat = {p for op in spec.operations for p in _fields(spec, op)}
            assert rule.field.replace("*.", "") in flat or rule.field in flat, (rule, before)


def _fields(spec, op) -> set[str]:
    out: set[str] = set()
    schema = op.response_schema(200)
    if schema is None:
        return out

    def walk(node, prefix: str, depth: int = 0) -> None:
        if not isinstance(node, dict) or depth > 8:
            return
        for branch in node.get("anyOf", []):
            walk(branch, prefix, depth + 1)
        if "items" in node:
            walk(node["items"], prefix, depth + 1)
        for name, sub in (node.get("properties") or {}).items():
            path = f"{prefix}.{name}" if prefix else name
            out.add(path)
            walk(sub, path, depth + 1)

    walk(spec.flatten(schema), "")
    return out
