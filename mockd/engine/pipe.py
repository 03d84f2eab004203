"""A byte pipe for a simulated process's stdin (and between commands of a shell pipeline)."""

from __future__ import annotations

import asyncio
import re


class BrokenPipe(Exception):
    """Written after the reading end went away: the writer gets SIGPIPE (not an OSError, so no `except OSError`
    around a file operation mistakes it for a missing file)."""


class Pipe:
    # A writer that awaits drain() waits while this much is unread, as a Linux pipe (64 KiB) blocks its writer.
    LIMIT = 64 * 1024

    def __init__(self, closed: bool = False):
        self._buf = bytearray()
        self._eof = closed
        self._reader_gone = False
        self._changed = asyncio.Event()
        self._drained = asyncio.Event()
        self.line = bytearray()  # as a TTY's input: the line being typed, held until its end (terminal_input)
        self.raw = False  # as a TTY's input: a program put the terminal in raw mode (no echo, no line editing)

    @property
    def closed(self) -> bool:
        return self._eof

    def feed(self, data: bytes) -> None:
        if self._reader_gone:
            raise BrokenPipe()
        if self._eof or not data:
            return
        self._buf += data
        self._changed.set()

    def close_reader(self) -> None:
        """The reading end is closed (the next command of a pipeline ended): later writes are a broken pipe."""
        self._reader_gone = True
        self._buf.clear()
        self._drained.set()

    async def drain(self) -> None:
        """Wait until the reader has taken the buffer below LIMIT (backpressure); BrokenPipe once it is gone."""
        while len(self._buf) >= self.LIMIT and not self._reader_gone:
            self._drained.clear()
            await self._drained.wait()
        if self._reader_gone:
            raise BrokenPipe()

    def close(self) -> None:
        self._eof = True
        self._changed.set()

    async def _wait(self) -> None:
        self._changed.clear()
        await self._changed.wait()

    async def read(self, n: int = -1) -> bytes:
        """Whatever is buffered (up to n), waiting for at least one byte; b"" at end of input."""
        while not self._buf and not self._eof:
            await self._wait()
        size = len(self._buf) if n < 0 else min(n, len(self._buf))
        data = bytes(self._buf[:size])
        del self._buf[:size]
        self._drained.set()
        return data

    async def readline(self) -> bytes:
        while b"\n" not in self._buf and not self._eof:
            await self._wait()
        idx = self._buf.find(b"\n")
        size = idx + 1 if idx >= 0 else len(self._buf)
        data = bytes(self._buf[:size])
        del self._buf[:size]
        self._drained.set()
        return data

    async def read_all(self) -> bytes:
        chunks = []
        while chunk := await self.read():
            chunks.append(chunk)
        return b"".join(chunks)


# ECHOCTL (on by default in a Linux tty): control characters other than tab and newline echo as ^X, DEL as ^?.
_CONTROL = re.compile(rb"[\x00-\x08\x0b-\x1f\x7f]")


def _echoed(text: bytes) -> bytes:
    return _CONTROL.sub(lambda m: b"^" + bytes([m.group()[0] ^ 0x40]), text)


def terminal_input(data: bytes, pipe: Pipe, echo) -> None:
    """What a terminal in cooked mode (ICANON, the default) does with typed bytes: CR becomes NL and input is
    echoed (control characters as ^X); the reader gets a line only when it ends (NL), or what was typed so far
    at Ctrl-D, which at the start of a line ends the input; DEL erases the last character (echo "\b \b"),
    Ctrl-U the line. In raw mode (`Pipe.raw`, set by a program such as top) the bytes go through as typed."""
    if pipe.raw:
        pipe.feed(data)
        return
    text = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    shown = bytearray()
    for byte in text:
        if byte == 0x04:  # VEOF
            if pipe.line:
                pipe.feed(bytes(pipe.line))
                pipe.line.clear()
                continue
            if shown:
                echo(bytes(shown))
            pipe.close()
            return
        if byte == 0x7F:  # VERASE
            if pipe.line:
                pipe.line.pop()
                shown += b"\b \b"
            continue
        if byte == 0x15:  # VKILL
            shown += b"\b \b" * len(pipe.line)
            pipe.line.clear()
            continue
        pipe.line.append(byte)
        shown += _echoed(bytes([byte]))
        if byte == 0x0A:
            pipe.feed(bytes(pipe.line))
            pipe.line.clear()
    if shown:
        echo(bytes(shown))
