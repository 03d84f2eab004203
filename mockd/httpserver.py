"""dockerd's HTTP limits and parse-error answers on top of aiohttp's server.

Go's ``net/http`` (and so dockerd) reads up to ``DefaultMaxHeaderBytes`` (1 MiB, plus 4096 bytes of slack)
of request line and headers; there is no separate limit on the line's length or on the number of headers.
Beyond it Go answers ``431 Request Header Fields Too Large``, and a request it cannot parse ``400 Bad
Request``: both as ``HTTP/1.1``, ``text/plain; charset=utf-8``, ``Connection: close``, the status text as the
body, no ``Content-Length``, ``Date`` or ``Server`` (measured on dockerd 20.10). aiohttp's defaults are far
lower (8190-byte lines, 128 headers) and its error bodies carry Python reprs of the offending bytes.

aiohttp limits each line and the number of headers, not their sum: each line may be as long as Go's whole
budget and the count is capped at :data:`MAX_HEADERS` (no real client sends more than a few dozen), which
bounds what one request can make mockd hold. aiohttp answers parse errors from its protocol object, before
any application code runs, so the Go-shaped answer is made by a request-handler subclass that
:class:`DaemonRunner` installs.
"""

from __future__ import annotations

import ast
import re
from typing import Any

from aiohttp import web
from aiohttp.http_exceptions import BadHttpMethod, LineTooLong
from aiohttp.web_protocol import RequestHandler
from aiohttp.web_request import BaseRequest

from mockd.errors import error_body

GO_MAX_HEADER_BYTES = (1 << 20) + 4096
MAX_HEADERS = 1024

HANDLER_ARGS: dict[str, int] = {
    "max_line_size": GO_MAX_HEADER_BYTES,
    "max_field_size": GO_MAX_HEADER_BYTES,
    "max_headers": MAX_HEADERS,
}


# An HTTP/1.x request line whose method is a token (RFC 9110 tchar) aiohttp's parser does not know (``FOO``).
_REQUEST_LINE = re.compile(rb"[!#$%&'*+.^_`|~0-9A-Za-z-]+ \S+ HTTP/1\.[01]")
_QUOTED_LINE = re.compile(r"(b'(?:[^'\\]|\\.)*'|b\"(?:[^\"\\]|\\.)*\")")


def _unknown_method(exc: BaseException) -> bool:
    """Whether aiohttp refused a well-formed request line only for its method, which Go's server accepts
    (dockerd's router then answers 404). aiohttp's C parser gives the line only inside its message."""
    if not isinstance(exc, BadHttpMethod):
        return False
    found = _QUOTED_LINE.search(str(exc))
    if found is None:
        return False
    try:
        line = ast.literal_eval(found.group(1))
    except (ValueError, SyntaxError):
        return False
    return isinstance(line, bytes) and _REQUEST_LINE.fullmatch(line) is not None


class EarlyResponse(web.Response):
    """An answer made before any application code ran, shaped as Go's server writes it.

    ``bare``: Go's hand-written parse-error answer (status line, Content-Type, ``Connection: close``, the
    status text; no Content-Length or Date). Otherwise an ordinary answer without aiohttp's ``Server``."""

    def __init__(self, status: int, reason: str, *, text: str | None = None,
                 content_type: str = "text/plain; charset=utf-8", bare: bool = True) -> None:
        super().__init__(status=status, reason=reason, text=f"{status} {reason}" if text is None else text)
        self._go_content_type = content_type
        self._bare = bare
        self.force_close()

    async def _write_headers(self) -> None:
        # The error handler's request is aiohttp's placeholder (HTTP/1.0): Go always answers HTTP/1.1.
        writer = self._payload_writer
        assert writer is not None
        headers = self._headers
        headers.popall("Server", None)
        if self._bare:
            headers.popall("Date", None)
            headers.popall("Content-Length", None)
        headers["Content-Type"] = self._go_content_type
        headers["Connection"] = "close"
        await writer.write_headers(f"HTTP/1.1 {self.status} {self.reason}", headers)


class GoRequestHandler(RequestHandler):
    """aiohttp's protocol object with Go's answers to requests that cannot be parsed."""

    def handle_error(self, request: BaseRequest, status: int = 500, exc: BaseException | None = None,
                     message: str | None = None) -> web.StreamResponse:
        if status != 400:  # a failure inside a handler, not a parse error: aiohttp's own path logs it
            return super().handle_error(request, status, exc, message)
        if exc is not None and _unknown_method(exc):
            # dockerd's router: no route for the method. aiohttp closes the connection after a parse
            # error; Go would keep it open (a deliberate, harmless difference).
            return EarlyResponse(404, "Not Found", text=error_body("page not found").decode(), content_type="application/json",
                                 bare=False)
        if isinstance(exc, LineTooLong) or (exc is not None and "Too many headers" in str(exc)):
            return EarlyResponse(431, "Request Header Fields Too Large")
        return EarlyResponse(400, "Bad Request")


class _GoServer(web.Server):
    def __call__(self) -> RequestHandler:
        return GoRequestHandler(self, loop=self._loop, **self._kwargs)


class DaemonRunner(web.AppRunner):
    """An AppRunner whose connections answer malformed requests as dockerd's Go server does."""

    async def _make_server(self) -> web.Server:
        server = await super()._make_server()
        go_server = _GoServer(server.request_handler, request_factory=server.request_factory,
                              handler_cancellation=server.handler_cancellation, loop=server._loop,
                              **server._kwargs)
        return go_server


def runner(app: web.Application, **kwargs: Any) -> DaemonRunner:
    """The runner every mockd listener uses (CLI, pytest plugin, tests)."""
    return DaemonRunner(app, access_log=None, shutdown_timeout=2.0, handle_signals=False, **kwargs)
