"""What the simulated HTTP servers answer on their ports (netns handlers): nginx and httpd serve their document
root as the images ship it (nginx's welcome page, httpd's "It works!"), traefik its 404 for unrouted requests
and its ping, the registry the distribution API's base and catalog endpoints. HTTP/1.1 keep-alive as the real
servers do it; each answer carries the headers its server sends (Server, Date, Content-Type, Content-Length).
Also the client side the in-container `curl`/`wget` use (`fetch`)."""

from __future__ import annotations

import email.utils
import json
import posixpath
from collections.abc import Callable
from dataclasses import dataclass, field

from .netns import Connection, Handler

_REASONS = {200: "OK", 301: "Moved Permanently", 304: "Not Modified", 400: "Bad Request", 404: "Not Found",
            405: "Not Allowed", 500: "Internal Server Error"}
_TYPES = {".html": "text/html", ".htm": "text/html", ".css": "text/css", ".js": "application/javascript",
          ".json": "application/json", ".txt": "text/plain", ".png": "image/png", ".svg": "image/svg+xml"}


@dataclass
class Request:
    method: str
    path: str
    version: str
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def keep_alive(self) -> bool:
        wanted = self.headers.get("connection", "").lower()
        return wanted == "keep-alive" if self.version == "HTTP/1.0" else wanted != "close"


@dataclass
class Response:
    status: int
    body: bytes = b""
    headers: list[tuple[str, str]] = field(default_factory=list)


async def read_request(conn: Connection) -> Request | None:
    """One request's head (bodies of the GET/HEAD probes are empty; a Content-Length body is read and dropped)."""
    line = await conn.readline()
    while line in (b"\r\n", b"\n"):
        line = await conn.readline()
    parts = line.decode("latin-1").split()
    if len(parts) != 3:
        return None
    req = Request(parts[0], parts[1], parts[2])
    while (header := await conn.readline()) not in (b"\r\n", b"\n", b""):
        name, _, value = header.decode("latin-1").partition(":")
        req.headers[name.strip().lower()] = value.strip()
    length = int(req.headers.get("content-length") or 0)
    while length > 0 and (chunk := await conn.read(length)):
        length -= len(chunk)
    return req


def http_server(server: str, route: Callable[[Request], Response]) -> Handler:
    """A netns handler answering each request of a connection with `route(request)`."""
    async def serve(conn: Connection) -> None:
        while (req := await read_request(conn)) is not None:
            resp = route(req)
            head = [f"HTTP/1.1 {resp.status} {_REASONS.get(resp.status, 'OK')}",
                    *([f"Server: {server}"] if server else []), f"Date: {email.utils.formatdate(usegmt=True)}"]
            kind = next((v for k, v in resp.headers if k.lower() == "content-type"), "text/html")
            head += [f"Content-Type: {kind}", f"Content-Length: {len(resp.body)}",
                     "Connection: " + ("keep-alive" if req.keep_alive else "close")]
            head += [f"{k}: {v}" for k, v in resp.headers if k.lower() != "content-type"]
            conn.write(("\r\n".join(head) + "\r\n\r\n").encode() + (b"" if req.method == "HEAD" else resp.body))
            if not req.keep_alive:
                break
        conn.close()
    return serve


def static_site(fs, docroot: str, not_found: bytes, index: str = "index.html") -> Callable[[Request], Response]:
    """GET/HEAD of the files under `docroot` in the container's filesystem, as a static web server serves them."""
    def route(req: Request) -> Response:
        if req.method not in ("GET", "HEAD"):
            return Response(405, not_found.replace(b"404 Not Found", b"405 Not Allowed"))
        path = posixpath.normpath("/" + req.path.split("?", 1)[0]).lstrip("/")
        target = posixpath.join(docroot, path) if path else docroot
        if fs.is_dir(target):
            target = posixpath.join(target, index)
        try:
            body = fs.read(target)
        except OSError:
            return Response(404, not_found)
        kind = _TYPES.get(posixpath.splitext(target)[1], "application/octet-stream")
        return Response(200, body, [("Content-Type", kind), ("Accept-Ranges", "bytes")])
    return route


def nginx_not_found(version: str) -> bytes:
    return (b"<html>\r\n<head><title>404 Not Found</title></head>\r\n<body>\r\n<center><h1>404 Not Found</h1>"
            b"</center>\r\n<hr><center>nginx/" + version.encode() + b"</center>\r\n</body>\r\n</html>\r\n")


HTTPD_NOT_FOUND = (b'<!DOCTYPE HTML PUBLIC "-//IETF//DTD HTML 2.0//EN">\n<html><head>\n<title>404 Not Found</title>\n'
                   b"</head><body>\n<h1>Not Found</h1>\n<p>The requested URL was not found on this server.</p>\n"
                   b"</body></html>\n")


def traefik_route(req: Request) -> Response:
    """traefik with no routers: every request is a 404 `404 page not found` (its ping is on the traefik
    entry point only when enabled, so the web entry point has nothing)."""
    return Response(404, b"404 page not found\n", [("Content-Type", "text/plain; charset=utf-8"),
                                                     ("X-Content-Type-Options", "nosniff")])


def registry_route(req: Request) -> Response:
    """The distribution API of an empty registry: /v2/ answers `{}`, the catalog is empty, a repository is
    unknown."""
    api = [("Content-Type", "application/json"), ("Docker-Distribution-Api-Version", "registry/2.0")]
    path = req.path.split("?", 1)[0]
    if path in ("/v2", "/v2/"):
        return Response(200, b"{}", api)
    if path == "/v2/_catalog":
        return Response(200, b'{"repositories":[]}\n', api)
    if path.startswith("/v2/"):
        name = path[4:].rsplit("/", 2)[0]
        error = {"errors": [{"code": "NAME_UNKNOWN", "message": "repository name not known to registry",
                             "detail": {"name": name}}]}
        return Response(404, (json.dumps(error) + "\n").encode(), api)
    return Response(200, b"", [("Content-Type", "text/plain; charset=utf-8")])  # the registry's `/` is empty


async def fetch(conn: Connection, method: str, host: str, path: str, agent: str) -> tuple[int, str, bytes]:
    """The client side: one request on `conn`; (status, reason, body). Raises ConnectionError when the server
    closes without an answer."""
    conn.write(f"{method} {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: {agent}\r\nAccept: */*\r\n"
               "Connection: close\r\n\r\n".encode())
    status_line = await conn.readline()
    parts = status_line.decode("latin-1").split(" ", 2)
    if len(parts) < 2 or not parts[1].isdigit():
        raise ConnectionError("server closed the connection")
    headers: dict[str, str] = {}
    while (line := await conn.readline()) not in (b"\r\n", b"\n", b""):
        name, _, value = line.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    body = b""
    if method != "HEAD":
        length = headers.get("content-length")
        if length is not None:
            while len(body) < int(length) and (chunk := await conn.read(int(length) - len(body))):
                body += chunk
        else:
            while chunk := await conn.read():
                body += chunk
    conn.close()
    return int(parts[1]), parts[2].strip() if len(parts) > 2 else "", body
