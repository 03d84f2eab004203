"""HTTP limits and unparseable requests answered as dockerd's Go server answers them (issue 9, item 9).

Each row is sent as raw bytes to mockd and to the real dockerd 20.10 (when it can run here) and the answers'
status line, Content-Type, Connection and body are compared with the expected ones, measured on dockerd 20.10.
After the rows, mockd's state is unchanged and it still answers."""

from __future__ import annotations

import json
import socket

import pytest

from mockd.httpserver import GO_MAX_HEADER_BYTES
from tests.realdaemons import real_dockerd  # noqa: F401  (fixture)

OK = ("HTTP/1.1 200 OK", "application/json", None, None)
HEADERS_TOO_LARGE = ("HTTP/1.1 431 Request Header Fields Too Large", "text/plain; charset=utf-8", "close",
                     b"431 Request Header Fields Too Large")
BAD_REQUEST = ("HTTP/1.1 400 Bad Request", "text/plain; charset=utf-8", "close", b"400 Bad Request")
NOT_FOUND = ("HTTP/1.1 404 Not Found", "application/json", None, b'{"message":"page not found"}\n')


def _get(target: bytes, extra: bytes = b"") -> bytes:
    return b"GET " + target + b" HTTP/1.1\r\nHost: docker\r\n" + extra + b"\r\n"


ROWS = [
    ("request line of 9,000 bytes", _get(b"/v1.41/containers/json?x=" + b"a" * 9000), OK),
    ("request line of 200 KB", _get(b"/v1.41/containers/json?x=" + b"a" * 200_000), OK),
    ("150 headers", _get(b"/v1.41/version", b"".join(b"X-H%d: v\r\n" % i for i in range(150))), OK),
    ("one 64 KB header", _get(b"/v1.41/version", b"X-Big: " + b"a" * 65536 + b"\r\n"), OK),
    ("headers of 900 KB", _get(b"/v1.41/version", b"X-Big: " + b"a" * 900_000 + b"\r\n"), OK),
    ("a header beyond Go's 1 MB", _get(b"/v1.41/version", b"X-Big: " + b"a" * (GO_MAX_HEADER_BYTES + 10) + b"\r\n"),
     HEADERS_TOO_LARGE),
    ("a request line beyond Go's 1 MB", _get(b"/v1.41/version?x=" + b"a" * (GO_MAX_HEADER_BYTES + 10)),
     HEADERS_TOO_LARGE),
    ("an unknown method", b"FOO /v1.41/version HTTP/1.1\r\nHost: docker\r\n\r\n", NOT_FOUND),
    ("a method without a route", b"PATCH /v1.41/version HTTP/1.1\r\nHost: docker\r\n\r\n", NOT_FOUND),
    ("not HTTP at all", b"GARBAGE\r\n\r\n", BAD_REQUEST),
    ("a header line without a colon", _get(b"/v1.41/version", b"NoColonHere\r\n"), BAD_REQUEST),
]


def exchange(path: str, raw: bytes, timeout: float = 10.0) -> tuple[str, dict[str, str], bytes]:
    """Send ``raw``, read one answer (until Content-Length or close) and split it."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    sock.connect(path)
    try:
        try:
            sock.sendall(raw)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered and closed before reading everything: read the answer
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
        if "content-length" in headers:
            while len(body) < int(headers["content-length"]):
                chunk = sock.recv(65536)
                if not chunk:
                    break
                body += chunk
        else:
            while chunk := sock.recv(65536):
                body += chunk
        return lines[0], headers, body
    finally:
        sock.close()


def _objects(server) -> dict:
    """What the daemon holds (containers, images, ...), without counters of requests and findings."""
    state = json.loads(server.request("GET", "/_mockd/state")[2])
    return {"engine": state["engine"], "swarm": state["swarm"]}


def check(answer: tuple[str, dict[str, str], bytes], expected: tuple) -> None:
    status_line, headers, body = answer
    want_status, want_type, want_connection, want_body = expected
    assert status_line == want_status
    assert headers.get("content-type") == want_type
    if want_connection is not None:
        assert headers.get("connection") == want_connection
    if want_body is not None:
        assert body == want_body
    assert "python" not in headers.get("server", "").lower() and b"bytearray" not in body


@pytest.mark.parametrize("name,raw,expected", ROWS, ids=[r[0] for r in ROWS])
def test_mockd_answers_like_go(mockd_server, name: str, raw: bytes, expected: tuple) -> None:
    before = _objects(mockd_server)
    check(exchange(mockd_server.socket, raw), expected)
    assert _objects(mockd_server) == before
    assert mockd_server.request("GET", "/_ping")[0] == 200


@pytest.mark.realdaemon
@pytest.mark.parametrize("name,raw,expected", ROWS, ids=[r[0] for r in ROWS])
def test_real_dockerd_answers_as_the_table_says(real_dockerd, name: str, raw: bytes, expected: tuple) -> None:  # noqa: F811
    check(exchange(real_dockerd.socket, raw), expected)
