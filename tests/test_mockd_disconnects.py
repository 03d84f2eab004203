"""Disconnect hygiene (issue 9, item 2): a client hanging up on a long-lived answer leaves nothing behind.

For each stream kind (events, container wait, logs follow, attach hijacked and plain, exec hijacked) N clients
connect and hang up; then the server's asyncio tasks and its subscriber queues and waiters are back to their
baseline. The server notices a silent hang-up within mockd.streams.DISCONNECT_POLL, so the check waits for
the counts to come back (with a generous deadline), it does not time anything.
"""

from __future__ import annotations

import asyncio
import json
import socket
import time

import pytest

from mockd.engine.events import SUBSCRIBER_BUFFER, EventBus
from mockd.keys import REGISTRY
from mockd.pytest_plugin import MockdServer

N = 20


def _in_loop(server: MockdServer, fn):
    async def run():
        return fn()

    return asyncio.run_coroutine_threadsafe(run(), server._loop).result(10)


def _counts(server: MockdServer, cid: str) -> dict[str, int]:
    def count() -> dict[str, int]:
        eng = server.app[REGISTRY].engine
        c = eng.containers[cid]
        return {"tasks": len(asyncio.all_tasks()), "event subscribers": len(eng.events._subscribers),
                "output subscribers": len(c.subscribers), "waiters": len(c.exit_waiters) + len(c.removed_waiters)}

    return _in_loop(server, count)


def _hang_up(server: MockdServer, head: bytes, until: bytes = b"\r\n\r\n") -> bytes:
    """Send a request, read the answer's head (and whatever came with it), close both directions."""
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    conn.settimeout(10)
    conn.connect(server.socket)
    conn.sendall(head)
    data = b""
    while until not in data:
        chunk = conn.recv(65536)
        if not chunk:
            break
        data += chunk
    conn.close()
    return data


@pytest.fixture
def running(mockd_factory):
    server = mockd_factory()
    assert server.request("POST", "/v1.41/images/create?fromImage=busybox&tag=latest")[0] == 200
    status, _, body = server.request("POST", "/v1.41/containers/create?name=long",
                                     {"Image": "busybox", "Cmd": ["sleep", "1000"], "OpenStdin": True})
    assert status == 201, body
    cid = json.loads(body)["Id"]
    assert server.request("POST", f"/v1.41/containers/{cid}/start")[0] == 204
    return server, cid


KINDS = {
    "events": "GET /v1.41/events HTTP/1.1\r\nHost: d\r\n\r\n",
    "events-filtered": 'GET /v1.41/events?filters=%7B%22type%22%3A%5B%22network%22%5D%7D HTTP/1.1\r\nHost: d\r\n\r\n',
    "wait": "POST /v1.41/containers/{cid}/wait HTTP/1.1\r\nHost: d\r\nContent-Length: 0\r\n\r\n",
    "logs-follow": "GET /v1.41/containers/{cid}/logs?follow=1&stdout=1&stderr=1 HTTP/1.1\r\nHost: d\r\n\r\n",
    "attach-hijacked": "POST /v1.41/containers/{cid}/attach?stream=1&stdin=1&stdout=1 HTTP/1.1\r\nHost: d\r\n"
                       "Connection: Upgrade\r\nUpgrade: tcp\r\n\r\n",
    "attach-plain": "POST /v1.41/containers/{cid}/attach?stream=1&stdout=1 HTTP/1.1\r\nHost: d\r\n\r\n",
}


def _settled(server: MockdServer, cid: str, baseline: dict[str, int]) -> dict[str, int]:
    deadline = time.monotonic() + 20
    counts = _counts(server, cid)
    while counts != baseline and time.monotonic() < deadline:
        time.sleep(0.05)
        counts = _counts(server, cid)
    return counts


@pytest.mark.parametrize("kind", list(KINDS))
def test_hang_ups_leave_no_task_and_no_subscriber(running, kind):
    server, cid = running
    time.sleep(0.1)
    baseline = _counts(server, cid)
    for _ in range(N):
        head = _hang_up(server, KINDS[kind].format(cid=cid).encode())
        assert head.startswith((b"HTTP/1.1 200", b"HTTP/1.1 101")), head[:80]
    assert _settled(server, cid, baseline) == baseline
    # Still serving, and the container untouched by its dropped clients.
    assert json.loads(server.request("GET", f"/v1.41/containers/{cid}/json")[2])["State"]["Running"] is True


def test_exec_hang_ups_leave_nothing(running):
    server, cid = running
    time.sleep(0.1)
    baseline = _counts(server, cid)
    for _ in range(N):
        status, _, body = server.request("POST", f"/v1.41/containers/{cid}/exec",
                                         {"Cmd": ["cat"], "AttachStdin": True, "AttachStdout": True})
        assert status == 201, body
        exec_id = json.loads(body)["Id"]
        payload = b'{"Detach":false,"Tty":false}'
        head = (f"POST /v1.41/exec/{exec_id}/start HTTP/1.1\r\nHost: d\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n"
                f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n\r\n").encode() + payload
        assert _hang_up(server, head).startswith(b"HTTP/1.1 101")
    # cat's stdin ends with the hang-up, so each exec ends too: nothing of them stays running.
    assert _settled(server, cid, baseline) == baseline


def test_a_half_closed_attach_keeps_streaming(running):
    """Not a hang-up: a client without stdin half-closes after the 101 and still gets the output."""
    server, cid = running
    status, _, body = server.request("POST", "/v1.41/containers/create?name=talker",
                                     {"Image": "busybox", "Cmd": ["sh", "-c", "sleep 0.5; echo late"]})
    talker = json.loads(body)["Id"]
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    conn.settimeout(10)
    conn.connect(server.socket)
    conn.sendall(f"POST /v1.41/containers/{talker}/attach?stream=1&stdout=1 HTTP/1.1\r\nHost: d\r\n"
                 "Connection: Upgrade\r\nUpgrade: tcp\r\n\r\n".encode())
    data = b""
    while b"\r\n\r\n" not in data:
        data += conn.recv(65536)
    conn.shutdown(socket.SHUT_WR)
    assert server.request("POST", f"/v1.41/containers/{talker}/start")[0] == 204
    while b"late\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            break
        data += chunk
    conn.close()
    assert b"late\n" in data


async def test_event_subscriber_queues_are_bounded_like_dockerds():
    bus = EventBus()
    slow, fast = bus.subscribe(), bus.subscribe()
    got = []
    for i in range(SUBSCRIBER_BUFFER + 100):
        bus.emit("network", "create", f"n{i}")
        got.append(fast.get_nowait().actor_id)
    assert SUBSCRIBER_BUFFER == 1024  # dockerd's buffer (moby daemon/events/events.go)
    assert slow.qsize() == SUBSCRIBER_BUFFER and slow.get_nowait().actor_id == "n0"  # the newest are skipped
    assert len(got) == SUBSCRIBER_BUFFER + 100  # a subscriber that keeps up misses nothing
    assert len(bus.history) > 0
