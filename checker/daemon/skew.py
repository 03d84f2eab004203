"""The skew probe (with ``--write``): newer fields sent at an older URL version, then read back.

For each body field (and query parameter) that a version between the URL version and the daemon's own
version introduced, the probe creates a sandbox object carrying it at the older URL version and reads
the object back at the daemon's version. Each field is classified:

- ``rejected``: the daemon answered 4xx;
- ``honoured``: accepted and applied, although the URL version predates the field;
- ``ignored``: accepted and silently not applied — the dangerous case;
- ``unobservable``: the effect cannot be read back (a control request at the version that documents the
  field does not show it either), so acceptance says nothing.

A 200 alone never makes a field "ignored": the control request proves the read-back works.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import specs
from checker.daemon.client import DaemonClient, TransportError
from checker.daemon.write import Sandbox
from specs.findings import Finding

# Values that are valid, harmless on a created-never-started container, and differ from the defaults.
# Fields without a value here are not sent (a made-up value would be rejected for its value, not its version).
SAFE_VALUES: dict[str, Any] = {
    "HostConfig.DeviceCgroupRules": ["c 42:* rmw"],
    "HostConfig.KernelMemory": 209715200,
    "HostConfig.KernelMemoryTCP": 209715200,
    "HostConfig.Init": True,
    "HostConfig.CgroupnsMode": "host",
    "HostConfig.MaskedPaths": ["/proc/apicheck-masked"],
    "HostConfig.ReadonlyPaths": ["/proc/apicheck-readonly"],
    "HostConfig.Annotations": {"apicheck.example": "1"},
    "HostConfig.CpuCount": 1,
    "HostConfig.CpuPercent": 50,
    "HostConfig.IOMaximumIOps": 1000,
    "HostConfig.IOMaximumBandwidth": 1048576,
    "HostConfig.AutoRemove": False,
    "HostConfig.PidsLimit": 64,
    "HostConfig.ConsoleSize": [24, 80],
    "HostConfig.Isolation": "default",
    "HostConfig.NanoCpus": 500000000,
    "HostConfig.CpuRealtimePeriod": 0,
    "HostConfig.Runtime": "runc",
    "HostConfig.NanoCPUs": 500000000,
    "HostConfig.Capabilities": ["CAP_CHOWN"],
    "HostConfig.DeviceRequests": [{"Driver": "apicheck", "Count": 1, "Capabilities": [["apicheck"]]}],
    "StopTimeout": 7,
    "Shell": ["/bin/sh", "-c"],
    "Healthcheck": {"Test": ["CMD", "true"], "Interval": 30000000000, "StartPeriod": 1000000000},
    "ArgsEscaped": False,
    "NetworkDisabled": True,
    "Network.Attachable": True,
    "Network.ConfigOnly": True,
    "Network.Scope": "local",
    "Network.EnableIPv4": True,
}
QUERY_VALUES: dict[str, str] = {"platform": "linux"}
# Base-body keys a field cannot be combined with (a config-only network takes no operator fields).
CONFLICTS: dict[str, tuple[str, ...]] = {"Network.ConfigOnly": ("Internal",)}

CLASSES = ("rejected", "honoured", "ignored", "unobservable")
_SEVERITY = {"rejected": "info", "honoured": "info", "ignored": "warning", "unobservable": "info"}


@dataclass
class SkewResult:
    url_version: str
    operation: str  # "POST /containers/create"
    location: str  # body or query
    name: str
    introduced_in: str
    sent: Any
    classification: str
    detail: str = ""
    read_back: Any = None

    def to_finding(self) -> Finding:
        method, path = self.operation.split(" ", 1)
        return Finding(
            kind=f"skew-{self.classification}", severity=_SEVERITY[self.classification],  # type: ignore[arg-type]
            api_version=self.url_version, method=method, path=path, location=self.location, name=self.name,
            detail=self.detail, source="behaviour", hazard="newer-client",
            extra={"introduced_in": self.introduced_in, "sent": self.sent, "read_back": self.read_back,
                   "classification": self.classification, "stage": "skew"},
        )


@dataclass
class _Target:
    """One create operation, the body paths it reads back and how."""

    method: str
    path: str
    prefix: str  # key prefix in SAFE_VALUES for top-level body fields ("" for containers, "Network." ...)
    nested: tuple[str, ...]  # body objects whose own fields are examined (HostConfig)
    base_body: Callable[[Sandbox, str, str], dict[str, Any]]
    name_param: str | None  # query parameter carrying the name, or None when the body does
    inspect: Callable[[dict[str, Any], str], str]  # (create answer, name) -> path of the inspect call
    read_roots: dict[str, str]  # body root -> where the inspect body shows it ("" = top level body)


def _container_body(sb: Sandbox, image: str, name: str) -> dict[str, Any]:
    return {"Image": image, "Cmd": ["true"], "Labels": sb.labels, "HostConfig": {"NetworkMode": "none"}}


def _network_body(sb: Sandbox, image: str, name: str) -> dict[str, Any]:
    return {"Name": name, "Labels": sb.labels, "Internal": True}


TARGETS = (
    _Target("POST", "/containers/create", "", ("HostConfig",), _container_body, "name",
            lambda created, name: f"/containers/{created.get('Id', name)}/json",
            {"": "Config", "HostConfig": "HostConfig"}),
    _Target("POST", "/networks/create", "Network.", (), _network_body, None,
            lambda created, name: f"/networks/{created.get('Id', name)}", {"": ""}),
)


def _fields(spec: specs.ApiSpec, target: _Target) -> dict[str, dict[str, Any]]:
    """Dotted body field -> schema, top-level and one level into the nested objects."""
    op = spec.operation(target.method, target.path)
    if op is None or op.request_schema() is None:
        return {}
    flat = spec.flatten(op.request_schema())
    out = {}
    for name, schema in flat.get("properties", {}).items():
        if name in target.nested:
            for sub, sub_schema in schema.get("properties", {}).items():
                out[f"{name}.{sub}"] = sub_schema
        else:
            out[name] = schema
    return out


def introduced_fields(target: _Target, old: str, new: str) -> dict[str, str]:
    """Body fields documented at ``new`` but not at ``old`` -> the first version documenting them."""
    old_fields = set(_fields(specs.for_request(old), target))
    found: dict[str, str] = {}
    for version in specs.versions():
        if specs.compare(version, old) <= 0 or specs.compare(version, new) > 0:
            continue
        for name in _fields(specs.load(version), target):
            if name not in old_fields and name not in found:
                found[name] = version
    return found


def introduced_query(target: _Target, old: str, new: str) -> dict[str, str]:
    old_op = specs.for_request(old).operation(target.method, target.path)
    old_params = set(old_op.parameters_in("query")) if old_op else set()
    found: dict[str, str] = {}
    for version in specs.versions():
        if specs.compare(version, old) <= 0 or specs.compare(version, new) > 0:
            continue
        op = specs.load(version).operation(target.method, target.path)
        for name in op.parameters_in("query") if op else {}:
            if name not in old_params and name not in found:
                found[name] = version
    return found


def _set(body: dict[str, Any], dotted: str, value: Any) -> None:
    parts = dotted.split(".")
    node = body
    for part in parts[:-1]:
        node = node.setdefault(part, {})
    node[parts[-1]] = value


def _get(body: Any, dotted: str) -> tuple[bool, Any]:
    """The value at a dotted path; keys match case-insensitively, as Go's JSON decoder does
    (the documents say NanoCPUs where dockerd writes NanoCpus)."""
    node = body
    for part in dotted.split("."):
        if not isinstance(node, dict):
            return False, None
        if part not in node:
            folded = {k.lower(): k for k in node}
            if part.lower() not in folded:
                return False, None
            part = folded[part.lower()]
        node = node[part]
    return True, node


def contains(sent: Any, got: Any) -> bool:
    """``got`` carries ``sent``: equal scalars, lists item by item, dicts key by key (extra keys allowed)."""
    if isinstance(sent, dict):
        return isinstance(got, dict) and all(k in got and contains(v, got[k]) for k, v in sent.items())
    if isinstance(sent, list):
        return isinstance(got, list) and len(sent) == len(got) and all(contains(a, b) for a, b in zip(sent, got, strict=True))
    return sent == got


class _Trial:
    """Create one object with one field at one URL version; read it back at the daemon's version."""

    def __init__(self, client: DaemonClient, sb: Sandbox, image: str, read_version: str) -> None:
        self.client, self.sb, self.image, self.read_version = client, sb, image, read_version
        self.counter = 0

    def run(self, target: _Target, url_version: str, location: str, name: str, value: Any) -> tuple[str, Any, str]:
        """('rejected'|'accepted'|'failed', read-back value or a marker, detail)."""
        self.counter += 1
        obj_name = self.sb.name(f"skew{self.counter}")
        body = target.base_body(self.sb, self.image, obj_name)
        query: dict[str, Any] = {}
        if target.name_param:
            query[target.name_param] = obj_name
        for key in CONFLICTS.get(f"{target.prefix}{name}", ()):
            body.pop(key, None)
        if location == "body":
            _set(body, name, value)
        else:
            query[name] = value
        try:
            resp = self.client.request(target.method, target.path, version=url_version, query=query, body=body)
        except TransportError as exc:
            return "failed", None, str(exc)
        created = resp.json_or_none() if resp.status < 300 else None
        if 400 <= resp.status < 500:
            return "rejected", None, f"{resp.status} {resp.body[:200].decode(errors='replace').strip()}"
        if resp.status >= 300 or not isinstance(created, dict):
            return "failed", None, f"{resp.status} {resp.body[:200]!r}"
        kind = "container" if target.path.startswith("/containers") else "network"
        self.sb.add(kind, str(created.get("Id") or obj_name), obj_name)
        if location == "query":
            return "accepted", _UNREADABLE, ""
        read = self.client.request("GET", target.inspect(created, obj_name), version=self.read_version)
        data = read.json_or_none()
        root_key = name.split(".")[0] if "." in name and name.split(".")[0] in target.read_roots else ""
        where = target.read_roots.get(root_key, "")
        field_path = name
        if target.prefix and field_path.startswith(target.prefix):
            field_path = field_path[len(target.prefix):]
        if not root_key and where:
            field_path = f"{where}.{field_path}"
        found, got = _get(data, field_path)
        return "accepted", (got if found else _ABSENT), ""


_ABSENT = "<absent>"
_UNREADABLE = "<not readable>"


def run_skew_probe(
    client: DaemonClient, sb: Sandbox, image: str, url_version: str, daemon_version: str,
) -> list[SkewResult]:
    """Skew results for fields introduced after ``url_version`` up to ``daemon_version``."""
    trial = _Trial(client, sb, image, daemon_version)
    results: list[SkewResult] = []
    for target in TARGETS:
        operation = f"{target.method} {target.path}"
        for name, since in sorted(introduced_fields(target, url_version, daemon_version).items()):
            key = f"{target.prefix}{name}"
            if key not in SAFE_VALUES:
                results.append(SkewResult(url_version, operation, "body", name, since, None, "unobservable",
                                          "no known-safe value to send: not probed"))
                continue
            value = SAFE_VALUES[key]
            outcome, got, detail = trial.run(target, url_version, "body", name, value)
            # The control: the same field at the version that documents it.
            c_outcome, c_got, c_detail = trial.run(target, daemon_version, "body", name, value)
            if outcome == "rejected":
                if c_outcome == "accepted":
                    results.append(SkewResult(url_version, operation, "body", name, since, value, "rejected", detail))
                else:
                    results.append(SkewResult(url_version, operation, "body", name, since, value, "unobservable",
                                              f"refused at {daemon_version} too (the value, not the version): {c_detail}"))
                continue
            if outcome == "failed":
                results.append(SkewResult(url_version, operation, "body", name, since, value, "unobservable", detail))
                continue
            if c_outcome != "accepted" or not contains(value, c_got):
                why = c_detail or f"read back {c_got!r}"
                results.append(SkewResult(url_version, operation, "body", name, since, value, "unobservable",
                                          f"not observable even at {daemon_version}: {why}", got))
            elif contains(value, got):
                results.append(SkewResult(url_version, operation, "body", name, since, value, "honoured",
                                          f"applied at {url_version} although {name} exists from {since}", got))
            else:
                results.append(SkewResult(url_version, operation, "body", name, since, value, "ignored",
                                          f"accepted at {url_version} but not applied (read back {got!r}; applied at "
                                          f"{daemon_version}): a client using it silently gets nothing", got))
        for name, since in sorted(introduced_query(target, url_version, daemon_version).items()):
            value = QUERY_VALUES.get(name)
            if value is None:
                results.append(SkewResult(url_version, operation, "query", name, since, None, "unobservable",
                                          "no known-safe value to send: not probed"))
                continue
            outcome, _, detail = trial.run(target, url_version, "query", name, value)
            cls = "rejected" if outcome == "rejected" else "unobservable"
            results.append(SkewResult(url_version, operation, "query", name, since, value, cls,
                                      detail or "accepted; its effect cannot be read back"))
    return results
