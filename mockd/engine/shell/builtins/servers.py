"""The listening BusyBox applets: `httpd` and `nc -l`, the first programs that serve on the container's network
namespace (`netns.NetNamespace.listen`). Their sockets show in /proc/net/tcp and are reached from published ports,
other containers and the container's own clients (`wget`, `nc HOST PORT`: net_clients.py).

Checked against the BusyBox 1.35 on these machines (`busybox httpd -f -p PORT -h DIR`, `busybox nc -l -p PORT`):
httpd's status lines, header order and spelling (`Content-type`), ETag (`"<mtime hex>-<size hex>"`), its 404 and
501 pages, `index.html` for a directory, `Connection: close` on every answer; without `-f` it goes to the background
(the command returns at once and the socket stays open). `nc -l` takes one connection, copies it to stdout and
stdin to it, and ends when the peer closes; `-k` keeps listening."""

from __future__ import annotations

import asyncio
import email.utils
import errno
import posixpath

from ...netns import Connection
from ..interpreter import Shell
from ..registry import builtin

_HTTPD_TYPES = {".html": "text/html", ".htm": "text/html", ".txt": "text/plain", ".css": "text/css",
                ".js": "application/javascript", ".json": "application/json", ".png": "image/png",
                ".jpg": "image/jpeg", ".gif": "image/gif", ".svg": "image/svg+xml"}
_HTTPD_PAGES = {404: ("Not Found", "The requested URL was not found"),
                501: ("Not Implemented", "The requested method is not recognized"),
                400: ("Bad Request", "Unsupported method")}
_BUSYBOX = b"BusyBox v1.35.0 (Debian 1:1.35.0-4+deb12u1+b1) multi-call binary.\n\n"


def _port(spec: str) -> int | None:
    """`-p [IP:]PORT` as BusyBox reads it."""
    port = spec.rsplit(":", 1)[-1]
    return int(port) if port.isdigit() and 0 < int(port) < 65536 else None


def _bind(sh: Shell, io, applet: str, port: int, handler, owner: int) -> bool:
    net = sh.ctx.net
    if net is None:
        io.err(f"{applet}: socket: Address family not supported by protocol\n".encode())
        return False
    try:
        net.listen(port, handler, owner=owner, gate=sh.ctx.running)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            io.err(f"{applet}: bind: Address in use\n".encode())
            return False
        raise
    return True


# --- httpd -------------------------------------------------------------------------------------------------------


def _httpd_answer(fs, home: str, method: str, target: str) -> bytes:
    date = email.utils.formatdate(usegmt=True)
    if method not in ("GET", "HEAD"):
        return _httpd_error(501, date)
    path = posixpath.normpath("/" + target.split("?", 1)[0])
    full = posixpath.join(home, path.lstrip("/"))
    if fs.is_dir(full):
        full = posixpath.join(full, "index.html")
    node = fs.get(full)
    if node is None or node.kind != "file":
        return _httpd_error(404, date)
    body = node.data
    mtime = int(node.mtime)
    kind = _HTTPD_TYPES.get(posixpath.splitext(full)[1].lower(), "application/octet-stream")
    head = (f"HTTP/1.1 200 OK\r\nDate: {date}\r\nConnection: close\r\nContent-type: {kind}\r\n"
            f"Accept-Ranges: bytes\r\nLast-Modified: {email.utils.formatdate(mtime, usegmt=True)}\r\n"
            f'ETag: "{mtime:x}-{len(body):x}"\r\nContent-Length: {len(body)}\r\n\r\n')
    return head.encode() + body  # BusyBox 1.35 sends the body to a HEAD too


def _httpd_error(status: int, date: str) -> bytes:
    reason, text = _HTTPD_PAGES[status]
    page = (f"<HTML><HEAD><TITLE>{status} {reason}</TITLE></HEAD>\n<BODY><H1>{status} {reason}</H1>\n"
            f"{text}\n</BODY></HTML>\n")
    return (f"HTTP/1.1 {status} {reason}\r\nDate: {date}\r\nConnection: close\r\nContent-type: text/html\r\n\r\n"
            + page).encode()


@builtin("httpd")
async def b_httpd(sh: Shell, args, io) -> int:
    foreground, port, home = False, 80, "."
    rest = list(args[1:])
    while rest:
        arg = rest.pop(0)
        if arg in ("-p", "-h", "-c", "-r", "-u", "-i") and rest:
            value = rest.pop(0)
            if arg == "-p":
                parsed = _port(value)
                if parsed is None:
                    io.err(f"httpd: bad port '{value}'\n".encode())
                    return 1
                port = parsed
            elif arg == "-h":
                home = value
        elif arg.startswith("-") and len(arg) > 1:
            foreground |= "f" in arg[1:]
        else:
            io.err(_BUSYBOX + b"Usage: httpd [-ifvv] [-c CONFFILE] [-p [IP:]PORT] [-u USER[:GRP]] [-r REALM] "
                   b"[-h HOME]\n")
            return 1
    fs = sh.ctx.fs
    root = home if home.startswith("/") else posixpath.normpath(posixpath.join(sh.cwd, home))
    if not fs.is_dir(root):
        io.err(f"httpd: can't change directory to '{home}': No such file or directory\n".encode())
        return 1

    async def serve(conn: Connection) -> None:
        line = await conn.readline()
        parts = line.decode("latin-1").split()
        while await conn.readline() not in (b"\r\n", b"\n", b""):
            pass  # the headers: nothing in them changes a static answer
        if len(parts) >= 2:
            conn.write(_httpd_answer(fs, root, parts[0].upper(), parts[1]))
        conn.close()

    # In the foreground the socket is the process's; without -f httpd forks into the background: the socket
    # outlives the command (owner 0: the container's, closed when the container stops).
    if not _bind(sh, io, "httpd", port, serve, sh.ctx.pid if foreground else 0):
        return 1
    if not foreground:
        return 0
    await asyncio.Event().wait()  # until signalled (the runtime cancels the process)
    return 0


# --- nc -l ------------------------------------------------------------------------------------------------------


@builtin("nc -l")
async def b_nc_listen(sh: Shell, args, io) -> int:
    opts: set[str] = set()
    port: int | None = None
    rest = list(args[1:])
    while rest:
        arg = rest.pop(0)
        if arg in ("-p", "-w", "-i", "-q", "-s", "-e") and rest:
            value = rest.pop(0)
            if arg == "-p":
                port = _port(value)
                if port is None:
                    io.err(f"nc: bad port '{value}'\n".encode())
                    return 1
        elif arg.startswith("-") and len(arg) > 1:
            flags = arg[1:]
            if "p" in flags:  # -lp PORT
                flags = flags.replace("p", "")
                value = rest.pop(0) if rest else ""
                port = _port(value)
            opts |= set(flags)
        elif port is None and arg.isdigit():
            port = int(arg)  # nc -l PORT (the netcat-openbsd spelling BusyBox also takes)
    if port is None:
        io.err(_BUSYBOX + b"Usage: nc [OPTIONS] HOST PORT  - connect\nnc [OPTIONS] -l -p PORT [HOST] [PORT]  - listen\n")
        return 1
    keep = "k" in opts
    accepted: asyncio.Queue[Connection] = asyncio.Queue()
    done = asyncio.Event()

    async def take(conn: Connection) -> None:
        await accepted.put(conn)
        await done.wait()  # the connection lives as long as nc serves it

    if not _bind(sh, io, "nc", port, take, sh.ctx.pid):
        return 1
    net = sh.ctx.net
    sock = net.sockets.get(("tcp", port))
    try:
        while True:
            await _relay(await accepted.get(), io)
            if not keep:
                return 0
    finally:
        done.set()
        if sock is not None:
            net.close(sock)


async def _relay(conn: Connection, io) -> None:
    async def upstream() -> None:
        while data := await io.stdin.read(65536):
            conn.write(data)

    up = asyncio.ensure_future(upstream())
    try:
        while data := await conn.read():
            io.out(data)
    finally:
        up.cancel()
        conn.close()
