"""The client-side network applets, as BusyBox has them: `wget` (HTTP GET/HEAD) and `nc HOST PORT` / `nc -z`.
They connect through the container's network namespace (`netns.NetNamespace.dial`): its own ports on
loopback and its hostname, other containers by name or address on its networks. The listening side (`nc -l`)
is nc_listen.py's `nc`, which hands argv without -l to the entry `nc:connect` here."""

from __future__ import annotations

import asyncio
import contextlib

from ... import http_serve
from ..interpreter import Shell
from ..registry import builtin


def _split_url(url: str) -> tuple[str, int, str] | None:
    rest = url
    if "://" in rest:
        scheme, rest = rest.split("://", 1)
        if scheme != "http":
            return None
    hostport, slash, path = rest.partition("/")
    host, _, port = hostport.rpartition(":") if hostport.count(":") == 1 else (hostport, "", "")
    if not port.isdigit() and port:
        return None
    return host.strip("[]") or hostport, int(port or 80), "/" + path if slash else "/"


@builtin("wget")
async def b_wget(sh: Shell, args, io) -> int:
    quiet = spider = False
    output = ""
    urls = []
    rest = list(args[1:])
    while rest:
        arg = rest.pop(0)
        if arg in ("-O", "--output-document") and rest:
            output = rest.pop(0)
        elif arg.startswith("--output-document="):
            output = arg.split("=", 1)[1]
        elif arg in ("-T", "--timeout", "-U", "--user-agent", "--header", "-Y") and rest:
            rest.pop(0)
        elif arg in ("-q", "--quiet"):
            quiet = True
        elif arg == "--spider":
            spider = True
        elif arg.startswith("-") and len(arg) > 1 and not arg.startswith("--"):
            flags = arg[1:]
            quiet |= "q" in flags
            if "O" in flags:
                after = flags.split("O", 1)[1]
                output = after or (rest.pop(0) if rest else "")
        elif not arg.startswith("-"):
            urls.append(arg)
    if not urls:
        io.err(b"BusyBox v1.37.0 (2025-01-17 18:12:01 UTC) multi-call binary.\n\nUsage: wget [-cqS] [--spider] "
               b"[-O FILE] [-o LOGFILE] [--header STR]\n\t[--post-data STR | --post-file FILE] [-Y on/off]\n"
               b"\t[-P DIR] [-U AGENT] [-T SEC] URL...\n")
        return 1
    status = 0
    for url in urls:
        status |= await _wget_one(sh, io, url, output, quiet, spider)
    return status


async def _wget_one(sh: Shell, io, url: str, output: str, quiet: bool, spider: bool) -> int:
    parts = _split_url(url)
    if parts is None:
        io.err(f"wget: not an http or ftp url: {url}\n".encode())
        return 1
    host, port, path = parts
    net = sh.ctx.net
    try:
        conn = net.dial(host, port) if net is not None else None
    except LookupError:
        io.err(f"wget: bad address '{host}'\n".encode())
        return 1
    if not quiet:
        io.err(f"Connecting to {host}{'' if port == 80 else f':{port}'} ({host}:{port})\n".encode())
    if conn is None:
        io.err(f"wget: can't connect to remote host ({host}): Connection refused\n".encode())
        return 1
    try:
        code, reason, body = await http_serve.fetch(conn, "HEAD" if spider else "GET", host, path, "Wget")
    except ConnectionError:
        io.err(b"wget: error getting response: Connection reset by peer\n")
        return 1
    if code >= 400:
        io.err(f"wget: server returned error: HTTP/1.1 {code} {reason}\n".encode())
        return 1
    if spider:
        if not quiet:
            io.err(b"remote file exists\n")
        return 0
    target = output or (path.rsplit("/", 1)[-1] or "index.html")
    if target == "-":
        if not quiet:
            io.err(b"writing to stdout\n")
        io.out(body)
        if not quiet:
            io.err(f"-                    100% |********************************|  {len(body)}  0:00:00 ETA\n"
                   "written to stdout\n".encode())
        return 0
    fs = sh.ctx.fs
    full = target if target.startswith("/") else f"{sh.cwd.rstrip('/')}/{target}"
    if not output and fs.exists(full):
        io.err(f"wget: can't open '{target}': File exists\n".encode())
        return 1
    try:
        fs.write(full, body)
    except OSError as err:
        io.err(f"wget: can't open '{target}': {err.strerror or err}\n".encode())
        return 1
    if not quiet:
        io.err(f"saving to '{target}'\n{target:<21}100% |********************************|  {len(body)}  "
               f"0:00:00 ETA\n'{target}' saved\n".encode())
    return 0


@builtin("nc:connect")  # nc_listen.py's `nc` hands argv without -l here
async def b_nc(sh: Shell, args, io) -> int:
    opts, words, wait = set(), [], None
    rest = list(args[1:])
    while rest:
        arg = rest.pop(0)
        if arg in ("-w", "-i", "-q", "-p", "-s") and rest:
            value = rest.pop(0)
            if arg == "-w":
                wait = float(value) if value.replace(".", "", 1).isdigit() else None
        elif arg.startswith("-") and len(arg) > 1:
            opts |= set(arg[1:])
        else:
            words.append(arg)
    if len(words) < 2 or not words[1].isdigit():
        io.err(b"BusyBox v1.37.0 (2025-01-17 18:12:01 UTC) multi-call binary.\n\nUsage: nc [OPTIONS] HOST PORT  "
               b"- connect\nnc [OPTIONS] -l -p PORT [HOST] [PORT]  - listen\n")
        return 1
    host, port = words[0], int(words[1])
    net = sh.ctx.net
    try:
        conn = net.dial(host, port) if net is not None else None
    except LookupError:
        io.err(f"nc: bad address '{host}'\n".encode())
        return 1
    if conn is None:
        if "v" in opts or "z" not in opts:
            io.err(f"nc: {host} ({host}:{port}): Connection refused\n".encode())
        return 1
    if "z" in opts:  # scan: connect, say so with -v, and hang up
        if "v" in opts:
            io.err(f"{host} ({host}:{port}) open\n".encode())
        conn.close()
        return 0

    async def upstream() -> None:
        while data := await io.stdin.read(65536):
            conn.write(data)
        conn.close()  # stdin ended: our half of the connection is done; the answer may still come

    up = asyncio.ensure_future(upstream())
    try:
        async def downstream() -> None:
            while data := await conn.read():
                io.out(data)
        if wait is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(downstream(), wait)
        else:
            await downstream()
    finally:
        up.cancel()
        conn.close()
    return 0
