"""Listeners, lifecycle, control plane, findings, --strict and the traffic record, over real sockets."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time

import pytest

import specs
from mockd.cli import Listener, ListenerError, parse_host, prepare_unix_path
from mockd.pytest_plugin import MockdServer, unix_request
from mockd.record import read_record
from mockd.serializer import serialize


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_host_urls():
    assert parse_host("unix:///tmp/x.sock") == Listener("unix", path="/tmp/x.sock")
    assert parse_host("tcp://127.0.0.1:2376") == Listener("tcp", host="127.0.0.1", port=2376)
    assert parse_host("tcp://:2375").host == "127.0.0.1"  # loopback unless an address is given
    assert parse_host("tcp://0.0.0.0:2375").host == "0.0.0.0"
    assert parse_host("localhost").port == 2375
    assert parse_host("unix://").path.endswith(".sock")
    with pytest.raises(ListenerError):
        parse_host("fd://")


def test_unix_socket_mode_and_tcp_listener(mockd_factory):
    port = free_port()
    s = mockd_factory("-H", f"tcp://127.0.0.1:{port}")
    assert stat.S_IMODE(os.stat(s.socket).st_mode) == 0o660
    with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
        conn.sendall(b"GET /v1.41/version HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        data = b""
        while chunk := conn.recv(65536):
            data += chunk
    assert data.startswith(b"HTTP/1.1 200 OK") and b'"ApiVersion":"1.56"' in data
    assert s.request("GET", "/_ping")[2] == b"OK"  # same app on both listeners


def test_stale_socket_replaced_live_socket_refused(tmp_path):
    path = f"/tmp/mockd-stale-{os.getpid()}.sock"
    dead = socket.socket(socket.AF_UNIX)
    dead.bind(path)
    dead.close()  # the file stays, nobody listens
    try:
        prepare_unix_path(path)
        assert not os.path.exists(path)
        with MockdServer([]) as live:
            with pytest.raises(ListenerError, match="another server is listening"):
                prepare_unix_path(live.socket)
            # The CLI says so and exits non-zero, leaving the live server alone.
            proc = subprocess.run([sys.executable, "-m", "mockd.cli", "-H", live.host], capture_output=True,
                                  text=True, timeout=30)
            assert proc.returncode == 1 and "another server is listening" in proc.stderr
            assert live.request("GET", "/_ping")[0] == 200
    finally:
        if os.path.exists(path):
            os.unlink(path)


def test_not_a_socket_is_never_clobbered(tmp_path):
    f = tmp_path / "file"
    f.write_text("keep")
    with pytest.raises(ListenerError):
        prepare_unix_path(str(f))
    assert f.read_text() == "keep"


@pytest.mark.slow
def test_subprocess_banner_log_and_graceful_sigterm(mockd_factory):
    s = mockd_factory("--api-version", "1.41", "--log-level", "info", subprocess=True)
    # An open stream (events without until) must not block shutdown.
    sock = socket.socket(socket.AF_UNIX)
    sock.connect(s.socket)
    sock.sendall(b"GET /v1.41/events HTTP/1.1\r\nHost: x\r\n\r\n")
    assert sock.recv(4096).startswith(b"HTTP/1.1 200 OK")
    s.request("GET", "/v1.41/containers/json?bogus=1")
    started = time.monotonic()
    s.proc.send_signal(signal.SIGTERM)
    s.proc.wait(timeout=15)
    assert time.monotonic() - started < 10
    assert s.proc.returncode == 0
    text = s.log()
    assert f"mockd: listening on {s.host}" in text and f"export DOCKER_HOST={s.host}" in text
    assert "GET /v1.41/containers/json?bogus=1 v1.41 200" in text  # one log line per request
    assert "unknown-query-parameter" in text  # findings go to the log too
    assert not os.path.exists(s.socket)
    sock.settimeout(5)
    rest = b""
    while chunk := sock.recv(4096):  # the open stream was ended by the shutdown (EOF, no timeout)
        rest += chunk
    sock.close()


def test_bad_flags_exit_non_zero():
    proc = subprocess.run([sys.executable, "-m", "mockd.cli", "--api-version", "1.99"], capture_output=True,
                          text=True, timeout=30)
    assert proc.returncode == 2 and "1.99" in proc.stderr


def test_findings_for_skew_and_wire_looseness(mockd_factory):
    s = mockd_factory()
    # A 1.44 field (HostConfig.Mounts... no: top-level MacAddress moved; use a body field absent at 1.41)
    spec41, spec44 = specs.load("1.41"), specs.load("1.44")
    create41 = spec41.flatten(spec41.operation_by_id("ContainerCreate").request_schema())
    create44 = spec44.flatten(spec44.operation_by_id("ContainerCreate").request_schema())
    newer = sorted(set(create44["properties"]["HostConfig"]["properties"]) - set(create41["properties"]["HostConfig"]["properties"]))
    assert newer, "1.44 added HostConfig fields"
    field = newer[0]
    assert s.request("POST", "/v1.41/images/create?fromImage=busybox&tag=latest")[0] == 200
    s.control("DELETE", "findings")
    status, _, _ = s.request("POST", "/v1.41/containers/create?name=skew&bogus=1",
                             {"Image": "busybox", "HostConfig": {field: None, "Binds": None}, "Env": "notalist"})
    assert status == 400  # dockerd refuses Env as a string (a daemon of 1.56: "invalid JSON: ..."); findings say why
    found = s.findings()
    kinds = {(f["kind"], f["location"], f["name"], f["source"]) for f in found}
    assert ("unknown-query-parameter", "query", "bogus", "spec") in kinds
    assert any(f["kind"] == "unknown-field" and f["name"] == f"HostConfig.{field}" for f in found)
    assert any(f["kind"] == "wrong-type" and f["name"] == "Env" for f in found)
    assert any(f["source"] == "wire-profile" and f["severity"] == "info" for f in found)  # Binds: null
    assert all(f["api_version"] == "1.41" and f["path"] == "/containers/create" for f in found)
    # The same body at 1.44 has no unknown field.
    s.control("DELETE", "findings")
    s.request("POST", "/v1.44/containers/create", {"Image": "busybox", "HostConfig": {field: None}})
    assert not [f for f in s.findings() if f["kind"] == "unknown-field"]
    # Python-style booleans (docker-py) are wire looseness, not a violation.
    s.control("DELETE", "findings")
    s.request("GET", "/v1.41/containers/json?all=True")
    assert [f["source"] for f in s.findings()] == ["wire-profile"]
    assert s.control("GET", "findings?severity=warning")["count"] == 0


def test_cli20_empty_text_plain_bodies_and_null_commit(mockd_server):
    s = mockd_server
    status, _, _ = s.request("POST", "/v1.41/containers/x/start", b"", {"Content-Type": "text/plain"})
    assert status == 404  # nothing exists; the empty text/plain body is accepted
    status, _, _ = s.request("POST", "/v1.41/commit?container=x", b"null", {"Content-Type": "application/json"})
    assert status in (201, 404)
    assert not [f for f in s.findings() if f["source"] == "spec"]


def test_strict_mode_refuses_in_dockerd_shape(mockd_factory):
    s = mockd_factory("--strict")
    status, headers, body = s.request("GET", "/v1.41/containers/json?bogus=1")
    assert status == 400 and headers["Content-Type"] == "application/json" and body.endswith(b"\n")
    message = json.loads(body)["message"]
    assert "unknown-query-parameter" in message and "bogus" in message
    assert s.request("GET", "/v1.41/containers/json?all=True")[0] == 200  # wire looseness passes
    status, _, body = s.request("POST", "/v1.41/containers/create", b"{bad", {"Content-Type": "application/json"})
    assert status == 400 and "message" in json.loads(body)


def test_control_plane(mockd_server, tmp_path):
    s = mockd_server
    s.request("GET", "/v1.41/containers/json?x=1")
    state = s.control("GET", "state")
    assert state["bounds"]["max_api"] == specs.latest() and state["requests"] >= 1
    assert state["findings"] >= 1
    assert s.control("POST", "reset") == {"reset": True}
    assert s.findings() == [] and s.control("GET", "state")["requests"] == 0
    status, headers, body = s.request("GET", "/_mockd/nope")
    assert (status, body) == (404, b'{"message":"page not found"}\n')
    assert "Api-Version" not in headers  # invisible to version routing
    assert s.request("GET", "/v1.41/_mockd/state")[0] == 404


def test_record_file(mockd_factory, tmp_path):
    s = mockd_factory("--record-dir", str(tmp_path))
    path = tmp_path / "rec.jsonl"
    assert s.request("POST", "/v1.41/images/create?fromImage=busybox&tag=latest")[0] == 200  # not recorded
    assert s.control("POST", "record/start", {"path": str(path)})["active"] is True
    s.request("POST", "/v1.41/containers/create?name=web", {"Image": "busybox", "Bogus": 1},
              {"User-Agent": "Docker-Client/20.10.24 (linux)", "X-Registry-Auth": "e30="})
    s.request("GET", "/v1.99/version")
    s.request("GET", "/nope")
    s.request("PUT", "/v1.41/containers/x/archive?path=/tmp", b"\0" * 1024, {"Content-Type": "application/x-tar"})
    s.request("GET", "/_mockd/state")
    stopped = s.control("POST", "record/stop")
    assert stopped["active"] is False and stopped["exchanges"] == 4
    rows = read_record(path)
    assert len(rows) == 4  # the control plane is not an exchange with the API; the router's 404 is
    create, too_new, unrouted, archive = rows
    assert (unrouted["path"], unrouted["status"], unrouted["template"], unrouted["spec_version"]) == ("/nope", 404, None, None)
    assert create["method"] == "POST" and create["path"] == "/v1.41/containers/create"
    assert create["template"] == "/containers/create" and create["operation_id"] == "ContainerCreate"
    assert create["api_version"] == "1.41" and create["requested_version"] == "1.41"
    assert create["query"] == {"name": ["web"]} and create["body"] == {"json": {"Image": "busybox", "Bogus": 1}}
    assert create["headers"]["user-agent"].startswith("Docker-Client/20.10")
    assert create["headers"]["x-registry-auth"] == "<4 bytes>"  # never the credentials
    assert create["status"] == 201 and create["response_content_type"] == "application/json"
    assert any(f["kind"] == "unknown-field" and f["name"] == "Bogus" for f in create["findings"])
    assert too_new["status"] == 400 and too_new["requested_version"] == "1.99"
    assert archive["body"]["size"] == 1024 and len(archive["body"]["sha256"]) == 64
    assert archive["body"]["content_type"] == "application/x-tar"


def test_record_flag(mockd_factory, tmp_path):
    path = tmp_path / "flag.jsonl"
    s = mockd_factory("--record", str(path))
    s.request("GET", "/_ping")
    assert read_record(path)[0]["operation_id"] == "SystemPing"


def test_serializer_rules_by_version():
    obj = {"Id": "sha256:x", "VirtualSize": 5, "Size": 5, "Container": "", "ContainerConfig": {}}
    op = specs.load("1.43").operation_by_id("ImageInspect")
    assert "VirtualSize" in serialize(obj, spec=specs.load("1.43"), version="1.43", target=op)
    out44 = serialize(obj, spec=specs.load("1.44"), version="1.44", target=specs.load("1.44").operation_by_id("ImageInspect"))
    assert "VirtualSize" not in out44 and "Container" in out44
    out45 = serialize(obj, spec=specs.load("1.45"), version="1.45", target=specs.load("1.45").operation_by_id("ImageInspect"))
    assert "Container" not in out45 and "ContainerConfig" not in out45 and out45["Size"] == 5
    listed = serialize([obj, obj], spec=specs.load("1.44"), version="1.44", target=specs.load("1.44").operation_by_id("ImageList"))
    assert all("VirtualSize" not in o for o in listed)
    assert "VirtualSize" in obj  # the engine's object is untouched


def test_unix_request_helper_against_plugin(mockd_server):
    status, headers, body = unix_request(mockd_server.socket, "GET", "/v1.41/version")
    assert status == 200 and json.loads(body)["ApiVersion"] == specs.latest()


def test_default_socket_is_per_user_and_printed(tmp_path):
    runtime = tempfile.mkdtemp(prefix="mockd-rt-", dir="/tmp")
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOCKER_")}
    env["XDG_RUNTIME_DIR"] = runtime
    proc = subprocess.Popen([sys.executable, "-m", "mockd.cli"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    sock = os.path.join(runtime, "mockd.sock")
    try:
        deadline = time.monotonic() + 30
        while not os.path.exists(sock) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert unix_request(sock, "GET", "/_ping")[2] == b"OK"
    finally:
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=15)
        shutil.rmtree(runtime, ignore_errors=True)
    assert f"export DOCKER_HOST=unix://{sock}" in out
    assert proc.returncode == 0 and not os.path.exists(sock)
