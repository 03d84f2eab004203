"""TLS connections for ``mockd.tls``'s listeners: asyncio's SSL protocol made to behave like Go's TLS server.

Hijacked streams (attach, exec) need it: the client half-closes its side and keeps reading. Over TLS the Go
client's ``CloseWrite`` sends a close_notify alert (``tls.Conn.CloseWrite``); asyncio's SSL transport answers any
close_notify, and a TCP-level half-close, by shutting the whole connection down, which loses all later output.
:class:`HalfCloseSSLProtocol` keeps the connection open for an application protocol whose ``eof_received()``
returns True (``mockd.hijack``'s), as the plain TCP transport does. It also sends the alert of a refused handshake
(asyncio drops it) and answers plain HTTP as Go's net/http does. :class:`TLSSite` serves the app with it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
from asyncio import sslproto

from aiohttp import web

log = logging.getLogger("mockd")

# Go's net/http answer to a plain HTTP request on a TLS connection; the docker CLI prints it as
# "Error response from daemon: Client sent an HTTP request to an HTTPS server."
HTTP_ON_TLS_PORT = b"HTTP/1.0 400 Bad Request\r\n\r\nClient sent an HTTP request to an HTTPS server.\n"
# The five-byte prefixes Go's net/http takes for HTTP when they arrive where a TLS record header should be.
_HTTP_PREFIXES = (b"GET /", b"HEAD ", b"POST ", b"PUT /", b"OPTIO")


class HalfCloseSSLProtocol(sslproto.SSLProtocol):
    """asyncio's SSL protocol, plus half-close for application protocols that keep the connection open.

    Two ways a client half-closes under TLS: a close_notify alert (Go's ``tls.Conn.CloseWrite``: the docker CLI)
    or a TCP FIN below the TLS layer (older Go clients, raw sockets). Stock asyncio shuts the connection down on
    either; here the application's ``eof_received()`` is asked first and, when it returns True, reading stops but
    writing goes on until the application closes the transport, which then sends our close_notify and closes.
    Also answers plain HTTP on the TLS port as Go's net/http does.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop, app_protocol: asyncio.BaseProtocol,
                 sslcontext: ssl.SSLContext) -> None:
        super().__init__(loop, app_protocol, sslcontext, None, server_side=True)
        self._half_open = False  # the peer closed its side; ours stays open until the application closes
        self._first_bytes: bytes | None = b""  # until the first record header is seen (None afterwards)

    # -- plain HTTP on the TLS port
    def buffer_updated(self, nbytes: int) -> None:
        if self._first_bytes is None:
            super().buffer_updated(nbytes)
            return
        self._first_bytes += bytes(self._ssl_buffer_view[:nbytes])
        if len(self._first_bytes) < 5 and any(p.startswith(self._first_bytes) for p in _HTTP_PREFIXES):
            return  # too short to tell yet
        first, self._first_bytes = self._first_bytes, None
        if first[:5] in _HTTP_PREFIXES and self._transport is not None:
            self._log_handshake_error("client sent an HTTP request to an HTTPS server")
            self._transport.write(HTTP_ON_TLS_PORT)
            self._transport.close()
            return
        self._incoming.write(first)
        if self._state == sslproto.SSLProtocolState.DO_HANDSHAKE:
            self._do_handshake()

    # -- refused handshakes
    def _on_handshake_complete(self, handshake_exc: BaseException | None) -> None:
        if handshake_exc is not None and self._transport is not None:
            # asyncio drops the alert OpenSSL queued (certificate required, unknown CA, ...) and aborts; send it
            # first, so that the client says why ("remote error: tls: ...") rather than "EOF".
            reason = getattr(handshake_exc, "reason", None) or str(handshake_exc) or type(handshake_exc).__name__
            self._log_handshake_error(reason)  # before the client can know (tests read the log after it does)
            if alert := self._outgoing.read():
                self._transport.write(alert)
        super()._on_handshake_complete(handshake_exc)

    def _log_handshake_error(self, reason: str) -> None:
        # Like Go's net/http "http: TLS handshake error from ADDR: ...": the daemon-side reason for a refusal.
        peer = self._transport.get_extra_info("peername") if self._transport is not None else None
        where = f"{peer[0]}:{peer[1]}" if isinstance(peer, tuple) else "?"
        log.info("TLS handshake error from %s: %s", where, reason)

    # -- half-close
    def _call_eof_received(self) -> None:
        # Replaces asyncio's, which ignores the application's answer over TLS (and logs a warning).
        if self._app_state != sslproto.AppProtocolState.STATE_CON_MADE:
            return
        self._app_state = sslproto.AppProtocolState.STATE_EOF
        try:
            keep_open = self._app_protocol.eof_received()
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as exc:
            self._fatal_error(exc, "Error calling eof_received()")
            return
        self._half_open = bool(keep_open)

    def _start_shutdown(self) -> None:
        # Reached on a close_notify (right after _call_eof_received) and when the application closes the
        # transport; only the latter may shut a half-open connection down.
        if self._half_open and not self._app_closed():
            return
        super()._start_shutdown()

    def _app_closed(self) -> bool:
        return self._app_transport is None or self._app_transport.is_closing()

    def eof_received(self) -> bool | None:
        # A TCP FIN, alone or after the peer's close_notify: nothing more will come in (see _do_shutdown).
        if self._state == sslproto.SSLProtocolState.WRAPPED:
            self._do_read()  # what already arrived goes to the application before its end of input
            if not self._half_open and self._state == sslproto.SSLProtocolState.WRAPPED:
                self._call_eof_received()
            if self._half_open:
                self._eof_received = True
                return True  # keep the socket open for writing
        return super().eof_received()

    def _do_shutdown(self) -> None:
        if self._half_open and self._eof_received:
            # After a FIN asyncio would close without a close_notify (or, unwrapping, wait for the peer's one
            # until its shutdown timeout). Send ours and close: the peer reads to a clean end of the stream.
            with contextlib.suppress(ssl.SSLError):  # SSLWantReadError: ours is sent, the peer's never comes
                self._sslobj.unwrap()
            self._process_outgoing()
            self._on_shutdown_complete(None)
            return
        super()._do_shutdown()


class TLSSite(web.TCPSite):
    """aiohttp's TCPSite with :class:`HalfCloseSSLProtocol` in place of asyncio's stock SSL layer."""

    async def start(self) -> None:
        await web.BaseSite.start(self)  # registers the site with the runner (TCPSite.start would also bind)
        loop = asyncio.get_running_loop()
        server, context = self._runner.server, self._ssl_context
        assert server is not None and context is not None
        self._server = await loop.create_server(
            lambda: HalfCloseSSLProtocol(loop, server(), context), self._host, self._port,
            backlog=self._backlog, reuse_address=self._reuse_address, reuse_port=self._reuse_port)
        sockets = self._server.sockets
        self._bound_port = sockets[0].getsockname()[1] if sockets else self._port
