"""Who may use the control plane (``/_mockd/``) and how: the rules in one place.

The control plane resets the daemon, replaces its seed and writes record files, so it is guarded more
tightly than the Docker API itself (whose TCP listener is, as with dockerd, the operator's choice):

- **unix socket**: allowed. The socket is mode 0660; whoever can connect can drive the daemon anyway,
  and no browser can reach a unix socket.
- **TCP without ``--control-on-tcp``**: ``404 {"message":"page not found"}``, byte for byte the answer to
  a path no route matches. Chosen over 403 because it leaks least: a scan cannot tell that a control
  plane exists at all.
- **TCP with ``--control-on-tcp``**, checked in this order (the first failing check answers):

  1. an ``Origin`` header -> 403. Browsers send it on every cross-origin request and on every POST;
     curl, scripts and the pytest plugin never do.
  2. a ``Host`` that is neither loopback (``localhost``, ``*.localhost``, 127.0.0.0/8, ``::1``) nor the
     address the connection came in on, or a port other than the listener's -> 403 (DNS rebinding:
     a page on ``evil.example`` that resolves to 127.0.0.1 still sends ``Host: evil.example``).
  3. no ``Authorization: Bearer <token>``, or a wrong token -> 401 (``WWW-Authenticate: Bearer``).
     The token is made at start-up, printed, and written to a 0600 file (``mockd.cli``).
  4. a body whose ``Content-Type`` is not JSON (``application/json``; the seed also takes
     ``application/yaml``, ``application/x-yaml``, ``text/yaml``) -> 400 with dockerd's own wording for
     a create with the wrong type. So the CORS "simple request" types (``text/plain``,
     ``application/x-www-form-urlencoded``, ``multipart/form-data``) and an unlabelled body are never
     accepted. Requests without a body need no type.

Every refusal is dockerd-shaped JSON (``{"message": ...}``) without daemon headers.
"""

from __future__ import annotations

import hmac
import ipaddress
import secrets
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from aiohttp import web

from mockd.errors import error_response, page_not_found

JSON_TYPES = frozenset({"application/json"})
SEED_TYPES = JSON_TYPES | {"application/yaml", "application/x-yaml", "text/yaml"}


def new_token() -> str:
    return secrets.token_urlsafe(32)


@dataclass(frozen=True)
class ControlAccess:
    """The guard every control route runs first. ``token`` is None when the control plane is unix-only."""

    on_tcp: bool
    token: str | None

    def refusal(self, request: web.Request, accepts: frozenset[str]) -> web.Response | None:
        """None when the request may go on, else the answer that refuses it."""
        local = _local_address(request)
        if local is None:  # a unix socket (or a connection already gone: nothing to answer)
            return None
        if not self.on_tcp or self.token is None:
            return page_not_found()
        if "Origin" in request.headers:
            return error_response(403, "mockd control plane: requests with an Origin header are refused")
        host = request.headers.get("Host", "")
        if not _host_is_local(host, local):
            return error_response(403, f"mockd control plane: Host {host!r} is not this listener "
                                       f"(use localhost:{local[1]} or {_format_host(local)})")
        if not self._token_ok(request.headers.get("Authorization", "")):
            response = error_response(401, "mockd control plane over TCP needs 'Authorization: Bearer <token>' "
                                           "with the token mockd printed at start-up (also in its token file)")
            response.headers["WWW-Authenticate"] = 'Bearer realm="mockd control plane"'
            return response
        if request.body_exists:
            kind = _media_type(request.headers.get("Content-Type", ""))
            if kind not in accepts:
                wanted = "' or '".join(sorted(accepts))
                return error_response(400, f"Content-Type specified ({kind or 'none'}) must be '{wanted}'")
        return None

    def _token_ok(self, header: str) -> bool:
        scheme, _, value = header.strip().partition(" ")
        if scheme.lower() != "bearer" or self.token is None:
            return False
        return hmac.compare_digest(value.strip().encode(), self.token.encode())


def _local_address(request: web.Request) -> tuple[str, int] | None:
    """The (address, port) a TCP connection came in on; None for a unix socket."""
    transport = request.transport
    if transport is None:
        return None
    sock = transport.get_extra_info("socket")
    if sock is None or sock.family not in (socket.AF_INET, socket.AF_INET6):
        return None
    name = transport.get_extra_info("sockname")
    return str(name[0]), int(name[1])


def _host_is_local(host: str, local: tuple[str, int]) -> bool:
    try:
        parts = urlsplit("//" + host)
        name, port = parts.hostname, parts.port
    except ValueError:
        return False
    if not name or (port if port is not None else 80) != local[1]:
        return False
    if name == "localhost" or name.endswith(".localhost"):  # RFC 6761: always loopback
        return True
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        return False
    return address.is_loopback or _same_address(address, local[0])


def _same_address(address: ipaddress.IPv4Address | ipaddress.IPv6Address, local: str) -> bool:
    own = ipaddress.ip_address(local)
    if isinstance(own, ipaddress.IPv6Address) and own.ipv4_mapped is not None:
        own = own.ipv4_mapped  # a dual-stack listener sees IPv4 peers as ::ffff:a.b.c.d
    return address == own


def _format_host(local: tuple[str, int]) -> str:
    address, port = local
    return f"[{address}]:{port}" if ":" in address else f"{address}:{port}"


def _media_type(header: str) -> str:
    return header.split(";", 1)[0].strip().lower()
