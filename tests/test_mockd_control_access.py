"""The control plane's doors (issue 9, item 1): unix only by default; over TCP only with --control-on-tcp, a
bearer token, no Origin, a local Host and a JSON/YAML body; record files confined to --record-dir and never
written unless mockd made them. Each row: the request, the status and message, and the state unchanged after."""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import stat
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from mockd.pytest_plugin import MockdServer


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def tcp_request(port: int, method: str, path: str, body: bytes | None = None,
                headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, dict(resp.getheaders()), resp.read()
    finally:
        conn.close()


def message(body: bytes) -> str:
    return json.loads(body)["message"]


@pytest.fixture
def guarded(mockd_factory, tmp_path):
    """A mockd with the control plane on TCP (token required) and a record directory."""
    port = free_port()
    record_dir = tmp_path / "records"
    record_dir.mkdir()
    server = mockd_factory("-H", f"tcp://127.0.0.1:{port}", "--control-on-tcp", "--record-dir", str(record_dir),
                           "--control-token-file", str(tmp_path / "token"))
    return server, port, record_dir


@dataclass
class Row:
    name: str
    method: str
    path: str
    status: int
    text: str = ""  # in the message
    token: str = "good"  # "good", "wrong", "" (no Authorization), or a literal header value
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | None = None


JSON = {"Content-Type": "application/json"}

TCP_ROWS = [
    Row("token: state", "GET", "/_mockd/state", 200),
    Row("token: reset without a body", "POST", "/_mockd/reset", 200),
    Row("token: reset with a JSON body", "POST", "/_mockd/reset", 200, headers=JSON, body=b"{}"),
    Row("token: scheme is case-insensitive", "GET", "/_mockd/state", 200, token="bearer {token}"),
    Row("token: unknown control path", "GET", "/_mockd/nope", 404, "page not found"),
    Row("no token", "GET", "/_mockd/state", 401, "Authorization: Bearer", token=""),
    Row("no token: reset", "POST", "/_mockd/reset", 401, "Authorization: Bearer", token=""),
    Row("no token: unknown control path", "GET", "/_mockd/nope", 401, "Authorization: Bearer", token=""),
    Row("wrong token", "GET", "/_mockd/state", 401, "Authorization: Bearer", token="wrong"),
    Row("basic auth", "GET", "/_mockd/state", 401, "Authorization: Bearer", token="Basic {token}"),
    Row("token without a scheme", "GET", "/_mockd/state", 401, "Authorization: Bearer", token="{token}"),
    Row("Origin header", "POST", "/_mockd/reset", 403, "Origin", headers={"Origin": "http://evil.example"}),
    Row("Origin null", "GET", "/_mockd/state", 403, "Origin", headers={"Origin": "null"}),
    Row("Origin even without a token", "GET", "/_mockd/state", 403, "Origin", token="",
        headers={"Origin": "http://127.0.0.1"}),
    Row("foreign Host (DNS rebinding)", "POST", "/_mockd/reset", 403, "is not this listener",
        headers={"Host": "evil.example:{port}"}),
    Row("foreign Host without a port", "GET", "/_mockd/state", 403, "is not this listener",
        headers={"Host": "evil.example"}),
    Row("loopback Host, other port", "GET", "/_mockd/state", 403, "is not this listener",
        headers={"Host": "127.0.0.1:1"}),
    Row("Host localhost", "GET", "/_mockd/state", 200, headers={"Host": "localhost:{port}"}),
    Row("Host *.localhost (the docker CLI's)", "GET", "/_mockd/state", 200,
        headers={"Host": "api.moby.localhost:{port}"}),
    Row("Host 127.0.0.2 (loopback)", "GET", "/_mockd/state", 200, headers={"Host": "127.0.0.2:{port}"}),
    Row("Host garbage", "GET", "/_mockd/state", 403, "is not this listener", headers={"Host": "[::1"}),
    Row("text/plain body", "POST", "/_mockd/reset", 400, "Content-Type specified (text/plain)",
        headers={"Content-Type": "text/plain"}, body=b"{}"),
    Row("text/plain with charset", "POST", "/_mockd/record/start", 400, "Content-Type specified (text/plain)",
        headers={"Content-Type": "text/plain; charset=utf-8"}, body=b'{"path": "x.jsonl"}'),
    Row("form body", "POST", "/_mockd/reset", 400, "(application/x-www-form-urlencoded)",
        headers={"Content-Type": "application/x-www-form-urlencoded"}, body=b"a=b"),
    Row("multipart body", "POST", "/_mockd/reset", 400, "(multipart/form-data)",
        headers={"Content-Type": "multipart/form-data; boundary=x"}, body=b"--x--"),
    Row("body without a type", "POST", "/_mockd/reset", 400, "Content-Type specified (none)", body=b"{}"),
    Row("seed: text/plain", "POST", "/_mockd/seed", 400, "Content-Type specified (text/plain)",
        headers={"Content-Type": "text/plain"}, body=b"images: []\n"),
    Row("seed: YAML", "POST", "/_mockd/seed", 200, headers={"Content-Type": "application/yaml"},
        body=b"images: []\n"),
    Row("record/start: text/plain", "POST", "/_mockd/record/start", 400, "(text/plain)",
        headers={"Content-Type": "text/plain"}, body=b'{"path": "a.jsonl"}'),
]


@pytest.mark.parametrize("row", TCP_ROWS, ids=[r.name for r in TCP_ROWS])
def test_control_plane_over_tcp(guarded, row: Row):
    server, port, record_dir = guarded
    token = server.control_token
    assert token
    server.request("GET", "/v1.41/containers/json?bogus=1")  # a finding: reset would clear it
    before = server.control("GET", "state")
    headers = {k: v.format(port=port) for k, v in row.headers.items()}
    if row.token == "good":
        headers["Authorization"] = f"Bearer {token}"
    elif row.token == "wrong":
        headers["Authorization"] = "Bearer " + "x" * len(token)
    elif row.token:
        headers["Authorization"] = row.token.format(token=token)
    status, answer_headers, body = tcp_request(port, row.method, row.path, row.body, headers)
    assert status == row.status, body
    if row.status >= 400:
        assert answer_headers["Content-Type"] == "application/json" and row.text in message(body)
        assert "Api-Version" not in answer_headers and "Server" not in answer_headers
        after = server.control("GET", "state")
        assert after["findings"] == before["findings"] and after["record"]["active"] is False  # nothing done
    if row.status == 401:
        assert answer_headers["WWW-Authenticate"].startswith("Bearer")
    assert list(record_dir.iterdir()) == []


@pytest.mark.parametrize("method, path, body", [
    ("GET", "/_mockd/state", None),
    ("POST", "/_mockd/reset", None),
    ("POST", "/_mockd/record/start", b'{"path": "/tmp/x.jsonl"}'),
    ("GET", "/_mockd/nope", None),
])
def test_tcp_without_the_flag_is_a_route_that_does_not_exist(mockd_factory, method, path, body):
    port = free_port()
    server = mockd_factory("-H", f"tcp://127.0.0.1:{port}")
    assert server.control_token is None
    server.request("GET", "/v1.41/containers/json?bogus=1")
    before = server.control("GET", "state")["findings"]
    status, headers, answer = tcp_request(port, method, path, body, {"Content-Type": "application/json"})
    unknown = tcp_request(port, method, "/no/such/route", body, {"Content-Type": "application/json"})
    assert (status, answer) == (404, b'{"message":"page not found"}\n') == (unknown[0], unknown[2])
    assert {k: v for k, v in headers.items() if k != "Date"} == {k: v for k, v in unknown[1].items() if k != "Date"}
    assert server.control("GET", "state")["findings"] == before  # over the unix socket: still allowed, nothing reset
    assert tcp_request(port, "GET", "/v1.41/version")[0] == 200  # the Docker API stays on TCP


def test_unix_socket_needs_no_token_and_takes_any_body_type(guarded):
    server, _, _ = guarded
    assert server.request("GET", "/_mockd/state")[0] == 200
    status, _, _ = server.request("POST", "/_mockd/reset", b"", {"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 200  # curl -d's default type: no browser reaches a unix socket
    assert server.request("GET", "/_mockd/state", headers={"Origin": "http://x"})[0] == 200


# --- record paths ---------------------------------------------------------------------------------------------


def start_record(server: MockdServer, path: str, append: bool = True) -> tuple[int, dict]:
    status, _, body = server.request("POST", "/_mockd/record/start", {"path": path, "append": append})
    return status, json.loads(body)


def test_record_start_needs_a_record_dir(mockd_factory, tmp_path):
    server = mockd_factory()
    status, body = start_record(server, str(tmp_path / "x.jsonl"))
    assert status == 403 and "--record-dir" in body["message"]
    assert not (tmp_path / "x.jsonl").exists()


def test_record_path_escapes_are_refused(guarded, tmp_path):
    server, _, record_dir = guarded
    outside = tmp_path / "outside"
    outside.mkdir()
    (record_dir / "link-dir").symlink_to(outside)
    (record_dir / "link-file").symlink_to(outside / "target.jsonl")
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me\n")
    (record_dir / "mine.txt").write_text("operator's file\n")
    rows = [
        ("../victim.txt", 403, "'..' is not allowed"),
        ("sub/../../victim.txt", 403, "'..' is not allowed"),
        (str(victim), 403, "outside the record directory"),
        ("/etc/passwd", 403, "outside the record directory"),
        ("link-dir/x.jsonl", 403, "outside the record directory"),
        ("link-file", 403, "symlink"),
        ("mine.txt", 409, "not created by this mockd"),
        (str(record_dir / "mine.txt"), 409, "not created by this mockd"),
    ]
    for path, status, text in rows:
        for append in (True, False):
            got, body = start_record(server, path, append)
            assert (got, text in body["message"]) == (status, True), (path, append, body)
    assert victim.read_text() == "keep me\n" and (record_dir / "mine.txt").read_text() == "operator's file\n"
    assert sorted(p.name for p in outside.iterdir()) == []
    assert server.control("GET", "record")["active"] is False
    status, body = start_record(server, "")
    assert status == 400
    status, _, body = server.request("POST", "/_mockd/record/start", {"path": 5})
    assert status == 400 and "string" in json.loads(body)["message"]
    status, _, body = server.request("POST", "/_mockd/record/start", [str(record_dir / "x.jsonl")])
    assert status == 400 and "JSON object" in json.loads(body)["message"]  # not a 500


def test_record_files_mockd_made_are_appended_or_truncated(guarded, mockd_factory):
    server, _, record_dir = guarded
    status, body = start_record(server, "nested/run.jsonl")
    assert status == 200 and body["path"] == str(record_dir.resolve() / "nested" / "run.jsonl")
    path = record_dir / "nested" / "run.jsonl"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    server.request("GET", "/_ping")
    server.control("POST", "record/stop")
    assert len(path.read_text().splitlines()) == 1
    assert start_record(server, "nested/run.jsonl")[0] == 200  # mockd made it: appended to
    server.request("GET", "/_ping")
    server.control("POST", "record/stop")
    assert len(path.read_text().splitlines()) == 2
    assert start_record(server, str(path), append=False)[0] == 200  # its own file: may be truncated
    server.control("POST", "record/stop")
    assert path.read_text() == ""
    # Another mockd did not make it: that one refuses the file, whatever "append" says.
    other = mockd_factory("--record-dir", str(record_dir))
    for append in (True, False):
        status, body = start_record(other, "nested/run.jsonl", append)
        assert status == 409 and "not created by this mockd" in body["message"]
    assert path.read_text() == ""


def test_record_flag_keeps_working_anywhere(mockd_factory, tmp_path):
    existing = tmp_path / "operator.jsonl"
    existing.write_text('{"earlier": true}\n')
    server = mockd_factory("--record", str(existing))  # the operator's own choice: appended to
    server.request("GET", "/_ping")
    server.control("POST", "record/stop")
    assert existing.read_text().splitlines()[0] == '{"earlier": true}' and len(existing.read_text().splitlines()) == 2


# --- start-up: token printed and in a 0600 file ---------------------------------------------------------------


def _start_cli(args: list[str], env: dict[str, str]) -> tuple[subprocess.Popen[str], list[str]]:
    proc = subprocess.Popen([sys.executable, "-m", "mockd.cli", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)
    lines: list[str] = []
    assert proc.stdout is not None
    for line in proc.stdout:
        lines.append(line.rstrip("\n"))
        if line.startswith("export DOCKER_HOST="):
            return proc, lines
    raise AssertionError(f"mockd exited: {proc.wait()} {lines} {proc.stderr.read() if proc.stderr else ''}")


def _stop_cli(proc: subprocess.Popen[str]) -> None:
    proc.send_signal(signal.SIGTERM)
    proc.communicate(timeout=20)


def test_cli_prints_the_token_and_writes_it_0600(tmp_path):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOCKER_")}
    env["XDG_RUNTIME_DIR"] = str(tmp_path)  # the default token file goes next to the default socket
    proc, lines = _start_cli(["-H", f"tcp://127.0.0.1:{port}", "--control-on-tcp"], env)
    try:
        where = next(line for line in lines if "Authorization: Bearer" in line)
        token = next(line for line in lines if line.startswith("mockd: control token ")).split()[-1]
        token_file = Path(where.split("token in ", 1)[1].split(" (mode")[0])
        assert token_file.parent == tmp_path and token_file.name == f"mockd-control-{proc.pid}.token"
        assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
        assert token_file.read_text().strip() == token
        assert tcp_request(port, "GET", "/_mockd/state", headers={"Authorization": f"Bearer {token}"})[0] == 200
        assert tcp_request(port, "GET", "/_mockd/state")[0] == 401
    finally:
        _stop_cli(proc)
    assert not token_file.exists()  # removed at shutdown


def test_cli_without_the_flag_says_unix_only(tmp_path):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOCKER_")}
    sock = tmp_path / "d.sock"
    proc, lines = _start_cli(["-H", f"unix://{sock}", "-H", f"tcp://127.0.0.1:{port}"], env)
    try:
        assert any("control plane (/_mockd/) on unix sockets only" in line for line in lines)
        assert not any("control token" in line for line in lines)
    finally:
        _stop_cli(proc)


def test_token_file_is_never_written_through_a_link(tmp_path):
    target = tmp_path / "elsewhere"
    target.write_text("keep\n")
    link = tmp_path / "token"
    link.symlink_to(target)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOCKER_")}
    proc = subprocess.run([sys.executable, "-m", "mockd.cli", "-H", f"tcp://127.0.0.1:{port}", "--control-on-tcp",
                           "--control-token-file", str(link)], capture_output=True, text=True, env=env, timeout=60)
    assert proc.returncode == 1 and "not replacing it" in proc.stderr
    assert target.read_text() == "keep\n"
