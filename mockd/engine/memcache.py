"""memcached's port: its text protocol (protocol.txt of the memcached sources) over one cache per server.

Storage (set, add, replace, append, prepend, cas), retrieval (get, gets), delete, incr/decr, touch, flush_all,
version, stats, verbosity and quit, with the server's answers (STORED, NOT_STORED, EXISTS, NOT_FOUND, DELETED,
TOUCHED, ERROR, CLIENT_ERROR ...). Clients' readiness checks (`stats`, `version`) and the common client libraries
need no more. Lines end in \\r\\n; a bare \\n is accepted, as the real server accepts it.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field

from .netns import Connection, Handler

_RELATIVE_LIMIT = 60 * 60 * 24 * 30  # exptime up to 30 days is relative, beyond an absolute unix time
_STORAGE = ("set", "add", "replace", "append", "prepend", "cas")


@dataclass
class Item:
    flags: int
    value: bytes
    cas: int
    expires: float = 0.0  # 0: never


@dataclass
class Cache:
    version: str = "1.6.45"
    items: dict[bytes, Item] = field(default_factory=dict)
    started: float = field(default_factory=time.time)
    cas_ids: itertools.count = field(default_factory=lambda: itertools.count(1))
    total_items: int = 0
    connections: int = 0

    def get(self, key: bytes) -> Item | None:
        item = self.items.get(key)
        if item is not None and item.expires and item.expires <= time.time():
            del self.items[key]
            return None
        return item

    def put(self, key: bytes, flags: int, value: bytes, exptime: int) -> None:
        self.items[key] = Item(flags, value, next(self.cas_ids), _expires(exptime))
        self.total_items += 1

    def stats(self) -> list[tuple[str, object]]:
        now = time.time()
        live = [k for k in list(self.items) if self.get(k) is not None]
        return [("pid", 1), ("uptime", int(now - self.started)), ("time", int(now)), ("version", self.version),
                ("pointer_size", 64), ("curr_connections", self.connections), ("curr_items", len(live)),
                ("total_items", self.total_items), ("bytes", sum(len(self.items[k].value) for k in live)),
                ("limit_maxbytes", 67108864), ("threads", 4)]


def _expires(exptime: int) -> float:
    if exptime == 0:
        return 0.0
    if exptime < 0:
        return time.time() - 1  # already expired
    return time.time() + exptime if exptime <= _RELATIVE_LIMIT else float(exptime)


def memcached_server(cache: Cache) -> Handler:
    async def serve(conn: Connection) -> None:
        cache.connections += 1
        try:
            while line := await conn.readline():
                words = line.rstrip(b"\r\n").split()
                if words[:1] == [b"quit"]:
                    return
                answer = await _answer(cache, conn, words)
                if answer:
                    conn.write(answer)
        finally:
            cache.connections -= 1
            conn.close()
    return serve


async def _answer(cache: Cache, conn: Connection, words: list[bytes]) -> bytes:
    if not words:
        return b"ERROR\r\n"
    command, args = words[0].decode(errors="replace"), words[1:]
    noreply = bool(args) and args[-1] == b"noreply"
    if noreply:
        args = args[:-1]
    if command in _STORAGE:
        answer = await _store(cache, conn, command, args)
    elif command in ("get", "gets") and args:
        answer = _retrieve(cache, args, with_cas=command == "gets")
    elif command == "delete" and len(args) == 1:
        answer = b"DELETED\r\n" if cache.get(args[0]) is not None and cache.items.pop(args[0]) else b"NOT_FOUND\r\n"
    elif command in ("incr", "decr") and len(args) == 2:
        answer = _count(cache, command, args[0], args[1])
    elif command == "touch" and len(args) == 2 and args[1].lstrip(b"-").isdigit():
        item = cache.get(args[0])
        if item is not None:
            item.expires = _expires(int(args[1]))
        answer = b"TOUCHED\r\n" if item is not None else b"NOT_FOUND\r\n"
    elif command == "flush_all":
        cache.items.clear()
        answer = b"OK\r\n"
    elif command == "version":
        answer = f"VERSION {cache.version}\r\n".encode()
    elif command == "stats" and not args:
        answer = "".join(f"STAT {k} {v}\r\n" for k, v in cache.stats()).encode() + b"END\r\n"
    elif command == "verbosity":
        answer = b"OK\r\n"
    else:
        answer = b"ERROR\r\n"
    return b"" if noreply and not answer.startswith((b"ERROR", b"CLIENT_ERROR")) else answer


async def _store(cache: Cache, conn: Connection, command: str, args: list[bytes]) -> bytes:
    wanted = 5 if command == "cas" else 4
    if len(args) != wanted or not all(a.lstrip(b"-").isdigit() for a in args[1:]):
        return b"ERROR\r\n"
    key, flags, exptime, size = args[0], int(args[1]), int(args[2]), int(args[3])
    if size < 0 or len(key) > 250:
        return b"CLIENT_ERROR bad command line format\r\n"
    data = b""
    while len(data) < size + 2:  # the data block and its \r\n, however the client's writes split it
        more = await conn.read(size + 2 - len(data))
        if not more:
            return b""
        data += more
    if data[size:] != b"\r\n":
        return b"CLIENT_ERROR bad data chunk\r\n"
    value = data[:size]
    item = cache.get(key)
    if command == "add" and item is not None or command in ("replace", "append", "prepend") and item is None:
        return b"NOT_STORED\r\n"
    if command == "cas":
        if item is None:
            return b"NOT_FOUND\r\n"
        if item.cas != int(args[4]):
            return b"EXISTS\r\n"
    if command in ("append", "prepend") and item is not None:
        item.value = item.value + value if command == "append" else value + item.value
        item.cas = next(cache.cas_ids)
        return b"STORED\r\n"
    cache.put(key, flags, value, exptime)
    return b"STORED\r\n"


def _retrieve(cache: Cache, keys: list[bytes], with_cas: bool) -> bytes:
    out = b""
    for key in keys:
        item = cache.get(key)
        if item is not None:
            cas = f" {item.cas}" if with_cas else ""
            out += f"VALUE {key.decode(errors='replace')} {item.flags} {len(item.value)}{cas}\r\n".encode()
            out += item.value + b"\r\n"
    return out + b"END\r\n"


def _count(cache: Cache, command: str, key: bytes, delta: bytes) -> bytes:
    if not delta.isdigit():
        return b"CLIENT_ERROR invalid numeric delta argument\r\n"
    item = cache.get(key)
    if item is None:
        return b"NOT_FOUND\r\n"
    if not item.value.strip().isdigit():
        return b"CLIENT_ERROR cannot increment or decrement non-numeric value\r\n"
    current = int(item.value)
    value = (current + int(delta)) % 2 ** 64 if command == "incr" else max(current - int(delta), 0)
    item.value = str(value).encode()
    item.cas = next(cache.cas_ids)
    return item.value + b"\r\n"
