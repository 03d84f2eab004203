"""A small synchronous HTTP client for Docker-compatible daemons: unix sockets and TCP hosts.

Hosts are spelled like the docker CLI's ``-H``: ``unix:///var/run/docker.sock``, ``tcp://host:2375``,
``http://host:port``. With no host, ``$DOCKER_HOST`` and then the default socket are used.

Every request opens a fresh connection: streams (events, logs, exports) are cut after a byte or time
bound by closing it, and the probes may run requests from several threads at once.
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import time
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

DEFAULT_SOCKET = "/var/run/docker.sock"
DEFAULT_TIMEOUT = 30.0


class HostError(ValueError):
    """A -H / DOCKER_HOST value this client cannot use."""


@dataclass(frozen=True)
class Host:
    scheme: str  # "unix" or "tcp"
    address: str  # socket path, or host:port

    def __str__(self) -> str:
        return f"{self.scheme}://{self.address}"


def parse_host(text: str | None = None, environ: Mapping[str, str] | None = None) -> Host:
    """-H value -> Host; None falls back on ``$DOCKER_HOST``, then the default socket (docker CLI order)."""
    env = os.environ if environ is None else environ
    text = text or env.get("DOCKER_HOST") or f"unix://{DEFAULT_SOCKET}"
    if text.startswith("/"):
        return Host("unix", text)
    parsed = urllib.parse.urlsplit(text)
    if parsed.scheme == "unix":
        path = parsed.path or parsed.netloc
        if not path:
            raise HostError(f"{text!r}: no socket path")
        return Host("unix", path)
    if parsed.scheme in ("tcp", "http"):
        if not parsed.hostname:
            raise HostError(f"{text!r}: no host name")
        port = parsed.port or 2375
        host = f"[{parsed.hostname}]" if ":" in parsed.hostname else parsed.hostname
        return Host("tcp", f"{host}:{port}")
    if parsed.scheme == "https":
        raise HostError(f"{text!r}: TLS hosts are not supported; use a unix socket or plain tcp://")
    raise HostError(f"{text!r}: expected unix:///path or tcp://host:port")


class _UnixConnection(http.client.HTTPConnection):
    def __init__(self, path: str, timeout: float) -> None:
        super().__init__("docker", timeout=timeout)
        self._path = path

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        try:
            sock.connect(self._path)
        except OSError:
            sock.close()
            raise
        self.sock = sock


@dataclass
class Response:
    method: str
    url: str  # path and query as sent
    status: int
    reason: str
    headers: list[tuple[str, str]]
    body: bytes
    truncated: bool = False  # the body was cut at the byte or time bound
    elapsed: float = 0.0
    _json: Any = field(default=None, repr=False)

    def header(self, name: str) -> str | None:
        name = name.lower()
        for key, value in self.headers:
            if key.lower() == name:
                return value
        return None

    def header_names(self) -> set[str]:
        return {k.lower() for k, _ in self.headers}

    @property
    def content_type(self) -> str | None:
        return self.header("Content-Type")

    @property
    def mime(self) -> str:
        return (self.content_type or "").split(";")[0].strip().lower()

    def json(self) -> Any:
        """The body as JSON (raises ValueError when it is not)."""
        if self._json is None:
            self._json = json.loads(self.body)
        return self._json

    def json_or_none(self) -> Any:
        try:
            return self.json()
        except (ValueError, UnicodeDecodeError):
            return None


class TransportError(OSError):
    """The daemon could not be reached, or the connection broke before a response."""


class DaemonClient:
    """Requests against one daemon. ``version`` (e.g. ``"1.41"``) prefixes paths as ``/v1.41``."""

    def __init__(self, host: Host | str | None = None, timeout: float = DEFAULT_TIMEOUT, user_agent: str = "apicheck") -> None:
        self.host = host if isinstance(host, Host) else parse_host(host)
        self.timeout = timeout
        self.user_agent = user_agent
        # The daemon's own newest API version, once the handshake has read it (newer fields are a hazard).
        self.api_max: str | None = None

    def _connection(self, timeout: float) -> http.client.HTTPConnection:
        if self.host.scheme == "unix":
            return _UnixConnection(self.host.address, timeout)
        hostname, _, port = self.host.address.rpartition(":")
        return http.client.HTTPConnection(hostname.strip("[]"), int(port), timeout=timeout)

    @staticmethod
    def url(path: str, version: str | None = None, query: Mapping[str, Any] | None = None) -> str:
        prefix = f"/v{version}" if version else ""
        url = prefix + path
        if query:
            pairs: list[tuple[str, str]] = []
            for key, value in query.items():
                values = value if isinstance(value, list | tuple) else [value]
                for v in values:
                    if isinstance(v, bool):
                        v = "1" if v else "0"
                    elif isinstance(v, dict):
                        v = json.dumps(v, separators=(",", ":"))
                    pairs.append((key, str(v)))
            url += "?" + urllib.parse.urlencode(pairs)
        return url

    def request(
        self,
        method: str,
        path: str,
        *,
        version: str | None = None,
        query: Mapping[str, Any] | None = None,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
        max_bytes: int | None = None,
        read_seconds: float | None = None,
        timeout: float | None = None,
        raw_url: str | None = None,
    ) -> Response:
        """One request. ``body``: bytes are sent as is, anything else (not None) as JSON.

        ``max_bytes`` / ``read_seconds`` bound the body read: the connection is closed when either is
        reached and the response is marked ``truncated``.
        """
        url = raw_url if raw_url is not None else self.url(path, version, query)
        hdrs = {"User-Agent": self.user_agent, **(headers or {})}
        data: bytes | None = None
        if isinstance(body, bytes):
            data = body
        elif body is not None:
            data = json.dumps(body).encode()
            hdrs.setdefault("Content-Type", "application/json")
        timeout = timeout or self.timeout
        conn = self._connection(read_seconds if read_seconds is not None else timeout)
        started = time.monotonic()
        try:
            try:
                conn.request(method, url, body=data, headers=hdrs)
                resp = conn.getresponse()
            except (OSError, http.client.HTTPException) as exc:
                raise TransportError(f"{method} {url}: {exc}") from exc
            payload, truncated = _read_bounded(resp, max_bytes, read_seconds, started)
            return Response(
                method=method, url=url, status=resp.status, reason=resp.reason, headers=resp.getheaders(),
                body=payload, truncated=truncated, elapsed=time.monotonic() - started,
            )
        finally:
            conn.close()


def _read_bounded(
    resp: http.client.HTTPResponse, max_bytes: int | None, read_seconds: float | None, started: float
) -> tuple[bytes, bool]:
    if max_bytes is None and read_seconds is None:
        try:
            return resp.read(), False
        except http.client.IncompleteRead as exc:
            return exc.partial, True
        except TimeoutError:
            return b"", True
    chunks: list[bytes] = []
    size = 0
    try:
        while True:
            if read_seconds is not None and time.monotonic() - started > read_seconds:
                return b"".join(chunks), True
            chunk = resp.read1(65536)
            if not chunk:
                return b"".join(chunks), False
            chunks.append(chunk)
            size += len(chunk)
            if max_bytes is not None and size >= max_bytes:
                return b"".join(chunks)[:max_bytes], True
    except TimeoutError:
        return b"".join(chunks), True
    except http.client.IncompleteRead as exc:
        chunks.append(exc.partial)
        return b"".join(chunks), True
