"""A raw asyncio HTTP/1.1 load client for unix sockets: keep-alive connections, pre-built request bytes,
one latency sample per unit of work, every loop bounded in count and in time.

No HTTP library on the client side: aiohttp's client costs more per request than a bare aiohttp server, and a
load client that is slower than the server it drives measures itself. ``Connection.request`` sends bytes and
returns the parsed answer (status, header block, body: Content-Length, chunked, or none for HEAD/204/304).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field


class ProtocolFailure(Exception):
    """The server answered something this client cannot read (or closed the connection)."""


@dataclass
class Response:
    status: int
    head: bytes  # the header block (status line included), without the blank line
    body: bytes

    def header(self, name: str) -> str | None:
        wanted = name.lower().encode()
        for line in self.head.split(b"\r\n")[1:]:
            key, _, value = line.partition(b":")
            if key.strip().lower() == wanted:
                return value.strip().decode("latin-1")
        return None


def build_request(method: str, target: str, body: bytes | None = None, headers: dict[str, str] | None = None) -> bytes:
    """The bytes of one keep-alive request (``Host: docker``, as the Go client sends over a socket)."""
    lines = [f"{method} {target} HTTP/1.1", "Host: docker", "User-Agent: mockd-perf/1"]
    for name, value in (headers or {}).items():
        lines.append(f"{name}: {value}")
    if body is not None:
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + (body or b"")


class _Reader(asyncio.Protocol):
    """Accumulates bytes; ``wait_for(n)`` wakes the reader when the buffer changes."""

    def __init__(self) -> None:
        self.buf = bytearray()
        self.waiter: asyncio.Future[None] | None = None
        self.closed = False
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self.buf += data
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_result(None)

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_result(None)

    async def more(self) -> None:
        if self.closed:
            raise ProtocolFailure("connection closed by the server")
        self.waiter = asyncio.get_running_loop().create_future()
        await self.waiter
        self.waiter = None


class Connection:
    def __init__(self, reader: _Reader) -> None:
        self._r = reader

    @classmethod
    async def open(cls, socket_path: str) -> Connection:
        loop = asyncio.get_running_loop()
        _, proto = await loop.create_unix_connection(_Reader, socket_path)
        return cls(proto)

    def close(self) -> None:
        if self._r.transport is not None:
            self._r.transport.close()

    def send(self, data: bytes) -> None:
        assert self._r.transport is not None
        self._r.transport.write(data)

    async def request(self, data: bytes, *, head: bool = False, keep_body: bool = True) -> Response:
        self.send(data)
        return await self.read_response(head=head, keep_body=keep_body)

    async def read_response(self, *, head: bool = False, keep_body: bool = True) -> Response:
        r = self._r
        while True:
            end = r.buf.find(b"\r\n\r\n")
            if end >= 0:
                break
            await r.more()
        block = bytes(r.buf[:end])
        del r.buf[: end + 4]
        try:
            status = int(block[9:12])
        except ValueError:
            raise ProtocolFailure(f"bad status line {block[:40]!r}") from None
        lower = block.lower()
        if head or status in (204, 304) or 100 <= status < 200:
            return Response(status, block, b"")
        at = lower.find(b"\r\ncontent-length:")
        if at >= 0:
            stop = lower.find(b"\r\n", at + 2)
            length = int(block[at + 17: stop if stop >= 0 else len(block)])
            while len(r.buf) < length:
                await r.more()
            body = bytes(r.buf[:length]) if keep_body else b""
            del r.buf[:length]
            return Response(status, block, body)
        if b"\r\ntransfer-encoding: chunked" in lower:
            return Response(status, block, await self._chunked(keep_body))
        raise ProtocolFailure(f"answer without a length: {block[:200]!r}")

    async def _chunked(self, keep_body: bool, on_data: Callable[[bytes], None] | None = None) -> bytes:
        r = self._r
        parts: list[bytes] = []
        while True:
            while True:
                eol = r.buf.find(b"\r\n")
                if eol >= 0:
                    break
                await r.more()
            size = int(bytes(r.buf[:eol]).split(b";")[0], 16)
            while len(r.buf) < eol + 2 + size + 2:
                await r.more()
            if size == 0:
                del r.buf[: eol + 4]  # no trailers from these servers
                return b"".join(parts)
            chunk = bytes(r.buf[eol + 2: eol + 2 + size])
            del r.buf[: eol + 2 + size + 2]
            if on_data is not None:
                on_data(chunk)
            if keep_body:
                parts.append(chunk)

    async def stream(self, data: bytes, on_data: Callable[[bytes], None]) -> int:
        """Send a request whose answer is an endless chunked stream; ``on_data`` gets each chunk. Returns
        the status once the head arrived; the stream is read until the connection ends (run it as a task)."""
        self.send(data)
        r = self._r
        while True:
            end = r.buf.find(b"\r\n\r\n")
            if end >= 0:
                break
            await r.more()
        block = bytes(r.buf[:end])
        del r.buf[: end + 4]
        if b"chunked" not in block.lower():
            raise ProtocolFailure(f"not a chunked stream: {block[:200]!r}")
        await self._chunked(False, on_data)
        return int(block[9:12])


@dataclass
class Measured:
    """One measurement: units done, wall seconds, a latency sample per unit (seconds), failures."""

    units: int = 0
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    failures: int = 0
    first_failure: str = ""
    server_cpu: float = 0.0  # CPU seconds the server process spent meanwhile (when known)

    def add(self, other: Measured) -> None:
        self.server_cpu += other.server_cpu
        self.units += other.units
        self.seconds += other.seconds
        self.latencies += other.latencies
        self.failures += other.failures
        self.first_failure = self.first_failure or other.first_failure

    @property
    def cpu_per_unit(self) -> float:
        return self.server_cpu / self.units if self.units else float("nan")

    @property
    def rate(self) -> float:
        return self.units / self.seconds if self.seconds else 0.0

    def percentile(self, q: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


Unit = Callable[[Connection], Awaitable[None]]


async def _drive(socket_path: str, unit: Unit, connections: int, seconds: float, max_units: int) -> Measured:
    conns = [await Connection.open(socket_path) for _ in range(connections)]
    out = Measured()
    budget = [max_units]
    clock = time.perf_counter

    async def worker(conn: Connection) -> None:
        while budget[0] > 0 and clock() < deadline:
            budget[0] -= 1
            t0 = clock()
            try:
                await unit(conn)
            except Exception as exc:  # noqa: BLE001 - counted and reported, never hidden
                out.failures += 1
                out.first_failure = out.first_failure or f"{type(exc).__name__}: {exc}"
                return
            out.latencies.append(clock() - t0)
            out.units += 1

    started = clock()
    deadline = started + seconds
    try:
        await asyncio.wait_for(asyncio.gather(*(worker(c) for c in conns)), timeout=seconds + 60)
    finally:
        out.seconds = clock() - started
        for conn in conns:
            conn.close()
    return out


def measure(socket_path: str, unit: Unit, *, connections: int = 16, seconds: float = 2.0,
            max_units: int = 200_000) -> Measured:
    """Run ``unit`` on ``connections`` keep-alive connections until ``seconds`` pass or ``max_units`` are done."""
    return asyncio.run(_drive(socket_path, unit, connections, seconds, max_units))


def simple(data: bytes, *, head: bool = False, expect: int | None = None) -> Unit:
    """A unit of one pre-built request; ``expect`` checks the status."""

    async def unit(conn: Connection) -> None:
        resp = await conn.request(data, head=head, keep_body=False)
        if expect is not None and resp.status != expect:
            raise ProtocolFailure(f"status {resp.status}, expected {expect}")

    return unit


async def one(socket_path: str, data: bytes, *, head: bool = False) -> Response:
    conn = await Connection.open(socket_path)
    try:
        return await conn.request(data, head=head)
    finally:
        conn.close()


def fetch(socket_path: str, data: bytes, *, head: bool = False) -> Response:
    """One request on a fresh connection, answer kept (the suite's set-up and capture calls)."""
    return asyncio.run(one(socket_path, data, head=head))
