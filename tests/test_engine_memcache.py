"""memcached's text protocol as the simulated server answers it (mockd/engine/memcache.py)."""

from __future__ import annotations

import asyncio

from mockd.engine.memcache import Cache, memcached_server
from mockd.engine.netns import connection_pair


async def talk(cache: Cache, *requests: bytes) -> list[bytes]:
    """Each request's answer: up to END for retrievals and stats, else its one line (nothing for noreply)."""
    client, server = connection_pair(("127.0.0.1", 40000), ("127.0.0.1", 11211))
    task = asyncio.ensure_future(memcached_server(cache)(server))
    answers = []
    for request in requests:
        client.write(request)
        answer = b""
        if request.startswith((b"get", b"stats")):
            while not answer.endswith(b"END\r\n"):
                answer += await asyncio.wait_for(client.readline(), 2)
        elif not request.split(b"\r\n")[0].endswith(b"noreply"):
            answer = await asyncio.wait_for(client.readline(), 2)
        answers.append(answer)
    client.write(b"quit\r\n")
    await asyncio.wait_for(task, 2)
    return answers


async def test_storage_retrieval_and_counters():
    cache = Cache(version="1.6.45")
    assert await talk(cache, b"set k 5 0 2\r\nhi\r\n", b"get k nope\r\n", b"add k 0 0 1\r\nx\r\n",
                      b"append k 0 0 1\r\n!\r\n", b"get k\r\n", b"replace nope 0 0 1\r\nx\r\n",
                      b"set n 0 0 2\r\n10\r\n", b"incr n 5\r\n", b"decr n 100\r\n", b"incr k 1\r\n",
                      b"incr nope 1\r\n", b"delete n\r\n", b"delete n\r\n", b"touch k 100\r\n",
                      b"set q 0 0 1 noreply\r\nq\r\n", b"get q\r\n", b"version\r\n", b"bogus\r\n",
                      b"flush_all\r\n", b"get k\r\n") == [
        b"STORED\r\n", b"VALUE k 5 2\r\nhi\r\nEND\r\n", b"NOT_STORED\r\n", b"STORED\r\n",
        b"VALUE k 5 3\r\nhi!\r\nEND\r\n", b"NOT_STORED\r\n", b"STORED\r\n", b"15\r\n", b"0\r\n",
        b"CLIENT_ERROR cannot increment or decrement non-numeric value\r\n", b"NOT_FOUND\r\n", b"DELETED\r\n",
        b"NOT_FOUND\r\n", b"TOUCHED\r\n", b"", b"VALUE q 0 1\r\nq\r\nEND\r\n", b"VERSION 1.6.45\r\n", b"ERROR\r\n",
        b"OK\r\n", b"END\r\n"]


async def test_cas_expiry_bad_chunks_and_stats():
    cache = Cache()
    first = (await talk(cache, b"set k 0 0 1\r\na\r\n", b"gets k\r\n"))[1]
    unique = first.split(b"\r\n")[0].split()[-1]
    assert await talk(cache, b"cas k 0 0 1 " + unique + b"\r\nb\r\n", b"cas k 0 0 1 " + unique + b"\r\nc\r\n",
                      b"cas nope 0 0 1 1\r\nc\r\n", b"set gone 0 -1 1\r\nx\r\n", b"get gone k\r\n",
                      b"set k 0 0 1\r\ntoolong\r\n") == [
        b"STORED\r\n", b"EXISTS\r\n", b"NOT_FOUND\r\n", b"STORED\r\n", b"VALUE k 0 1\r\nb\r\nEND\r\n",
        b"CLIENT_ERROR bad data chunk\r\n"]
    stats = (await talk(cache, b"stats\r\n"))[0].decode().split("\r\n")
    assert stats[-2:] == ["END", ""] and "STAT curr_items 1" in stats and "STAT curr_connections 1" in stats
