"""Connection takeover (mockd.hijack) with a fake echo handler, over a real unix socket; stdcopy framing (mockd.streams)."""

from __future__ import annotations

import asyncio
import json
import socket
import time

import pytest

from mockd.hijack import hijack
from mockd.keys import HANDLERS
from mockd.pytest_plugin import MockdServer
from mockd.streams import (
    MULTIPLEXED_STREAM,
    RAW_STREAM,
    STDERR,
    STDOUT,
    demultiplex,
    multiplex_frame,
    stream_media_type,
)


async def echo(request, ctx):
    """Echo stdin back as stdout frames until the client half-closes, then say bye on stderr after a pause."""
    async with hijack(request, stream_media_type(ctx.version, tty=False)) as stream:
        if ctx.has_body:
            await stream.write(multiplex_frame(STDOUT, json.dumps(ctx.body).encode()))
        while data := await stream.read():
            await stream.write(multiplex_frame(STDOUT, data))
        await asyncio.sleep(0.2)  # output after the client's half-close must still arrive
        await stream.write(multiplex_frame(STDERR, b"bye"))
    return stream.response


def upgrade_exchange(sock_path: str, path: str, send: bytes, body: bytes = b"") -> tuple[bytes, bytes]:
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect(sock_path)
    head = (f"POST {path} HTTP/1.1\r\nHost: \r\nConnection: Upgrade\r\nUpgrade: tcp\r\n"
            + (f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n" if body else "") + "\r\n")
    s.sendall(head.encode() + body)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = s.recv(4096)
        assert chunk, data
        data += chunk
    headers, rest = data.split(b"\r\n\r\n", 1)
    if send:
        s.sendall(send)
    s.shutdown(socket.SHUT_WR)  # half-close like the docker CLI
    while chunk := s.recv(65536):
        rest += chunk
    s.close()
    return headers, rest


@pytest.fixture
def echo_server(mockd_server):
    mockd_server.app[HANDLERS]["ContainerAttach"] = echo
    mockd_server.app[HANDLERS]["ExecStart"] = echo
    return mockd_server


def test_frames_roundtrip():
    assert multiplex_frame(STDOUT, b"hi") == b"\x01\x00\x00\x00\x00\x00\x00\x02hi"
    assert demultiplex(multiplex_frame(1, b"a") + multiplex_frame(2, b"")) == [(1, b"a"), (2, b"")]
    with pytest.raises(ValueError):
        demultiplex(b"\x01\x00\x00\x00\x00\x00\x00\x05ab")


def test_media_type_by_version():
    assert stream_media_type("1.41", tty=False) == RAW_STREAM
    assert stream_media_type("1.42", tty=False) == MULTIPLEXED_STREAM
    assert stream_media_type("1.44", tty=True) == RAW_STREAM


def test_attach_101_and_output_after_half_close(echo_server):
    headers, rest = upgrade_exchange(echo_server.socket, "/v1.44/containers/abc/attach?stream=1&stdin=1&stdout=1",
                                     b"hello")
    lines = headers.decode().split("\r\n")
    assert lines[0] == "HTTP/1.1 101 UPGRADED"
    assert f"Content-Type: {MULTIPLEXED_STREAM}" in lines
    assert "Connection: Upgrade" in lines and "Upgrade: tcp" in lines and "Api-Version: 1.56" in lines
    assert demultiplex(rest) == [(STDOUT, b"hello"), (STDERR, b"bye")]


def test_attach_without_stdin_half_closes_at_once(echo_server):
    headers, rest = upgrade_exchange(echo_server.socket, "/v1.41/containers/abc/attach?stream=1&stdout=1", b"")
    assert f"Content-Type: {RAW_STREAM}".encode() in headers
    assert demultiplex(rest) == [(STDERR, b"bye")]


def test_exec_start_body_read_with_upgrade(echo_server):
    body = json.dumps({"Detach": False, "Tty": False}).encode()
    _, rest = upgrade_exchange(echo_server.socket, "/v1.44/exec/e1/start", b"in", body=body)
    frames = demultiplex(rest)
    assert frames[0][0] == STDOUT and json.loads(frames[0][1]) == {"Detach": False, "Tty": False}
    assert frames[1:] == [(STDOUT, b"in"), (STDERR, b"bye")]


def test_exec_output_waits_until_a_slow_client_has_read_the_101():
    """docker-py reads the hijacked socket from under http.client's buffered reader, so output that arrives
    in one read with the 101's headers is lost to it (its exec tests got b"" under load): the first output
    waits until the client has read the headers, however long it takes to read them."""
    with MockdServer(["--api-version", "1.41"]) as mock:
        assert mock.request("POST", "/v1.41/images/create?fromImage=busybox&tag=latest")[0] == 200
        call = lambda method, path, body=None: json.loads(mock.request(  # noqa: E731
            method, path, json.dumps(body).encode() if body is not None else None,
            headers={"Content-Type": "application/json"})[2] or b"null")
        cid = call("POST", "/v1.41/containers/create", {"Image": "busybox", "Cmd": ["cat"], "OpenStdin": True})["Id"]
        call("POST", f"/v1.41/containers/{cid}/start")
        ex = call("POST", f"/v1.41/containers/{cid}/exec", {"Cmd": ["echo", "hi"], "AttachStdout": True})["Id"]
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(10)
        s.connect(mock.socket)
        body = b'{"Detach": false, "Tty": false}'
        s.sendall(f"POST /v1.41/exec/{ex}/start HTTP/1.1\r\nHost: \r\nConnection: Upgrade\r\nUpgrade: tcp\r\n"
                  f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n".encode() + body)
        time.sleep(0.5)  # a client slower than the exec: it reads only now
        first = s.recv(65536)
        assert first.startswith(b"HTTP/1.1 101 UPGRADED\r\n") and first.endswith(b"\r\n\r\n"), first
        rest = b""
        while chunk := s.recv(65536):
            rest += chunk
        s.close()
        assert demultiplex(rest) == [(STDOUT, b"hi\n")]
        call("DELETE", f"/v1.41/containers/{cid}?force=1")
