"""busybox `httpd [-f] [-v] -p [IP:]PORT [-h HOME]`: serves the container's files over the network namespace.

Answers as busybox 1.35's httpd does (measured against /bin/busybox on the host, see tests/test_applets_listen.py):
HTTP/1.1 status lines whatever the request's version, `Connection: close` after one response, Date /
Content-type (from the suffix table; none for an unknown suffix) / Accept-Ranges / Last-Modified / ETag
(`"<mtime hex>-<size hex>"`) / Content-Length, busybox's HTML error pages, `index.html` for a directory, a 302
to `dir/` for a directory named without its slash, 400 for a request without a path or a path above HOME,
501 for a method other than GET/HEAD (POST needs CGI, which mockd does not run). Without -f, httpd daemonizes:
the applet returns 0 at once and the socket keeps serving until the container stops. Not simulated: CGI,
httpd.conf, basic auth (-r), Range requests, directory listings."""

from __future__ import annotations

import asyncio
import email.utils
import errno
import os
import posixpath
import urllib.parse

from ...filesystem import DIR, FILE
from ...netns import Connection
from ..interpreter import Shell
from ..registry import builtin
from .listening import UsageError, bind, getopt, parse_port

_USAGE = "Usage: httpd [-ifv[v]] [-c CONFFILE] [-p [IP:]PORT] [-u USER[:GRP]] [-r REALM] [-h HOME]\n"
# busybox httpd's suffix table (the suffixes measured to get a Content-type; others get none).
_TYPES = {".html": "text/html", ".htm": "text/html", ".jpg": "image/jpeg", ".jpeg": "image/jpeg",
          ".gif": "image/gif", ".png": "image/png", ".svg": "image/svg+xml", ".txt": "text/plain",
          ".h": "text/plain", ".c": "text/plain", ".cc": "text/plain", ".cpp": "text/plain", ".css": "text/css",
          ".wav": "audio/wav", ".avi": "video/x-msvideo", ".qt": "video/quicktime", ".mov": "video/quicktime",
          ".mpe": "video/mpeg", ".mpeg": "video/mpeg", ".mid": "audio/midi", ".midi": "audio/midi",
          ".mp3": "audio/mpeg", ".js": "application/javascript"}
# status -> (reason, the sentence of busybox's error page)
_ERRORS = {400: ("Bad Request", "Unsupported method"), 404: ("Not Found", "The requested URL was not found"),
           501: ("Not Implemented", "The requested method is not recognized")}


@builtin("httpd")
async def b_httpd(sh: Shell, args, io) -> int:
    try:
        opts, rest = getopt(args[1:], "ifv", "pcurhmed")
    except UsageError as err:
        io.err(f"httpd: {err}\n{_USAGE}".encode())
        return 1
    if rest:
        io.err(_USAGE.encode())
        return 1
    if "i" in opts:
        io.err(b"httpd: inetd mode (-i) is not simulated by mockd\n")
        return 1
    ip, _, port_text = (opts["p"][-1] if "p" in opts else "80").rpartition(":")
    port = parse_port(port_text)
    if port is None:
        io.err(f"httpd: bad port '{port_text}'\n".encode())
        return 1
    home = sh.path(opts["h"][-1] if "h" in opts else ".")
    fs, verbosity = sh.ctx.fs, len(opts.get("v", ()))

    async def serve(conn: Connection) -> None:
        await _serve(fs, home, conn, verbosity, io.err)

    foreground = "f" in opts
    try:
        # A daemonized httpd outlives the shell that started it: its socket belongs to no process of ours
        # (owner 0) and closes with the container.
        bind(sh.ctx.net, port, serve, owner=sh.ctx.pid if foreground else 0, ip=ip or "0.0.0.0",
             gate=sh.ctx.running)
    except OSError as err:
        io.err(f"httpd: bind: {os.strerror(err.errno or errno.EADDRINUSE)}\n".encode())
        return 1
    if not foreground:
        return 0
    await asyncio.Event().wait()  # serve until signalled; the socket closes with the process
    return 0


Answer = tuple[int, dict[str, str], bytes]  # status, headers after Date/Connection, body


async def _serve(fs, home: str, conn: Connection, verbosity: int, log) -> None:
    """One connection: one request, one answer, close (busybox's `Connection: close`). -v logs the status,
    -vv the URL too, on stderr as `IP:PORT: ...`."""
    request = (await conn.readline()).decode("latin-1").strip()
    while (await conn.readline()).strip():  # the headers, up to the blank line (none of them changes the answer)
        pass
    method, _, rest = request.partition(" ")
    url = rest.split(" ", 1)[0]
    who = f"{conn.peer[0]}:{conn.peer[1]}"
    if verbosity >= 2 and url:
        log(f"{who}: url:{url}\n".encode())
    status, headers, body = _answer(fs, home, method, url)
    if verbosity >= 1:
        log(f"{who}: response:{status}\n".encode())
    reason = {200: "OK", 302: "Found"}.get(status) or _ERRORS[status][0]
    lines = [f"HTTP/1.1 {status} {reason}", f"Date: {email.utils.formatdate(usegmt=True)}", "Connection: close"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    conn.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
    conn.close()


def _answer(fs, home: str, method: str, url: str) -> Answer:
    if not url.startswith("/"):
        return _error(400)
    path = urllib.parse.unquote(url.split("?", 1)[0])
    if _escapes(path):
        return _error(400)
    if method not in ("GET", "HEAD"):
        return _error(501)
    target = posixpath.normpath(home + "/" + path.lstrip("/"))
    node = fs.lookup(target)
    if node is not None and node.kind == DIR:
        if not path.endswith("/"):
            return 302, {"Content-type": "text/html", "Location": path + "/"}, b""
        target = posixpath.join(target, "index.html")
        node = fs.lookup(target)
    if node is None or node.kind != FILE:
        return _error(404)
    headers = {}
    if ctype := _TYPES.get(posixpath.splitext(target)[1].lower()):
        headers["Content-type"] = ctype
    headers |= {"Accept-Ranges": "bytes", "Last-Modified": email.utils.formatdate(node.mtime, usegmt=True),
                "ETag": f'"{int(node.mtime):x}-{len(node.data):x}"', "Content-Length": str(len(node.data))}
    return 200, headers, node.data  # busybox 1.35 sends the body for HEAD too (measured)


def _escapes(path: str) -> bool:
    depth = 0
    for part in path.split("/"):
        if part == "..":
            depth -= 1
            if depth < 0:
                return True
        elif part not in ("", "."):
            depth += 1
    return False


def _error(status: int) -> Answer:
    reason, sentence = _ERRORS[status]
    page = (f"<HTML><HEAD><TITLE>{status} {reason}</TITLE></HEAD>\n<BODY><H1>{status} {reason}</H1>\n"
            f"{sentence}\n</BODY></HTML>\n")
    return status, {"Content-type": "text/html"}, page.encode()
