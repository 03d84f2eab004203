"""Fault injection (mockd/faults.py, mockd/fault_inject.py, mockd/streams.py's stream faults).

Every stream fault is shown on the raw bytes a client receives: the HTTP exchange is made by hand over the unix
socket (``Connection: close``), the chunked body parsed here chunk by chunk, so a split, a cut or a trickle is
visible exactly as it went over the wire.
"""

from __future__ import annotations

import json
import socket
import time

import pytest

from mockd.faults import Fault, FaultError, FaultPlan, in_range
from mockd.record import read_record
from mockd.streams import demultiplex, multiplex_frame

SEED = json.dumps({"images": [{"ref": "busybox"}]})


# --- raw HTTP over the socket ----------------------------------------------------------------------------------

def raw_exchange(sock_path: str, method: str, path: str, *, body: bytes = b"", upgrade: bool = False,
                 timeout: float = 10) -> tuple[bytes, bytes, bool]:
    """(head, body bytes as received, whether the server closed the connection) for one request."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect(sock_path)
    head = f"{method} {path} HTTP/1.1\r\nHost: docker\r\nConnection: {'Upgrade' if upgrade else 'close'}\r\n"
    if upgrade:
        head += "Upgrade: tcp\r\n"
    if body:
        head += f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
    s.sendall(head.encode() + b"\r\n" + body)
    data = b""
    closed = False
    try:
        while chunk := s.recv(65536):
            data += chunk
        closed = True
    except TimeoutError:
        pass
    finally:
        s.close()
    headers, _, rest = data.partition(b"\r\n\r\n")
    return headers, rest, closed


def chunks(body: bytes) -> tuple[list[bytes], bool]:
    """The chunks of a chunked body and whether its last-chunk (``0\\r\\n\\r\\n``) arrived."""
    out, pos = [], 0
    while pos < len(body):
        end = body.find(b"\r\n", pos)
        if end < 0:
            break
        size = int(body[pos:end], 16)
        if size == 0:
            return out, True
        out.append(body[end + 2:end + 2 + size])
        pos = end + 2 + size + 2
    return out, False


@pytest.fixture
def daemon(mockd_factory, tmp_path):
    seed = tmp_path / "seed.json"
    seed.write_text(SEED)
    record = tmp_path / "traffic.jsonl"
    server = mockd_factory("--seed", str(seed), "--record", str(record))
    server.record_path = record
    return server


def exited_container(server, script: str = "echo hello; echo world >&2") -> str:
    status, _, data = server.request("POST", "/v1.44/containers/create",
                                     {"Image": "busybox", "Cmd": ["sh", "-c", script]})
    assert status == 201, data
    cid = json.loads(data)["Id"]
    assert server.request("POST", f"/v1.44/containers/{cid}/start")[0] == 204
    status, _, data = server.request("POST", f"/v1.44/containers/{cid}/wait")
    assert status == 200 and json.loads(data)["StatusCode"] == 0, data
    return cid


def add_fault(server, **fault) -> dict:
    status, _, data = server.request("POST", "/_mockd/faults", fault)
    assert status == 201, data
    return json.loads(data)["faults"][0]


def logs(server, cid: str) -> tuple[bytes, bytes, bool]:
    return raw_exchange(server.socket, "GET", f"/v1.44/containers/{cid}/logs?stdout=1&stderr=1")


PLAIN_FRAMES = [multiplex_frame(1, b"hello\n"), multiplex_frame(2, b"world\n")]


# --- the model -------------------------------------------------------------------------------------------------

def test_fault_specs_and_schedules():
    f = Fault.from_spec("endpoint=GET /containers/json,kind=error,status=503,every=2")
    assert (f.method, f.template, f.status, f.every) == ("GET", "/containers/json", 503, 2)
    assert Fault.from_dict({"endpoint": "ContainerInspect", "kind": "drop"}).operation == "ContainerInspect"
    plan = FaultPlan()
    every = plan.add(Fault(kind="error", operation="A", every=2))
    first = plan.add(Fault(kind="latency", operation="A", first=1, ms=1))
    fired = [[x.fault.id for x in plan.select("GET", "/a", "A", "1.44")] for _ in range(4)]
    assert fired == [[first.id], [every.id], [], [every.id]]
    assert plan.select("GET", "/b", "B", "1.44") == []
    plan.restart()
    assert [x.fault.id for x in plan.select("GET", "/a", "A", "1.44")] == [first.id]


def test_probability_is_seeded_and_versions_bound():
    def run(seed: int) -> list[bool]:
        plan = FaultPlan()
        plan.add(Fault(kind="error", operation="A", probability=0.5, seed=seed))
        return [bool(plan.select("GET", "/a", "A", "1.44")) for _ in range(32)]

    assert run(7) == run(7) and run(7) != run(8)
    assert 4 < sum(run(7)) < 28
    assert in_range("1.41", "1.41..1.44") and in_range("1.44", "1.41..1.44") and not in_range("1.45", "1.41..1.44")
    assert in_range("1.30", "..1.41") and not in_range("1.40", "1.41..") and in_range("1.41", "1.41")
    versioned = Fault(kind="error", operation="A", versions="1.44..")
    assert not versioned.matches("GET", "/a", "A", "1.43") and versioned.matches("GET", "/a", "A", "1.52")


@pytest.mark.parametrize("bad", [{"kind": "nope", "operation": "A"}, {"kind": "error"},
                                 {"kind": "error", "operation": "A", "every": 2, "first": 1},
                                 {"kind": "error", "operation": "A", "status": 200},
                                 {"kind": "error", "operation": "A", "colour": "red"}])
def test_bad_faults_are_refused(bad):
    with pytest.raises(FaultError):
        Fault.from_dict(bad)


# --- endpoint faults, the control plane, the record and the findings -------------------------------------------

def test_error_latency_and_the_control_plane(daemon):
    f = add_fault(daemon, endpoint="GET /containers/{id}/json", kind="error", status=404,
                  message="No such container: {id}", first=1)
    status, headers, data = daemon.request("GET", "/v1.44/containers/abc/json")
    assert (status, data) == (404, b'{"message":"No such container: abc"}\n')
    assert headers["Api-Version"]  # a daemon's answer: daemon headers on it
    status, _, data = daemon.request("GET", "/v1.44/containers/abc/json")  # second call: no fault, the engine's 404
    assert status == 404 and data == b'{"message":"No such container: abc"}\n'
    listing = daemon.control("GET", "faults")["faults"]
    assert [(x["id"], x["calls"], x["fired"]) for x in listing] == [(f["id"], 2, 1)]
    assert daemon.request("DELETE", f"/_mockd/faults/{f['id']}")[0] == 200
    assert daemon.request("DELETE", f"/_mockd/faults/{f['id']}")[0] == 404
    assert daemon.request("POST", "/_mockd/faults", {"kind": "bogus", "operation": "X"})[0] == 400
    add_fault(daemon, operation="SystemInfo", kind="latency", ms=300)
    started = time.monotonic()
    assert daemon.request("GET", "/v1.44/info")[0] == 200
    assert time.monotonic() - started >= 0.3
    assert daemon.request("DELETE", "/_mockd/faults")[0] == 200
    assert daemon.control("GET", "faults") == {"faults": []}
    injected = [x for x in daemon.findings() if x["kind"] == "fault-injected"]
    assert [(x["name"], x["call"]) for x in injected] == [("error", 1), ("latency", 1)]
    entries = [e for e in read_record(daemon.record_path) if e.get("faults")]
    assert [(e["operation_id"], e["faults"][0]["kind"]) for e in entries] == [
        ("ContainerInspect", "error"), ("SystemInfo", "latency")]


def test_drop_answers_nothing(daemon):
    add_fault(daemon, operation="SystemVersion", kind="drop")
    head, body, closed = raw_exchange(daemon.socket, "GET", "/v1.44/version")
    assert (head, body, closed) == (b"", b"", True)
    add_fault(daemon, operation="SystemInfo", kind="reset")
    assert raw_exchange(daemon.socket, "GET", "/v1.44/info")[:2] == (b"", b"")


def test_reset_over_tcp_is_a_connection_reset(mockd_factory):
    server = mockd_factory("-H", "tcp://127.0.0.1:0", "--fault", "endpoint=SystemInfo,kind=reset")
    port = server._server.runner.addresses[-1][1]
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.sendall(b"GET /v1.44/info HTTP/1.1\r\nHost: localhost\r\n\r\n")
    with pytest.raises(ConnectionResetError):
        while s.recv(4096):
            pass
    s.close()


def test_flag_and_seed_faults(mockd_factory, tmp_path):
    seed = tmp_path / "seed.yaml"
    seed.write_text("faults:\n  - {endpoint: SystemInfo, kind: error, status: 500, message: boom}\n")
    server = mockd_factory("--seed", str(seed), "--fault", "endpoint=GET /version,kind=error,status=503,every=2")
    assert server.request("GET", "/v1.44/info")[:3:2] == (500, b'{"message":"boom"}\n')
    assert [server.request("GET", "/v1.44/version")[0] for _ in range(2)] == [200, 503]
    status, _, data = server.request("POST", "/_mockd/seed", b"faults: []\n", {"Content-Type": "application/yaml"})
    assert status == 200, data
    assert server.request("GET", "/v1.44/info")[0] == 200  # the seed's fault went with the seed
    assert [f["kind"] for f in server.control("GET", "faults")["faults"]] == ["error"]  # the flag's stays


# --- stream faults: the raw bytes ------------------------------------------------------------------------------

def test_plain_logs_are_one_frame_per_chunk(daemon):
    cid = exited_container(daemon)
    _head, body, closed = logs(daemon, cid)
    assert chunks(body) == (PLAIN_FRAMES, True) and closed


def test_split_frame(daemon):
    cid = exited_container(daemon)
    add_fault(daemon, operation="ContainerLogs", kind="split-frame", at=3, ms=20)
    _head, body, _closed = logs(daemon, cid)
    got, complete = chunks(body)
    assert complete
    assert got == [PLAIN_FRAMES[0][:3], PLAIN_FRAMES[0][3:], PLAIN_FRAMES[1][:3], PLAIN_FRAMES[1][3:]]
    assert demultiplex(b"".join(got)) == [(1, b"hello\n"), (2, b"world\n")]  # the same stream, split up


def test_split_frame_on_a_hijacked_attach(daemon):
    cid = exited_container(daemon)
    add_fault(daemon, operation="ContainerAttach", kind="split-frame", at=5, ms=300)
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect(daemon.socket)
    s.sendall(f"POST /v1.44/containers/{cid}/attach?logs=1&stdout=1&stderr=1 HTTP/1.1\r\nHost: docker\r\n"
              "Connection: Upgrade\r\nUpgrade: tcp\r\n\r\n".encode())
    data = b""
    while b"\r\n\r\n" not in data:
        data += s.recv(4096)
    head, _, rest = data.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 101 UPGRADED")
    while len(rest) < 5:
        rest += s.recv(4096)
    assert rest == PLAIN_FRAMES[0][:5]  # what the client's first read gets: 5 bytes of a header (the rest is 300 ms off)
    while chunk := s.recv(4096):
        rest += chunk
    s.close()
    assert rest == b"".join(PLAIN_FRAMES)


def test_short_header(daemon):
    cid = exited_container(daemon)
    add_fault(daemon, operation="ContainerLogs", kind="short-header", after=1, at=4)
    _head, body, closed = logs(daemon, cid)
    assert chunks(body) == ([PLAIN_FRAMES[0], PLAIN_FRAMES[1][:4]], False) and closed  # no last-chunk: cut off


def test_cut_mid_frame(daemon):
    cid = exited_container(daemon)
    add_fault(daemon, operation="ContainerLogs", kind="cut-frame")
    _head, body, closed = logs(daemon, cid)
    assert chunks(body) == ([PLAIN_FRAMES[0][:8 + 3]], False) and closed
    entry = [e for e in read_record(daemon.record_path) if e.get("faults")][-1]
    assert entry["faults"] == [{"id": "f1", "kind": "cut-frame", "call": 1}]


def test_events_stall_then_resume(daemon):
    exited_container(daemon)
    add_fault(daemon, operation="SystemEvents", kind="stall", after=1, ms=400)
    until = int(time.time()) + 30
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect(daemon.socket)
    s.sendall(f"GET /v1.44/events?since=0&until={until} HTTP/1.1\r\nHost: docker\r\n\r\n".encode())
    data = b""
    while not chunks(data.partition(b"\r\n\r\n")[2])[0]:  # the head and the first event
        data += s.recv(65536)
    first_at = time.monotonic()
    head, _, body = data.partition(b"\r\n\r\n")
    first, _ = chunks(body)
    while len(chunks(body)[0]) < 2:
        body += s.recv(65536)
    gap = time.monotonic() - first_at
    s.close()
    events = [json.loads(c) for c in chunks(body)[0]]
    assert b"200 OK" in head and len(first) == 1
    assert gap >= 0.35  # silence after the first event ...
    assert [e["Action"] for e in events[:2]] == ["create", "connect"]  # ... then the stream resumes, nothing lost


def test_close_after_upgrade(daemon):
    cid = exited_container(daemon)
    add_fault(daemon, operation="ContainerAttach", kind="close-after-upgrade")
    head, rest, closed = raw_exchange(daemon.socket, "POST", f"/v1.44/containers/{cid}/attach?logs=1&stdout=1",
                                      upgrade=True)
    assert head.startswith(b"HTTP/1.1 101 UPGRADED") and rest == b"" and closed


def test_pull_ends_with_an_in_stream_error(daemon):
    add_fault(daemon, operation="ImageCreate", kind="progress-error", after=1, message="unexpected EOF")
    head, body, closed = raw_exchange(daemon.socket, "POST", "/v1.44/images/create?fromImage=alpine&tag=3.20")
    got, complete = chunks(body)
    assert head.startswith(b"HTTP/1.1 200 OK") and complete and closed
    assert len(got) == 2 and b"status" in got[0]
    assert got[1] == b'{"errorDetail":{"message":"unexpected EOF"},"error":"unexpected EOF"}\r\n'


def test_wait_that_never_answers(daemon):
    cid = exited_container(daemon)
    add_fault(daemon, operation="ContainerWait", kind="hang")
    head, body, closed = raw_exchange(daemon.socket, "POST", f"/v1.44/containers/{cid}/wait", timeout=1.5)
    assert head.startswith(b"HTTP/1.1 200 OK") and body == b"" and not closed  # headers, then nothing


def test_slow_stream(daemon):
    cid = exited_container(daemon)
    add_fault(daemon, operation="ContainerLogs", kind="slow", bytes_per_second=200)
    started = time.monotonic()
    _head, body, _closed = logs(daemon, cid)
    got, complete = chunks(body)
    assert complete and b"".join(got) == b"".join(PLAIN_FRAMES)
    assert max(len(c) for c in got) == 10 and len(got) == 4  # 200 B/s in 10-byte pieces, 50 ms apart
    assert time.monotonic() - started >= 28 / 200


@pytest.mark.mockd(api_version="1.41", faults=["endpoint=SystemInfo,kind=error,status=500,first=1",
                                               {"endpoint": "GET /version", "kind": "latency", "ms": 1}])
def test_the_pytest_marker_injects_faults(mockd):
    assert mockd.request("GET", "/v1.41/info")[0] == 500
    assert mockd.request("GET", "/v1.41/info")[0] == 200
    assert mockd.request("GET", "/v1.41/version")[0] == 200
    assert [r.get("faults", [{}])[0].get("kind") for r in mockd.requests] == ["error", None, "latency"]
    mockd.clear_faults()
    assert mockd.request("GET", "/_mockd/faults")[2] == b'{"faults": []}\n'
