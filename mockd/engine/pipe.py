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
    """What a terminal in cooked mode does with typed bytes: CR becomes NL, input is echoed, Ctrl-D at
    the start of a line ends the input."""
    text = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    if b"\x04" in text:
        before = text.split(b"\x04", 1)[0]
        if before:
            echo(_echoed(before))
            pipe.feed(before)
        pipe.close()
        return
    echo(_echoed(text))
    pipe.feed(text)
