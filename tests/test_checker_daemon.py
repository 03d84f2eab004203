"""apicheck daemon: the parts that need no daemon (host parsing, safety plan, checks, skew classification)."""

from __future__ import annotations

import json
import time

import pytest

import specs
from checker.daemon.checks import Exchange, error_shape, missing_endpoint, parse_bodies, run_checks
from checker.daemon.client import DaemonClient, Host, HostError, Response, parse_host
from checker.daemon.probe import BOGUS_PREFIX, plan
from checker.daemon.run import aggregate
from checker.daemon.skew import TARGETS, contains, introduced_fields
from checker.daemon.write import check_frames
from specs.findings import Finding
from specs.validation import NO_BODY


def _resp(status: int = 200, body: bytes = b"", ctype: str | None = "application/json", method: str = "GET",
          truncated: bool = False) -> Response:
    headers = [("Content-Type", ctype)] if ctype else []
    return Response(method, "/v1.41/x", status, "", headers, body, truncated=truncated)


# --- hosts -------------------------------------------------------------------------------------------


def test_parse_host_follows_docker_cli_order() -> None:
    assert parse_host("unix:///tmp/x.sock", {}) == Host("unix", "/tmp/x.sock")
    assert parse_host("tcp://127.0.0.1:2375", {}) == Host("tcp", "127.0.0.1:2375")
    assert parse_host("tcp://example", {}) == Host("tcp", "example:2375")
    assert parse_host(None, {"DOCKER_HOST": "unix:///run/podman.sock"}) == Host("unix", "/run/podman.sock")
    assert parse_host(None, {}) == Host("unix", "/var/run/docker.sock")
    assert parse_host("/tmp/plain.sock", {}) == Host("unix", "/tmp/plain.sock")
    with pytest.raises(HostError):
        parse_host("ssh://user@host", {})
    with pytest.raises(HostError):
        parse_host("https://host:2376", {})


def test_url_encodes_booleans_lists_and_filters() -> None:
    url = DaemonClient.url("/containers/json", "1.41", {"all": True, "filters": {"label": ["a=b"]}, "x": ["1", "2"]})
    assert url.startswith("/v1.41/containers/json?all=1&filters=")
    assert "%7B%22label%22%3A%5B%22a%3Db%22%5D%7D" in url
    assert url.endswith("&x=1&x=2")


# --- the read-only plan is safe ------------------------------------------------------------------------


@pytest.mark.parametrize("version", ["1.25", "1.41", "1.56"])
def test_plan_never_fetches_secrets_or_reaches_registries(version: str) -> None:
    spec = specs.load(version)
    ids = {k: [f"some-{k}"] for k in ("container", "image", "network", "volume", "plugin", "exec", "service",
                                      "node", "task", "secret", "config", "image-ref")}
    planned, skipped = plan(spec, ids)
    sent = {(p.op.method, p.op.path) for p in planned}
    assert all(p.op.method in ("GET", "HEAD") for p in planned)
    for op in [("GET", "/swarm/unlockkey"), ("GET", "/images/search"), ("GET", "/distribution/{name}/json"),
               ("GET", "/containers/{id}/attach/ws")]:
        if spec.operation(*op):
            assert op not in sent
            assert any((s.method, s.template) == op and s.skipped for s in skipped)
    by_op = {(p.op.method, p.op.path, p.bogus): p for p in planned}
    logs = by_op[("GET", "/containers/{id}/logs", False)]
    assert "follow" not in logs.query and logs.read_seconds <= 10
    stats = by_op[("GET", "/containers/{id}/stats", False)]
    assert stats.query.get("stream") == "0"
    events = by_op[("GET", "/events", False)]
    # Bounded: replays the last ten minutes and ends a second from now (events of this very second included).
    assert int(events.query["until"]) <= int(events.query["since"]) + 601 and int(events.query["until"]) <= time.time() + 1
    export = by_op[("GET", "/containers/{id}/export", False)]
    assert export.max_bytes <= 64 * 1024
    # Real ids fill the paths; the made-up ones are clearly made up.
    assert by_op[("GET", "/containers/{id}/json", False)].path == "/containers/some-container/json"
    assert by_op[("GET", "/containers/{id}/json", True)].path.startswith(f"/containers/{BOGUS_PREFIX}")


def test_plan_skips_operations_without_ids() -> None:
    planned, skipped = plan(specs.load("1.41"), {})
    assert not any("{" in p.op.path and not p.bogus for p in planned)
    assert any(s.template == "/containers/{id}/top" and "no container" in s.skipped for s in skipped)


# --- checks ----------------------------------------------------------------------------------------------


def _exchange(resp: Response, method: str = "GET", template: str = "/containers/{id}/json", version: str = "1.41") -> Exchange:
    spec = specs.load(version)
    op = spec.operation(method, template)
    assert op is not None
    return Exchange(spec, op, version, template.replace("{id}", "x"), {}, resp)


def test_error_shape_accepts_dockerd_and_flags_podman() -> None:
    dockerd = _resp(404, b'{"message":"No such container: x"}\n')
    assert error_shape(_exchange(dockerd)) == []
    podman = _resp(404, b'{"cause":"no such container","message":"no container with name or ID \\"x\\" found: no such container","response":404}\n')
    (finding,) = error_shape(_exchange(podman))
    assert finding.kind == "error-shape" and "cause" in finding.detail and "response" in finding.detail
    text = _resp(404, b"Not Found", "text/plain; charset=utf-8")
    (finding,) = error_shape(_exchange(text))
    assert "Content-Type" in finding.detail


def test_missing_endpoint_is_the_routers_404_only() -> None:
    assert missing_endpoint(_exchange(_resp(404, b'{"message":"No such container: x"}\n'))) == []
    (f,) = missing_endpoint(_exchange(_resp(404, b'{"message":"page not found"}\n')))
    assert f.kind == "missing-endpoint"
    (f,) = missing_endpoint(_exchange(_resp(404, b"Not Found", "text/plain")))
    assert f.kind == "missing-endpoint"


def test_parse_bodies_splits_event_streams_and_drops_a_cut_line() -> None:
    body = b'{"Type":"container"}\n{"Type":"network"}\n{"Type":"vol'
    assert parse_bodies(_resp(body=body, truncated=True), "GET") == [{"Type": "container"}, {"Type": "network"}]
    assert parse_bodies(_resp(body=b'{"a":1}\n'), "GET") == [{"a": 1}]
    assert parse_bodies(_resp(body=b"\x01\x00\x00\x00\x00\x00\x00\x02hi", ctype=None), "GET") == [NO_BODY]
    assert parse_bodies(_resp(body=b"", ctype="text/plain"), "HEAD") == [NO_BODY]


def test_run_checks_splits_genuine_from_go_looseness() -> None:
    # dockerd writes nil slices as null (looseness) and this one adds a field 1.41 does not define (genuine).
    body = {"Id": "x", "Created": "2020", "Path": "sh", "Args": None, "Name": "/x", "NotInTheSpec": 1}
    findings = run_checks(_exchange(_resp(200, json.dumps(body).encode())))
    genuine = [f for f in findings if f.source != "wire-profile"]
    loose = [f for f in findings if f.source == "wire-profile"]
    assert [(f.kind, f.name) for f in genuine] == [("undocumented-field", "NotInTheSpec")]
    assert any(f.name == "Args" and f.kind == "null-value" for f in loose)
    assert all(f.extra["url"] == "/v1.41/x" and f.extra["status"] == 200 for f in findings)


def test_run_checks_cross_checks_with_openapi_core() -> None:
    # A wrong type is seen by both checkers: the finding says openapi-core confirmed it.
    body = {"Id": 5, "Name": "/x"}
    findings = run_checks(_exchange(_resp(200, json.dumps(body).encode())))
    wrong = [f for f in findings if f.kind == "wrong-type" and f.name == "Id"]
    assert wrong and wrong[0].extra["openapi_core"] == "confirmed"


def test_check_frames() -> None:
    frame = b"\x01\x00\x00\x00\x00\x00\x00\x03out" + b"\x02\x00\x00\x00\x00\x00\x00\x03err"
    assert check_frames(frame) == ""
    assert "cut" in check_frames(frame[:-1])
    assert "not a frame header" in check_frames(b"plain text output\n")


def test_aggregate_merges_the_sweeps_repeats() -> None:
    def f(version: str) -> Finding:
        return Finding("undocumented-field", "warning", version, "GET", "/info", "response", "X", "d",
                       extra={"url_version": version})

    (merged,) = aggregate([f("1.40"), f("1.25"), f("1.41")])
    assert merged.extra["versions"] == ["1.25", "1.40", "1.41"] and merged.extra["count"] == 3


# --- skew --------------------------------------------------------------------------------------------------


def test_introduced_fields_come_from_the_documents() -> None:
    container = TARGETS[0]
    fields = introduced_fields(container, "1.25", "1.41")
    assert fields["HostConfig.CgroupnsMode"] == "1.41"
    assert fields["HostConfig.Init"] == "1.37"
    assert "HostConfig.Memory" not in fields  # documented at 1.25 already
    assert introduced_fields(container, "1.41", "1.41") == {}


def test_contains_allows_daemon_added_keys_but_not_other_values() -> None:
    assert contains({"Driver": "x"}, {"Driver": "x", "DeviceIDs": None})
    assert not contains({"Driver": "x"}, {"Driver": "y"})
    assert contains(["a"], ["a"]) and not contains(["a"], ["a", "b"])
    assert not contains(209715200, 0)
