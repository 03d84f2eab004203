"""Connection takeover for attach, exec start and session: the only module touching raw transports.

dockerd answers ``Upgrade: tcp`` requests with ``HTTP/1.1 101 UPGRADED`` and then speaks raw bytes
both ways on the same connection. Usage, inside a handler (framing: :mod:`mockd.streams`)::

    async with hijack(request, stream_media_type(ctx.version, tty=False)) as stream:
        data = await stream.read()            # b"" once the client half-closed its side
        await stream.write(multiplex_frame(STDOUT, b"hello\\n"))
    return stream.response

Clients without stdin half-close their write side right after the 101 and keep reading, so the
protocol's ``eof_received()`` returns True (keep the transport open; aiohttp's own protocol would
close it and lose all later output). Leaving the ``async with`` block closes the connection.
"""

from __future__ import annotations

import asyncio
import fcntl
import select
import socket
import struct
import termios
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from aiohttp import web

# What the app may hang on a 101 answer before the takeover (fault injection, ``mockd.streams.inject``): called
# with the stream right after the takeover, it may wrap ``stream.write`` or close the connection.
TAKEOVER_HOOK = web.ResponseKey("mockd.takeover-hook", object)


class HijackedStream:
    """Both directions of a taken-over connection."""

    def __init__(self, response: web.StreamResponse, transport: asyncio.Transport) -> None:
        self.response = response
        self.transport = transport
        self._buffer = bytearray()
        self._eof = False
        self._lost = False
        self._data = asyncio.Event()
        self._can_write = asyncio.Event()
        self._can_write.set()

    # fed by the protocol
    def _feed(self, data: bytes) -> None:
        self._buffer += data
        self._data.set()

    def _feed_eof(self) -> None:
        self._eof = True
        self._data.set()

    def _connection_lost(self) -> None:
        self._eof = self._lost = True
        self._data.set()
        self._can_write.set()

    @property
    def closed(self) -> bool:
        """The connection is gone (not just half-closed by the client)."""
        return self._lost or self.transport.is_closing()

    def gone(self) -> bool:
        """:attr:`closed`, or the client closed both directions after its end of input (a unix socket's peer that
        closed says POLLHUP; a half-close does not). Over TCP a vanished client shows only at the next write, as
        for dockerd."""
        if self.closed:
            return True
        if not self._eof:
            return False
        sock = self.transport.get_extra_info("socket")
        if sock is None:
            return False
        probe = select.poll()
        probe.register(sock.fileno(), 0)  # POLLHUP and POLLERR are always reported
        return any(events & (select.POLLHUP | select.POLLERR) for _fd, events in probe.poll(0))

    async def until_read(self, limit: float = 1.0) -> None:
        """Until the client has read all that was sent (at most `limit` seconds; unix sockets only, where the
        kernel tells what the peer has not read yet). docker-py takes the hijacked socket from under
        http.client's buffered reader: what arrives in one read with the 101's headers is lost to it, so the
        first output waits until the headers were read, however slow the client is."""
        sock = self.transport.get_extra_info("socket")
        if sock is None or sock.family != socket.AF_UNIX:
            return
        loop = asyncio.get_running_loop()
        deadline = loop.time() + limit
        while loop.time() < deadline and not self.closed:
            try:
                unread = struct.unpack("i", fcntl.ioctl(sock.fileno(), termios.TIOCOUTQ, b"\0" * 4))[0]
            except OSError:
                return
            if unread <= 0 and not self.transport.get_write_buffer_size():
                return
            await asyncio.sleep(0.002)

    @property
    def at_eof(self) -> bool:
        return self._eof and not self._buffer

    async def read(self, n: int = -1) -> bytes:
        """Up to ``n`` bytes (all buffered when -1) as soon as some arrive; b"" at end of input."""
        while not self._buffer and not self._eof:
            self._data.clear()
            await self._data.wait()
        if n < 0 or n >= len(self._buffer):
            data = bytes(self._buffer)
            self._buffer.clear()
        else:
            data = bytes(self._buffer[:n])
            del self._buffer[:n]
        return data

    async def write(self, data: bytes) -> None:
        if self.closed:
            raise ConnectionResetError("hijacked connection closed")
        self.transport.write(data)
        await self._can_write.wait()

    def close(self) -> None:
        if not self.transport.is_closing():
            self.transport.close()


class _Protocol(asyncio.Protocol):
    def __init__(self, stream: HijackedStream, replaced: asyncio.BaseProtocol | None = None) -> None:
        self.stream = stream
        self.replaced = replaced  # aiohttp's protocol of the connection before the takeover

    def data_received(self, data: bytes) -> None:
        self.stream._feed(data)

    def eof_received(self) -> bool:
        self.stream._feed_eof()
        return True  # a half-close: keep writing to the client

    def pause_writing(self) -> None:
        self.stream._can_write.clear()

    def resume_writing(self) -> None:
        self.stream._can_write.set()

    def connection_lost(self, exc: Exception | None) -> None:
        self.stream._connection_lost()
        # aiohttp's server keeps each connection's protocol until that protocol hears of the connection's end,
        # which after the takeover it never would: one protocol and its parser kept per hijack, for ever (by the
        # server's connection list, and for 75 s by the keep-alive timer armed when the connection was made).
        # Telling it as the transport would have releases both.
        if self.replaced is not None:
            self.replaced.connection_lost(exc)
        self.replaced = None


@asynccontextmanager
async def hijack(request: web.Request, content_type: str, *, upgrade: str = "tcp") -> AsyncIterator[HijackedStream]:
    """Answer 101 UPGRADED and own the connection for the duration of the block."""
    response = web.StreamResponse(status=101, reason="UPGRADED")
    response.headers["Content-Type"] = content_type
    response.headers["Connection"] = "Upgrade"
    response.headers["Upgrade"] = upgrade
    await response.prepare(request)  # StreamResponse sends the headers at once
    # The connection never returns to HTTP: without this, aiohttp's connection task would wait for a next request
    # on it until the keep-alive timeout (75 s), one leaked task per hijack. After prepare: the headers are sent.
    response.force_close()
    transport = request.transport
    if transport is None:
        raise ConnectionResetError("client went away before the takeover")
    stream = HijackedStream(response, transport)  # type: ignore[arg-type]
    # Bytes that arrived before the takeover: what aiohttp buffered behind the request.
    leftover = b""
    if not request.content.at_eof():
        leftover += request.content.read_nowait(-1)
    protocol = request.protocol
    tail = getattr(protocol, "_message_tail", b"")
    if tail:
        leftover += bytes(tail)
        protocol._message_tail = b""  # type: ignore[attr-defined]
    transport.set_protocol(_Protocol(stream, protocol))
    transport.resume_reading()  # aiohttp may have paused it while buffering behind the upgrade
    if leftover:
        stream._feed(leftover)
    hook: Callable[[HijackedStream], None] | None = response.get(TAKEOVER_HOOK)  # type: ignore[assignment]
    if hook is not None:
        hook(stream)
    try:
        yield stream
    finally:
        stream.close()

