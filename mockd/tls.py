"""TLS on TCP listeners, like dockerd's ``--tls``/``--tlsverify``/``--tlscacert``/``--tlscert``/``--tlskey``.

What dockerd does, and so mockd (moby ``daemon/command/options.go``, ``daemon.go``; docker/go-connections
``tlsconfig``; measured on dockerd 20.10):

- ``--tlsverify`` implies ``--tls``; ``--tls`` alone also verifies client certificates unless ``--tlsverify=false``
  is given. Verification requires a client certificate signed by the ``--tlscacert`` CA, and only by it (the
  system roots are not trusted for clients).
- Certificate files default to ``ca.pem``, ``cert.pem``, ``key.pem`` in ``$DOCKER_CERT_PATH``, else
  ``$DOCKER_CONFIG``, else ``~/.docker``. A default server certificate or key that does not exist becomes "" (and
  the load fails with go-connections' text for it).
- TLS 1.2 at least; for TLS 1.2 only ECDHE key exchange with AES-GCM or ChaCha20-Poly1305.
- Without ``-H``, TLS means ``tcp://localhost:2376``; ``-H tcp://host`` without a port is 2375 even with TLS
  (dockerd's ``ParseTCPAddr`` always defaults to 2375; only clients default to 2376 with TLS).
- Plain HTTP sent to a TLS port gets Go's ``400 Client sent an HTTP request to an HTTPS server.``.

Deliberate difference: dockerd also takes ``DOCKER_TLS_VERIFY`` from its environment as the default of
``--tlsverify``. mockd is usually started from the shell or CI job that configures the client under test, where
that variable is meant for the client, so mockd ignores it.

Hijacked streams (attach, exec) need one more thing: the client half-closes its side and keeps reading. Over TLS
the Go client's ``CloseWrite`` sends a close_notify alert (``tls.Conn.CloseWrite``); asyncio's SSL transport
answers any close_notify, and a TCP-level half-close, by shutting the whole connection down, which loses all later
output. :class:`HalfCloseSSLProtocol` keeps the connection open for an application protocol whose
``eof_received()`` returns True (``mockd.hijack``'s), as the plain TCP transport does.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ipaddress
import json
import logging
import os
import socket
import ssl
from asyncio import sslproto
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web

log = logging.getLogger("mockd")

DEFAULT_CA_FILE = "ca.pem"
DEFAULT_CERT_FILE = "cert.pem"
DEFAULT_KEY_FILE = "key.pem"
DEFAULT_TLS_HOST = "tcp://localhost:2376"
# Go's crypto/tls cipher suites kept by go-connections for TLS 1.2 (TLS 1.3 suites are not configurable there).
GO_TLS12_CIPHERS = "ECDHE+AESGCM:ECDHE+CHACHA20"
# Go's net/http answer to a plain HTTP request on a TLS connection; the docker CLI prints it as
# "Error response from daemon: Client sent an HTTP request to an HTTPS server."
HTTP_ON_TLS_PORT = b"HTTP/1.0 400 Bad Request\r\n\r\nClient sent an HTTP request to an HTTPS server.\n"
# The five-byte prefixes Go's net/http takes for HTTP when they arrive where a TLS record header should be.
_HTTP_PREFIXES = (b"GET /", b"HEAD ", b"POST ", b"PUT /", b"OPTIO")
# dockerd's warnings for a TCP listener without client verification (logged with host=...).
INSECURE_WARNINGS = (
    "Binding to IP address without --tlsverify is insecure and gives root access on this machine to everyone "
    "who has access to your network.",
    "Binding to an IP address, even on localhost, can also give access to scripts run in a browser. Be safe out there!",
)


class TLSConfigError(Exception):
    """Certificates that cannot be used: go-connections' texts, behind dockerd's "invalid TLS configuration: "."""


@dataclass(frozen=True)
class TLSOptions:
    verify: bool  # require client certificates signed by ca_file
    ca_file: str
    cert_file: str
    key_file: str


def default_cert_dir() -> str:
    """dockerd's default certificate directory: $DOCKER_CERT_PATH, else $DOCKER_CONFIG, else ~/.docker."""
    return os.environ.get("DOCKER_CERT_PATH") or os.environ.get("DOCKER_CONFIG") or os.path.join(
        os.path.expanduser("~"), ".docker")


def parse_go_bool(text: str) -> bool:
    """A Go ``strconv.ParseBool`` value, as pflag takes for ``--tls=false``."""
    if text in ("1", "t", "T", "true", "TRUE", "True"):
        return True
    if text in ("0", "f", "F", "false", "FALSE", "False"):
        return False
    raise argparse.ArgumentTypeError(f'invalid argument "{text}": parse error')


def add_flags(parser: argparse.ArgumentParser) -> None:
    """dockerd's TLS flags. The booleans take an optional value (``--tlsverify=false``), as Go's flags do."""
    group = parser.add_argument_group("TLS (TCP listeners)")
    group.add_argument("--tls", nargs="?", const=True, default=None, type=parse_go_bool, metavar="BOOL",
                       help="serve TCP listeners over TLS; implied by --tlsverify")
    group.add_argument("--tlsverify", nargs="?", const=True, default=None, type=parse_go_bool, metavar="BOOL",
                       help="TLS, and require client certificates signed by --tlscacert "
                            "(the default with --tls; --tlsverify=false turns it off)")
    group.add_argument("--tlscacert", metavar="FILE",
                       help=f"CA that client certificates must be signed by (default {DEFAULT_CA_FILE} in the "
                            "certificate directory: $DOCKER_CERT_PATH, $DOCKER_CONFIG or ~/.docker)")
    group.add_argument("--tlscert", metavar="FILE", help=f"server certificate (default {DEFAULT_CERT_FILE} there)")
    group.add_argument("--tlskey", metavar="FILE", help=f"server key (default {DEFAULT_KEY_FILE} there)")


def options_from_args(args: argparse.Namespace) -> TLSOptions | None:
    """dockerd's rules: --tlsverify (even =false) turns TLS on; TLS verifies unless --tlsverify=false."""
    tls = bool(args.tls) or args.tlsverify is not None
    if not tls:
        return None
    directory = default_cert_dir()
    cert, key = args.tlscert, args.tlskey
    # Defaults that do not exist become "" (dockerd does so; the load then fails with "open : ...").
    if cert is None:
        cert = os.path.join(directory, DEFAULT_CERT_FILE)
        cert = cert if os.path.exists(cert) else ""
    if key is None:
        key = os.path.join(directory, DEFAULT_KEY_FILE)
        key = key if os.path.exists(key) else ""
    ca = args.tlscacert if args.tlscacert is not None else os.path.join(directory, DEFAULT_CA_FILE)
    return TLSOptions(verify=args.tlsverify is not False, ca_file=ca, cert_file=cert, key_file=key)


def _q(text: str) -> str:
    return json.dumps(text)  # Go's %q for the file names in go-connections' messages


def _open_error(path: str, exc: OSError) -> str:
    """Go's os.Open error text: ``open PATH: no such file or directory``."""
    return f"open {path}: {(exc.strerror or str(exc)).lower()}"


class _EncryptedKey(Exception):
    pass


def _refuse_password() -> bytes:
    raise _EncryptedKey  # never prompt on the terminal as OpenSSL would; go-connections refuses such keys too


def server_context(opts: TLSOptions) -> ssl.SSLContext:
    """The listener's SSLContext (go-connections' ``tlsconfig.Server`` defaults); TLSConfigError when unusable."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.set_ciphers(GO_TLS12_CIPHERS)
    ctx.set_alpn_protocols(["http/1.1"])  # mockd speaks HTTP/1.1 only (moby after 29.1 also offers h2)
    pair = f"(cert: {_q(opts.cert_file)}, key: {_q(opts.key_file)})"
    for path in (opts.cert_file, opts.key_file):
        try:
            with open(path, "rb"):
                pass
        except OSError as exc:
            raise TLSConfigError(f"invalid TLS configuration: could not load X509 key pair {pair}: "
                                 f"{_open_error(path, exc)}") from None
    try:
        ctx.load_cert_chain(opts.cert_file, opts.key_file, password=_refuse_password)
    except _EncryptedKey:
        raise TLSConfigError(f"invalid TLS configuration: error reading X509 key pair - make sure the key is not "
                             f"encrypted {pair}: private key is encrypted; encrypted private keys are obsolete, "
                             "and not supported") from None
    except (ssl.SSLError, ValueError) as exc:
        raise TLSConfigError(f"invalid TLS configuration: error reading X509 key pair - make sure the key is not "
                             f"encrypted {pair}: {getattr(exc, 'reason', None) or exc}") from None
    if opts.verify:
        ctx.verify_mode = ssl.CERT_REQUIRED  # and only this CA: no system roots for client certificates
        try:
            pem = Path(opts.ca_file).read_text(errors="replace")
        except OSError as exc:
            raise TLSConfigError(f"invalid TLS configuration: could not read CA certificate {_q(opts.ca_file)}: "
                                 f"{_open_error(opts.ca_file, exc)}") from None
        try:
            ctx.load_verify_locations(cadata=pem)
        except (ssl.SSLError, ValueError):
            raise TLSConfigError("invalid TLS configuration: failed to append certificates from PEM file: "
                                 f"{_q(opts.ca_file)}") from None
    return ctx


def is_loopback(host: str) -> bool:
    """Whether a listener's host only reaches this machine (dockerd: "localhost", or loopback addresses)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except OSError:
        return False
    return bool(infos) and all(ipaddress.ip_address(info[4][0]).is_loopback for info in infos)


def insecure_warnings(host: str, opts: TLSOptions | None) -> tuple[str, ...]:
    """dockerd's warnings for a TCP listener reachable beyond this machine without client verification.

    dockerd logs them for loopback listeners too and then sleeps (1 s, 15 s beyond loopback) so that they are
    seen; mockd warns only beyond loopback and never delays its start (plain TCP on loopback is its CI default).
    """
    if (opts is not None and opts.verify) or is_loopback(host):
        return ()
    return INSECURE_WARNINGS


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
            if not self._half_open:
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
