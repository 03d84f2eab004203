"""A byte pipe for a simulated process's stdin (and between commands of a shell pipeline)."""

from __future__ import annotations

import asyncio
import re


class Pipe:
    def __init__(self, closed: bool = False):
        self._buf = bytearray()
        self._eof = closed
        self._changed = asyncio.Event()

    @property
    def closed(self) -> bool:
        return self._eof

    def feed(self, data: bytes) -> None:
        if self._eof or not data:
            return
        self._buf += data
        self._changed.set()

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
        return data

    async def readline(self) -> bytes:
        while b"\n" not in self._buf and not self._eof:
            await self._wait()
        idx = self._buf.find(b"\n")
        size = idx + 1 if idx >= 0 else len(self._buf)
        data = bytes(self._buf[:size])
        del self._buf[:size]
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
