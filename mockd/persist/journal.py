"""The journal's framing: each record is ``length (u32) | crc32 (u32) | payload``, appended and fsync'ed.

A record cut short by a crash (the tail shorter than its length, or a checksum that fails on the very last
record) is a torn write that was never acknowledged: reading stops there and the file is cut back to the last
whole record. A bad record followed by good ones is corruption, refused with `CorruptState`."""

from __future__ import annotations

import os
import struct
import zlib
from collections.abc import Iterator

HEADER = struct.Struct("<II")


class CorruptState(Exception):
    """The state directory cannot be read as mockd's: the daemon must not start on it."""


def frame(payload: bytes) -> bytes:
    return HEADER.pack(len(payload), zlib.crc32(payload)) + payload


def read_records(path: str) -> tuple[list[bytes], int]:
    """The whole records of the journal at ``path`` and the offset where they end (torn tail excluded)."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        return [], 0
    return list(_records(data, path)), _good_end(data)


def _walk(data: bytes) -> Iterator[tuple[int, int, bool]]:
    """(start, end, checksum ok) of each whole frame; stops at a torn tail."""
    pos = 0
    while pos + HEADER.size <= len(data):
        length, crc = HEADER.unpack_from(data, pos)
        end = pos + HEADER.size + length
        if end > len(data):
            return
        yield pos, end, zlib.crc32(data[pos + HEADER.size:end]) == crc
        pos = end


def _records(data: bytes, path: str) -> Iterator[bytes]:
    frames = list(_walk(data))
    for i, (start, end, ok) in enumerate(frames):
        if not ok:
            if i == len(frames) - 1:
                return  # the last record torn mid-payload: never acknowledged
            raise CorruptState(f"{path}: record at offset {start} fails its checksum and is not the last one")
        yield data[start + HEADER.size:end]


def _good_end(data: bytes) -> int:
    end = 0
    for _start, stop, ok in _walk(data):
        if not ok:
            break
        end = stop
    return end


class Journal:
    """An append-only file; `append` writes and fsyncs (called from a worker thread, never the event loop)."""

    def __init__(self, path: str, good_end: int) -> None:
        self.path = path
        self.fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
        os.ftruncate(self.fd, good_end)  # drop a torn tail so new records follow the last whole one
        os.lseek(self.fd, good_end, os.SEEK_SET)
        self.size = good_end

    def append(self, payloads: list[bytes]) -> None:
        blob = b"".join(frame(p) for p in payloads)
        os.write(self.fd, blob)
        os.fsync(self.fd)
        self.size += len(blob)

    def truncate(self) -> None:
        os.ftruncate(self.fd, 0)
        os.lseek(self.fd, 0, os.SEEK_SET)
        os.fsync(self.fd)
        self.size = 0

    def close(self) -> None:
        os.close(self.fd)
