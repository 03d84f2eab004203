"""The wire profile, proved with real traffic recorded between real clients and dockerd 20.10
(tests/fixtures/wire, made by tests/fixtures/record_wire.py)."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

import specs
from specs.validation import NO_BODY, check_request, check_response

WIRE = Path(__file__).resolve().parent / "fixtures" / "wire"


def _exchanges() -> list[Path]:
    out = []
    for path in sorted(WIRE.glob("*.json")):
        data = json.loads(path.read_text())
        if isinstance(data, dict) and "method" in data and "response" in data:
            out.append(path)
    return out


def _load(name: str) -> dict:
    return json.loads((WIRE / f"{name}.json").read_text())


def _check(ex: dict) -> list:
    spec = specs.for_request(ex.get("path_prefix_version") or ex["api_version"])
    found = spec.match(ex["method"], ex["path"])
    assert found, f"{ex['method']} {ex['path']} matches no operation of {spec.version}"
    op, _ = found
    query = {k: v if isinstance(v, list) else [v] for k, v in (ex.get("query") or {}).items()}
    body = NO_BODY if ex.get("body") is None else ex["body"]
    findings = check_request(spec, op, query, body)
    response = ex["response"]
    if response.get("body") is not None:
        ctype = {k.lower(): v for k, v in (response.get("headers") or {}).items()}.get("content-type")
        findings += check_response(spec, op, response["status"], ctype, response["body"])
    return findings


def test_fixtures_are_there() -> None:
    assert len(_exchanges()) > 80


@pytest.mark.parametrize("path", _exchanges(), ids=lambda p: p.stem)
def test_real_traffic_has_no_genuine_departures(path: Path) -> None:
    """Everything real clients and dockerd put on the wire is accepted: only wire-profile findings."""
    findings = _check(json.loads(path.read_text()))
    genuine = [f.summary() for f in findings if f.source == "spec"]
    assert genuine == []


def test_cli_create_body_fails_the_strict_document_but_not_the_profile() -> None:
    findings = _check(_load("cli28-container-create"))
    loose = {(f.name, f.kind) for f in findings if f.source == "wire-profile"}
    assert ("HostConfig.MemorySwappiness", "schema-violation") in loose
    assert ("HostConfig.LogConfig.Type", "enum-mismatch") in loose  # "" for an unset enum
    assert ("HostConfig.Binds", "null-value") in loose  # Go nil slice
    assert len(loose) >= 15
    assert all(f.severity == "info" for f in findings)


def test_openapi_core_rejects_the_real_body_the_profile_accepts() -> None:
    from openapi_core import OpenAPI
    from openapi_core.testing import MockRequest

    ex = _load("cli28-container-create")
    api = OpenAPI.from_dict(specs.load("1.41").doc)
    request = MockRequest("http://docker", "post", "/v1.41/containers/create", data=json.dumps(ex["body"]).encode(),
                          content_type="application/json")
    with pytest.raises(Exception):  # noqa: B017 - openapi-core raises its own validation error types
        api.validate_request(request)


def test_dockerd_container_list_has_null_aliases() -> None:
    findings = _check(_load("dockerd-containers-list"))
    assert {(f.name, f.source) for f in findings} >= {("NetworkSettings.Networks.Aliases", "wire-profile")}


def test_a_newer_field_under_an_older_version_is_genuine() -> None:
    ex = copy.deepcopy(_load("cli28-container-create"))
    ex["body"]["HostConfig"]["Annotations"] = {"a": "b"}  # from API 1.43
    ex["body"]["Tty"] = "yes"
    findings = [f for f in _check(ex) if f.source == "spec"]
    assert {(f.kind, f.name, f.location) for f in findings} == {
        ("unknown-field", "HostConfig.Annotations", "body"), ("wrong-type", "Tty", "body"),
    }
    spec = specs.load("1.43")
    op = spec.operation("POST", "/containers/create")
    assert not [f for f in check_request(spec, op, {}, ex["body"]) if f.kind == "unknown-field"]


def test_known_client_extras_are_profile_not_departures() -> None:
    spec = specs.load("1.41")
    exec_op = spec.operation("POST", "/containers/{id}/exec")
    findings = check_request(spec, exec_op, {}, {"Cmd": ["true"], "Detach": False, "Bogus": 1})
    assert {(f.name, f.source) for f in findings} == {("Detach", "wire-profile"), ("Bogus", "spec")}
    ps = spec.operation("GET", "/containers/json")
    found = check_request(spec, ps, {"trunc_cmd": ["0"], "all": ["True"], "limit": ["x"], "nope": ["1"]})
    assert {(f.name, f.kind, f.source) for f in found} == {
        ("trunc_cmd", "known-client-extra", "wire-profile"), ("all", "python-bool-query", "wire-profile"),
        ("limit", "wrong-type", "spec"), ("nope", "unknown-query-parameter", "spec"),
    }


def test_volumes_map_misdeclared_before_137_is_profile() -> None:
    """1.25-1.36 declare ContainerConfig.Volumes as one property named "additionalProperties":
    docker-py's {"/data": {}} is a map entry, never an unknown field; other stray keys still are."""
    for version in ("1.25", "1.36", "1.37"):
        spec = specs.load(version)
        create = spec.operation("POST", "/containers/create")
        findings = check_request(spec, create, {}, {"Image": "busybox", "Volumes": {"/data": {}}})
        assert all(f.source == "wire-profile" for f in findings), (version, findings)
    spec = specs.load("1.36")
    findings = check_request(spec, spec.operation("POST", "/containers/create"), {}, {"Image": "b", "Bogus": {}})
    assert [(f.name, f.source) for f in findings] == [("Bogus", "spec")]


def test_ipam_options_map_misdeclared_before_139_is_profile() -> None:
    body = {"Name": "n", "IPAM": {"Driver": "default", "Options": {}, "Config": []}}
    for version in ("1.25", "1.38", "1.39"):
        spec = specs.load(version)
        findings = check_request(spec, spec.operation("POST", "/networks/create"), {}, body)
        assert all(f.source == "wire-profile" for f in findings), (version, findings)
    spec = specs.load("1.38")
    bad = {"Name": "n", "IPAM": {"Options": {"a": 1}}}
    assert [f.source for f in check_request(spec, spec.operation("POST", "/networks/create"), {}, bad)] == ["spec"]


def test_buildargs_mistyped_before_137_is_profile() -> None:
    for version in ("1.25", "1.36", "1.37"):
        spec = specs.load(version)
        found = check_request(spec, spec.operation("POST", "/build"), {"buildargs": ['{"A":"1"}']})
        assert all(f.source == "wire-profile" for f in found), (version, found)
    spec = specs.load("1.36")
    assert [f.kind for f in check_request(spec, spec.operation("POST", "/build"), {"memory": ["x"]})] == ["wrong-type"]


def test_repeated_array_keys_are_profile() -> None:
    spec = specs.load("1.41")
    save = spec.operation("GET", "/images/get")
    findings = check_request(spec, save, {"names": ["a:1", "b:2"]})
    assert [(f.kind, f.source) for f in findings] == [("repeated-array-query", "wire-profile")]


def test_responses_check_status_content_type_and_fields() -> None:
    spec = specs.load("1.44")
    images = spec.operation("GET", "/images/json")
    item = {"Id": "sha256:1", "ParentId": "", "RepoTags": None, "RepoDigests": None, "Created": 1, "Size": 1,
            "SharedSize": -1, "Labels": None, "Containers": -1}
    assert [f for f in check_response(spec, images, 200, "application/json", [item]) if f.source == "spec"] == []
    bad = check_response(spec, images, 200, "application/json", [{**item, "VirtualSize": 1, "Size": "big"}])
    assert {(f.kind, f.name) for f in bad if f.source == "spec"} == {("undocumented-field", "VirtualSize"), ("wrong-type", "Size")}
    assert [f.kind for f in check_response(spec, images, 418, "application/json", {})] == ["undocumented-status"]
    assert [f.kind for f in check_response(spec, images, 200, "text/html", NO_BODY)] == ["undocumented-content-type"]
    attach = spec.operation("POST", "/exec/{id}/start")
    assert check_response(spec, attach, 101, "application/vnd.docker.raw-stream") == []


def test_loosened_document_lets_openapi_core_accept_real_traffic() -> None:
    from openapi_core import OpenAPI
    from openapi_core.testing import MockRequest
    from openapi_spec_validator import validate

    from specs.wire import loosen_document

    loose = loosen_document(specs.load("1.41").doc)
    validate(loose)
    ex = _load("cli28-container-create")
    request = MockRequest("http://docker", "post", "/v1.41/containers/create", data=json.dumps(ex["body"]).encode(),
                          content_type="application/json")
    OpenAPI.from_dict(loose).validate_request(request)  # accepted with the profile
    bad = MockRequest("http://docker", "post", "/v1.41/containers/create",
                      data=json.dumps({**ex["body"], "Tty": "yes"}).encode(), content_type="application/json")
    with pytest.raises(Exception):  # noqa: B017 - still a checker: a wrong type is rejected
        OpenAPI.from_dict(loose).validate_request(bad)
