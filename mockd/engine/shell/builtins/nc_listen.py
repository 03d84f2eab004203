"""busybox `nc` in listen mode: `nc -l [-k] -p PORT` accepts a connection in the container's network namespace and
pipes it to the process's stdin/stdout (what the client sends is printed, what stdin carries is sent).

As busybox: without -k the listening socket closes once a connection is accepted (a second client is refused)
and nc exits 0 when the peer closes; stdin's end stops the sending only, the connection stays open for
reading. With -k (or -ll) the socket stays listening and each connection is served in turn. Without -p the port
is an ephemeral one. The client side (`nc HOST PORT`, `nc -z`) is another module's: it registers as
`nc:connect` and is called for argv without -l."""

from __future__ import annotations

import asyncio
import errno
import os
import random

from ...netns import Connection
from ..interpreter import Shell
from ..registry import BUILTINS, builtin
from .listening import UsageError, bind, getopt, parse_port

_USAGE = ("Usage: nc [OPTIONS] HOST PORT  - connect\n"
          "nc [OPTIONS] -l -p PORT [HOST] [PORT]  - listen\n")
_FLAGS = "lknuvz"
_WITH_VALUE = "pwisqe"


@builtin("nc", "netcat")
async def b_nc(sh: Shell, args, io) -> int:
    try:
        opts, rest = getopt(args[1:], _FLAGS, _WITH_VALUE)
    except UsageError as err:
        io.err(f"nc: {err}\n{_USAGE}".encode())
        return 1
    if "l" not in opts:
        connect = BUILTINS.get("nc:connect")
        if connect is None:
            io.err(_USAGE.encode())
            return 1
        return await connect(sh, args, io)
    if "e" in opts or "u" in opts:
        io.err(b"nc: -e and -u are not simulated by mockd\n")
        return 1
    port = parse_port(opts["p"][-1]) if "p" in opts else random.randint(32768, 60999)
    if port is None:
        io.err(f"nc: bad port '{opts['p'][-1]}'\n".encode())
        return 1
    keep = "k" in opts or len(opts["l"]) > 1
    accepted: asyncio.Queue[tuple[Connection, asyncio.Future]] = asyncio.Queue()

    async def handler(conn: Connection) -> None:
        # The connection is served by nc itself (below); this task only lives as long as nc uses the connection.
        done = asyncio.get_running_loop().create_future()
        accepted.put_nowait((conn, done))
        await done

    try:
        sock = bind(sh.ctx.net, port, handler, owner=sh.ctx.pid, ip="0.0.0.0", gate=sh.ctx.running)
    except OSError as err:
        io.err(f"nc: bind: {os.strerror(err.errno or errno.EADDRINUSE)}\n".encode())
        return 1
    net = sh.ctx.net
    sending = True
    try:
        while True:
            conn, done = await accepted.get()
            if not keep and net is not None:
                net.unlisten(sock)
            try:
                sending = await _pipe(sh, conn, io, sending)
            finally:
                if not done.done():
                    done.set_result(None)
            if not keep:
                return 0
    finally:
        if net is not None:
            net.unlisten(sock)


async def _pipe(sh: Shell, conn: Connection, io, sending: bool) -> bool:
    """Copy the connection to stdout and stdin to the connection until the peer closes; returns whether stdin is
    still open (with -k the next connection gets the rest of it)."""
    feeder = asyncio.ensure_future(_feed(io.stdin, conn)) if sending else None
    try:
        while data := await conn.read():
            await sh.checkpoint()
            io.out(data)
    finally:
        if feeder is not None:
            still_open = not feeder.done()
            feeder.cancel()
            sending = still_open
    return sending


async def _feed(stdin, conn: Connection) -> None:
    while data := await stdin.read():
        if conn.closed:
            return
        conn.write(data)
