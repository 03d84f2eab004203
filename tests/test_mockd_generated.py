"""Every operation of every API version answers like an empty dockerd, and the answer validates
against that version's response schema (openapi-core, the reference checker)."""

from __future__ import annotations

import io
import json
import socket
import tarfile
import time
from functools import cache

import pytest
from openapi_core import Config, OpenAPI
from openapi_core.testing import MockRequest, MockResponse

import specs
from mockd.generated import generate
from mockd.routes import load_handlers
from mockd.serializer import RULES
from specs.wire import loosen_document

WALK_NAME = "mockd-walk"
SWARM = {"swarm", "nodes", "services", "tasks", "secrets", "configs"}


@cache
def reference(version: str) -> OpenAPI:
    """openapi-core over the wire-profile-loosened document: mockd follows dockerd, which sends Go
    nulls for nil slices/maps/pointers (``ContainersDeleted: null`` on an empty prune) and "" for
    unset enums; anything else the strict document forbids is still a failure."""
    return OpenAPI.from_dict(loosen_document(specs.load(version).doc), config=Config(spec_validator_cls=None))


def concrete(template: str) -> str:
    out = template
    while "{" in out:
        start, end = out.index("{"), out.index("}")
        out = out[:start] + WALK_NAME + out[end + 1:]
    return out


def raw_exchange(sock_path: str, request: bytes) -> bytes:
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect(sock_path)
    try:
        s.sendall(request)
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
        s.shutdown(socket.SHUT_WR)
        return data
    finally:
        s.close()


def walk_version(server, version: str) -> tuple[int, list[str]]:
    spec = specs.load(version)
    api = reference(version)
    problems: list[str] = []
    count = 0
    for op in spec.operations:
        path = f"/v{version}{concrete(op.path)}"
        count += 1
        if op.operation_id == "Session":
            # Hijacked: validated by its framing (101 UPGRADED, then the connection is ours).
            head = raw_exchange(server.socket, f"POST {path} HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\n"
                                               "Upgrade: h2c\r\nContent-Length: 0\r\n\r\n".encode())
            if not head.startswith(b"HTTP/1.1 101 UPGRADED"):
                problems.append(f"{version} {op.operation_id}: {head[:80]!r}")
            continue
        target = path + (f"?until={int(time.time()) - 1}" if op.operation_id == "SystemEvents" else "")
        status, headers, body = server.request(op.method, target)
        ctype = headers.get("Content-Type")
        if ctype == "application/x-tar":
            tarfile.open(fileobj=io.BytesIO(body)).getmembers()  # framing: a readable tar
            continue
        documented = {int(c) for c in op.responses if c.isdigit()}
        if status >= 400 and op.method != "HEAD":
            assert ctype == "application/json" and body.endswith(b"\n"), (op.operation_id, ctype, body)
            message = json.loads(body)["message"]
            assert message and "mockd internal error" not in message, (op.operation_id, message)
        if status not in documented:
            # dockerd answers these though older documents do not list them: 503 from swarm
            # endpoints outside a swarm, 404 for a name that does not exist, and from engine 24 a tag with no
            # repo the empty 200 of a router that returns nil (RepoTagReference). Shape checked above.
            segment = op.path.split("/")[1]
            quirk = status == 200 and op.operation_id == "ImageTag" and body == b""
            if not ((status == 503 and segment in SWARM) or (status == 404 and "{" in op.path) or quirk):
                problems.append(f"{version} {op.method} {op.path}: undocumented status {status} {body[:100]!r}")
            continue
        mime = ctype.split(";")[0] if ctype else None
        if op.method == "HEAD":
            continue  # no body to validate; the status was checked above
        if op.operation_id == "SystemEvents":
            # Asked with no Accept, as here, of the newest engine (29.3 and later): application/jsonl from 1.52, even
            # at 1.52 whose document lists only ndjson and json-seq (dockerd does that too), application/json below.
            expected = "application/jsonl" if specs.compare(version, "1.52") >= 0 else "application/json"
            assert mime == expected, (version, mime, op.produces)
            for line in body.splitlines():  # framing: one JSON object per line (none: nothing happened)
                assert isinstance(json.loads(line.lstrip(b"\x1e")), dict)
            continue
        declared = op.responses.get(str(status), {}).get("content", {})
        if status >= 400 and declared and "application/json" not in declared:
            continue  # a stream endpoint's error: dockerd sends JSON; shape checked above
        try:
            api.validate_response(
                MockRequest("http://localhost", op.method.lower(), path),
                MockResponse(body, status_code=status, content_type=mime),
            )
        except Exception as exc:  # noqa: BLE001 - the reference's errors are varied
            detail = getattr(exc, "__cause__", None) or exc
            problems.append(f"{version} {op.method} {op.path} -> {status}: {detail!r}"[:400])
    return count, problems


@pytest.mark.slow
def test_every_operation_of_every_version_validates(mockd_server):
    total = 0
    problems: list[str] = []
    for version in specs.versions():
        count, found = walk_version(mockd_server, version)
        total += count
        problems += found
    assert total > 3000
    assert not problems, "\n".join(problems[:30])


@pytest.mark.parametrize("version", ["1.25", "1.41", "1.44", "1.52", "1.56"])
def test_walk_sample_versions(mockd_server, version):
    count, problems = walk_version(mockd_server, version)
    assert count > 90
    assert not problems, "\n".join(problems[:30])


def _object_props_complete(schema, value, where=""):
    """Every property an object schema defines is present in the generated value (recursively)."""
    if not isinstance(schema, dict):
        return []
    for combo in ("anyOf", "oneOf"):
        if schema.get(combo):
            real = [b for b in schema[combo] if b.get("enum") != [None]]
            return _object_props_complete({**real[0], **{k: v for k, v in schema.items() if k != combo}}, value, where)
    missing = []
    if "properties" in schema:
        assert isinstance(value, dict), where
        for name, sub in schema["properties"].items():
            if name not in value:
                missing.append(f"{where}.{name}")
            else:
                missing += _object_props_complete(sub, value[name], f"{where}.{name}")
    return missing


# Handler-less operations without path parameters that answer a JSON object at every version they
# exist in (swarm ones once the node is a manager): the completeness check must reach each of them.
GENERATED_OBJECTS = {"BuildPrune", "SwarmInspect", "SwarmUnlockkey", "ServiceCreate", "SecretCreate",
                     "ConfigCreate"}


@pytest.mark.parametrize("version", ["1.25", "1.41", "1.44", "1.52", "1.56"])
def test_generated_bodies_contain_every_property(mockd_factory, version):
    """Upstream schemas rarely list ``required``: ``{}`` would validate, so completeness is checked
    on every generated (handler-less) answer; stateful handlers answer from the engine instead.
    The daemon impersonates that version: a newer daemon sends its own fields, not ones it dropped
    (mockd projects answers onto the daemon's document, see mockd/serializer.py)."""
    mockd_server = mockd_factory("--api-version", version)
    spec = specs.load(version)
    handled = set(load_handlers())
    assert mockd_server.request("POST", f"/v{version}/swarm/init", {"ListenAddr": "0.0.0.0:2377"})[0] == 200
    checked: set[str] = set()
    for op in spec.operations:
        if op.operation_id in handled | {"SystemEvents", "Session", "SwarmInit", "SwarmJoin", "SwarmLeave"}:
            continue
        if "{" in op.path:
            continue  # names an object: nothing exists, a 404 (test_empty_daemon_behaviour)
        # A JSON body, even an empty object: dockerd 20.10's swarm routers refuse none ("got EOF while reading ...")
        sent = {} if op.method == "POST" and op.takes_json else None
        status, headers, body = mockd_server.request(op.method, f"/v{version}{op.path}", sent)
        if status >= 300 or headers.get("Content-Type") != "application/json" or not body.strip():
            continue
        schema = spec.flatten(op.response_schema(status))
        missing = _object_props_complete(schema, json.loads(body))
        assert not missing, (op.operation_id, missing)
        checked.add(op.operation_id)
    present = {op.operation_id for op in spec.operations} & GENERATED_OBJECTS
    assert present - handled <= checked, sorted(present - handled - checked)
    assert len(checked) >= 5, sorted(checked)


def test_system_answers_are_schema_complete(mockd_factory):
    for version in ("1.25", "1.41", "1.56"):
        mockd_server = mockd_factory("--api-version", version)  # a daemon of that version: its own document
        spec = specs.load(version)
        for op_id in ("SystemInfo", "SystemVersion"):
            op = spec.operation_by_id(op_id)
            status, _, body = mockd_server.request("GET", f"/v{version}{op.path}")
            assert status == 200
            missing = _object_props_complete(spec.flatten(op.response_schema(200)), json.loads(body))
            # Absent like dockerd: Version.Experimental and the serializer's omitempty/hide rows for this
            # answer (Go's `json:",omitempty"` fields of dockerd's structs, measured); nothing else.
            omitted = {f".{r.field}" for r in RULES
                       if r.root == op_id and r.action in ("omitempty", "hide") and r.applies(version)}
            assert set(missing) <= {".Experimental"} | omitted, (version, op_id, sorted(set(missing) - omitted))


def test_generation_is_deterministic_and_ids_consistent(mockd_server):
    """Generated answers (here a swarm service create: no stateful handler) derive their ids from
    the request: the same request gives the same answer, another request another id."""
    s = mockd_server
    assert "ServiceCreate" not in load_handlers()
    s.request("POST", "/v1.44/swarm/init", {"ListenAddr": "0.0.0.0:2377"})
    spec_a = {"Name": "web", "TaskTemplate": {"ContainerSpec": {"Image": "busybox"}}}
    first = s.request("POST", "/v1.44/services/create", spec_a)
    again = s.request("POST", "/v1.44/services/create", spec_a)
    other = s.request("POST", "/v1.44/services/create", {**spec_a, "Name": "db"})
    assert first[0] == 201
    assert first[2] == again[2]
    body = json.loads(first[2])
    assert len(body["ID"]) == 64 and set(body["ID"]) <= set("0123456789abcdef")
    assert json.loads(other[2])["ID"] != body["ID"]


def test_generator_uses_examples_enums_and_bounds():
    schema = {"type": "object", "properties": {
        "Id": {"type": "string"}, "State": {"type": "string", "enum": ["", "running", "exited"]},
        "Name": {"type": "string", "example": "web"}, "N": {"type": "integer", "minimum": 1},
        "Maybe": {"anyOf": [{"type": "boolean"}, {"nullable": True, "enum": [None]}]},
        "List": {"type": "array", "items": {"type": "string"}}, "Map": {"type": "object", "additionalProperties": {}},
    }}
    assert generate(schema, "abc") == {"Id": "abc", "State": "running", "Name": "web", "N": 1, "Maybe": False,
                                       "List": [], "Map": {}}


def test_empty_daemon_behaviour(mockd_server):
    s = mockd_server
    cases = [
        ("GET", "/v1.41/plugins/NOPE/json", 404, 'plugin "NOPE" not found'),
        ("GET", "/v1.41/containers/NOPE/json", 404, "No such container: NOPE"),
        ("GET", "/v1.41/networks/NOPE", 404, "network NOPE not found"),
        ("GET", "/v1.41/volumes/NOPE", 404, "get NOPE: no such volume"),
        # lower case: an upper-case repository is no reference (400, tests/test_mockd_body_decoding.py)
        ("GET", "/v1.41/images/nope/json", 404, "no such image: nope: No such image: nope:latest"),
        ("GET", "/v1.44/services", 503, 'This node is not a swarm manager. Use "docker swarm init" or '
                                        '"docker swarm join" to connect this node to swarm and try again.'),
        ("GET", "/v1.44/secrets/x", 503, None),
        ("POST", "/v1.44/swarm/leave", 503, "This node is not part of a swarm"),
    ]
    for method, path, status, message in cases:
        got, headers, body = s.request(method, path)
        assert got == status, (path, body)
        assert headers["Content-Type"] == "application/json"
        assert body.endswith(b"\n")
        if message:
            assert json.loads(body) == {"message": message}
    for path in ("/v1.41/containers/json", "/v1.41/images/json", "/v1.41/plugins"):
        status, _, body = s.request("GET", path)
        assert (status, json.loads(body)) == (200, []), path
    assert json.loads(s.request("GET", "/v1.41/volumes")[2])["Volumes"] == []
    # Like dockerd, the predefined networks exist from the start: the list is the engine's state.
    predefined = s.control("GET", "state")["engine"]["networks"]
    assert sorted(predefined) == ["bridge", "host", "none"]
    status, _, body = s.request("GET", "/v1.41/networks")
    assert status == 200 and sorted(n["Name"] for n in json.loads(body)) == predefined


def test_swarm_init_then_manager_endpoints_answer(mockd_server):
    s = mockd_server
    status, _, body = s.request("POST", "/v1.44/swarm/init", {"ListenAddr": "0.0.0.0:2377"})
    assert status == 200 and json.loads(body)
    assert s.request("GET", "/v1.44/services")[0] == 200
    assert json.loads(s.request("GET", "/v1.44/info")[2])["Swarm"]["LocalNodeState"] == "active"
    assert s.request("GET", "/v1.44/services/nope")[0] == 404
    assert s.request("POST", "/v1.44/swarm/leave?force=1")[0] == 200
    assert s.request("GET", "/v1.44/services")[0] == 503
    s.request("POST", "/v1.44/swarm/init", {})
    s.reset()  # reset leaves the swarm too
    assert s.request("GET", "/v1.44/nodes")[0] == 503
