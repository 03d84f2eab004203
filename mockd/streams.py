"""Container and exec output as dockerd streams it, whatever carries it (hijacked socket, chunked body, websocket).

- **Framing**: :func:`stream_media_type` (the label), :func:`multiplex_frame` / :func:`output_frame` (dockerd's
  stdcopy format: raw with a TTY, ``[stream, 0, 0, 0, size uint32 BE] + payload`` without), :func:`demultiplex`.
- **One output pump** (:func:`pump_output`) for every attach variant (hijacked, plain 200, websocket) and exec
  start: the backlog, then live output from a subscriber queue until its end marker, through a ``send``
  callback that knows the carrier (:func:`framed` for byte streams).
- **One input pump** (:func:`pump_input`): the client's bytes into a process's stdin (attach and exec).
- **One follow loop** (:func:`follow`) for logs and events: items from a subscriber queue as they arrive,
  until the end marker or a deadline (``until``).
- **Disconnects** (:func:`client_gone`, :func:`unless_gone`): every wait of a long-lived answer (events, logs
  follow, container wait, attach, exec) also ends when the client's connection is gone, so a client that hangs
  up leaves no task and no subscriber queue behind. aiohttp tells a handler nothing about a lost connection
  until it writes (and mockd does not let aiohttp cancel handlers: a ``docker stop`` whose client hangs up must
  still stop the container, as in dockerd), so the waits look at the transport every :data:`DISCONNECT_POLL`.

The connection takeover itself is :mod:`mockd.hijack`; this module never touches a transport.
"""

from __future__ import annotations

import asyncio
import struct
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from typing import Protocol, TypeVar

from aiohttp import web

from mockd.behaviours import behaves
from mockd.engine.detach import EscapeProxy
from mockd.engine.ids import now_ns
from mockd.engine.pipe import Pipe, terminal_input

STDIN, STDOUT, STDERR = 0, 1, 2
RAW_STREAM = "application/vnd.docker.raw-stream"
MULTIPLEXED_STREAM = "application/vnd.docker.multiplexed-stream"

Chunk = tuple[int, bytes]  # (stream id, data): what containers and execs publish to their subscribers
Send = Callable[[int, bytes], Awaitable[object]]
Gone = Callable[[], bool]  # whether the client's connection is gone
T = TypeVar("T")

# How soon a wait notices that its client hung up (seconds). Not a timeout: waits last as long as the client stays.
DISCONNECT_POLL = 0.25
# Between a 101 and the first output on the taken-over connection (an exec's start, an attach's log backlog): as
# long as dockerd takes to start a process or open the log file. docker-py reads the hijacked socket underneath
# http.client's buffer, so bytes that arrive together with the 101 would be lost to it.
FIRST_OUTPUT_DELAY = 0.02


# --- disconnects -----------------------------------------------------------------------------------------------


def client_gone(request: web.BaseRequest) -> Gone:
    """Whether the connection of ``request`` is gone (closed, reset, or closing). Works for a taken-over
    connection too: the transport is the same."""

    def gone() -> bool:
        transport = request.transport
        return transport is None or transport.is_closing()

    return gone


async def unless_gone(awaitable: Awaitable[T], gone: Gone | None, until_ns: int | None = None) -> T:
    """``await awaitable``; ConnectionResetError as soon as ``gone()`` (checked every DISCONNECT_POLL seconds),
    TimeoutError once the time ``until_ns`` has passed. The awaitable is cancelled when it is given up on."""
    if gone is None and until_ns is None:
        return await awaitable
    waiting = asyncio.ensure_future(awaitable)
    try:
        while True:
            timeout = DISCONNECT_POLL if gone is not None else None
            if until_ns is not None:
                left = max((until_ns - now_ns()) / 1e9, 0)
                timeout = left if timeout is None else min(timeout, left)
            done, _ = await asyncio.wait({waiting}, timeout=timeout)
            if done:
                return waiting.result()
            if until_ns is not None and now_ns() >= until_ns:
                raise TimeoutError
            if gone is not None and gone():
                raise ConnectionResetError("the client went away")
    finally:
        if not waiting.done():
            waiting.cancel()


# --- framing ---------------------------------------------------------------------------------------------------


def stream_media_type(version: str, tty: bool) -> str:
    """From API 1.42 dockerd labels multiplexed (non-TTY) output as such; raw otherwise."""
    if tty or not behaves("multiplexed-stream-content-type", version):
        return RAW_STREAM
    return MULTIPLEXED_STREAM


def multiplex_frame(stream_id: int, data: bytes) -> bytes:
    """One frame of dockerd's stdcopy format: [stream, 0, 0, 0, size uint32 BE] + payload."""
    return struct.pack(">BxxxI", stream_id, len(data)) + data


def output_frame(tty: bool, stream_id: int, data: bytes) -> bytes:
    """Container/exec output as dockerd sends it: raw with a TTY, multiplexed without."""
    return data if tty else multiplex_frame(stream_id, data)


def demultiplex(data: bytes) -> list[tuple[int, bytes]]:
    """Split a buffer of complete frames (tests use it)."""
    out, pos = [], 0
    while pos + 8 <= len(data):
        stream_id, size = struct.unpack(">BxxxI", data[pos:pos + 8])
        out.append((stream_id, data[pos + 8:pos + 8 + size]))
        pos += 8 + size
    if pos != len(data):
        raise ValueError(f"truncated frame at byte {pos} of {len(data)}")
    return out


def framed(tty: bool, write: Callable[[bytes], Awaitable[object]]) -> Send:
    """A ``send`` for :func:`pump_output` writing each chunk to a byte stream, framed as dockerd frames it."""

    async def send(stream_id: int, data: bytes) -> None:
        await write(output_frame(tty, stream_id, data))

    return send


# --- pumps -----------------------------------------------------------------------------------------------------


async def pump_output(queue: asyncio.Queue[Chunk | None] | None, send: Send, *, backlog: Iterable[Chunk] = (),
                      want: Callable[[int], object] | None = None, gone: Gone | None = None) -> None:
    """``backlog``, then the live chunks of ``queue`` until its end marker (None), to ``send(stream, data)``;
    only the streams ``want(stream)`` accepts (all when None). Without a queue, the backlog only.

    A client that went away (a failed send, or ``gone()`` while waiting for output) raises ConnectionResetError:
    the caller decides whether that ends the stream quietly (hijacked connections) or is the request's failure."""
    for stream_id, data in backlog:
        if want is None or want(stream_id):
            await send(stream_id, data)
    if queue is None:
        return
    while (item := await unless_gone(queue.get(), gone)) is not None:
        if want is None or want(item[0]):
            await send(*item)


class Attached(Protocol):
    """What takes a client's input: a container or an exec (``mockd.engine``)."""

    @property
    def tty(self) -> bool: ...

    stdin: Pipe

    def emit(self, stream: int, data: bytes) -> None: ...


async def pump_input(read: Callable[[], Awaitable[bytes]], target: Attached, *, close_at_eof: bool,
                     detach_keys: bytes = b"") -> bool:
    """Client bytes -> ``target``'s stdin until the client half-closes (``read()`` gives b"") or, with a TTY, types
    the detach keys (``detach_keys``, default ctrl-p ctrl-q; only a TTY's input is watched, as in dockerd): True
    when it detached. With a TTY the bytes go through the terminal (echo, line editing). ``close_at_eof``: the
    half-close also ends stdin (exec; attach with ``StdinOnce``)."""
    escape = EscapeProxy(detach_keys) if target.tty else None
    while data := await read():
        if escape is not None:
            data, detached = escape.feed(data)
            if detached:
                return True
            if data:
                terminal_input(data, target.stdin, lambda d: target.emit(STDOUT, d))
        else:
            target.stdin.feed(data)
    if close_at_eof:
        target.stdin.close()
    return False


async def serve_hijacked(output: Awaitable[None], stdin: Awaitable[bool] | None) -> bool:
    """A hijacked stream's output and input pumps together, until the output ends or the client detaches
    (True). The client's half-close ends only the input; a client gone ends the output quietly."""
    out_task = asyncio.ensure_future(output)
    in_task = asyncio.ensure_future(stdin) if stdin is not None else None
    try:
        while True:
            waits = {out_task} | ({in_task} if in_task is not None else set())
            done, _ = await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
            if in_task is not None and in_task in done:
                if not in_task.cancelled() and in_task.exception() is None and in_task.result():
                    return True
                in_task = None
            if out_task in done:
                if not out_task.cancelled() and not isinstance(out_task.exception(), ConnectionResetError | None):
                    raise out_task.exception()  # type: ignore[misc]
                return False
    finally:
        for task in (out_task, in_task):
            if task is not None and not task.done():
                task.cancel()


# --- the follow loop -------------------------------------------------------------------------------------------


async def follow(queue: asyncio.Queue[T | None], until_ns: int | None = None, *,
                 gone: Gone | None = None) -> AsyncIterator[T]:
    """The items of a subscriber queue as they arrive, until its end marker (None) or, with ``until_ns``, until
    that time passes (``logs --until``, ``events --until``); ConnectionResetError once ``gone()``. Use it with
    ``contextlib.aclosing``."""
    while True:
        try:
            item = await unless_gone(queue.get(), gone, until_ns)
        except TimeoutError:
            return
        if item is None:
            return
        yield item


# --- stream faults (fault injection: mockd.faults, mockd.fault_inject) -----------------------------------------
#
# Every stream answer leaves mockd through one write callable per answer: ``StreamResponse.write`` (chunked bodies:
# logs, events, progress, wait, plain attach) or ``HijackedStream.write`` (101 UPGRADED). Each write is one unit
# of the stream: one multiplexed frame, one JSON message. A stream fault wraps that callable (:func:`faulty_write`)
# and so spoils exactly the bytes a client receives, with the handlers unchanged.

Write = Callable[[bytes], Awaitable[object]]
FRAME_HEADER = 8


class StreamFault(Protocol):
    """What :func:`faulty_write` reads of a fault (``mockd.faults.Fault``)."""

    kind: str
    ms: int
    after: int
    at: int
    bytes_per_second: int

    @property
    def text(self) -> str: ...


def progress_error_message(message: str) -> bytes:
    """A progress stream's in-stream failure as dockerd's jsonmessage writes it (HTTP status stays 200)."""
    import json

    return json.dumps({"errorDetail": {"message": message}, "error": message}, separators=(",", ":")).encode()


def faulty_write(write: Write, fault: StreamFault, *, close: Callable[[], None], gone: Gone,
                 separator: bytes = b"\r\n") -> Write:
    """``write`` with ``fault`` applied to the stream's writes (counted from 0; the fault's ``after``-th is the
    first one spoiled). ``close`` ends the connection after what was written; ``gone`` tells a vanished client."""
    count = 0
    spent = False  # the stream is over for the client (cut, or ended by a progress error): later writes vanish

    async def cut(data: bytes, keep: int) -> None:
        nonlocal spent
        await write(data[:keep])
        spent = True
        close()
        raise ConnectionResetError(f"mockd fault {fault.kind}: stream cut after {keep} of {len(data)} bytes")

    async def spoiled(data: bytes) -> None:
        nonlocal count, spent
        n, count = count, count + 1
        if spent:
            if fault.kind == "progress-error":
                return  # the handler's remaining messages never reach the client; its end of stream does
            raise ConnectionResetError(f"mockd fault {fault.kind}: the stream was cut")
        if n < fault.after or not data:
            await write(data)
            return
        kind = fault.kind
        if kind == "split-frame":
            at = min(max(fault.at, 1), len(data) - 1) if len(data) > 1 else len(data)
            await write(data[:at])
            await asyncio.sleep(fault.ms / 1000 if fault.ms else 0.1)  # apart: two reads on the client's side
            if data[at:]:
                await write(data[at:])
        elif kind == "short-header":
            await cut(data, min(max(fault.at, 1), FRAME_HEADER - 1, len(data)))
        elif kind == "cut-frame":
            payload = len(data) - FRAME_HEADER
            await cut(data, FRAME_HEADER + max(payload // 2, 1) if payload > 1 else max(len(data) - 1, 1))
        elif kind == "stall":
            if n == fault.after:
                await asyncio.sleep(fault.ms / 1000)
            await write(data)
        elif kind == "progress-error":
            await write(progress_error_message(fault.text) + separator)
            spent = True
        elif kind == "hang":
            while not gone():  # the answer never comes; the wait ends only when the client gives up
                await asyncio.sleep(DISCONNECT_POLL)
            raise ConnectionResetError("the client went away")
        elif kind == "slow":
            piece = max(1, fault.bytes_per_second // 20)
            for start in range(0, len(data), piece):
                await write(data[start:start + piece])
                await asyncio.sleep(min(piece, len(data) - start) / fault.bytes_per_second)
        else:
            await write(data)

    return spoiled
