"""Published ports on the host: what dockerd's port mapper and userland proxy (`docker-proxy`) do.

At start a container's `PortBindings` (and, with `PublishAllPorts`, its other exposed ports) get host ports
(`ports.PortAllocator`), each really bound on the host unless publishing is off; an accepted connection is
carried to the container's namespace (`netns.NetNamespace.connect`), where a program listening on the
container port serves it; with no listener there the connection is closed at once, as docker-proxy does
when it cannot reach the container. The listeners close when the container's process ends (stop, kill,
remove) and on a reset; a pause leaves them open (docker-proxy is not in the container's cgroup), the
accepted connections simply wait.

Where mockd binds is its own setting (`mockd --publish-ports`), never the client's `HostIp`:
`loopback` (default: 127.0.0.1, reported as dockerd reports it, `0.0.0.0`/`::`), `all` (the `HostIp` asked
for, else 0.0.0.0) or `off` (ports allocated and reported, nothing bound).
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import socket
from dataclasses import dataclass, field

from .containers import Container
from .errors import EngineError, InvalidParameter
from .ports import (
    PROTOCOLS,
    PortAllocator,
    already_allocated,
    ephemeral_range,
    parse_range,
    programming_error,
    split_proto_port,
    userland_proxy_error,
)

MODES = ("loopback", "all", "off")
log = logging.getLogger("mockd.ports")
HINT = ("mockd: published ports listen on 127.0.0.1 only (--publish-ports=loopback; use --publish-ports=all to "
        "listen on every address). Clients that connect to the daemon's host for published ports (testcontainers) "
        "should use localhost: export TESTCONTAINERS_HOST_OVERRIDE=127.0.0.1 (and, when they run inside a container, "
        "TESTCONTAINERS_CONNECTION_MODE=docker_host: there they would dial the bridge gateway mockd does not have)")


def check_mode(mode: str) -> str:
    if mode not in MODES:
        raise InvalidParameter(f"--publish-ports must be one of {', '.join(MODES)}, not {mode!r}")
    return mode


@dataclass(eq=False)
class HostListener:
    """One bound host port serving one container port."""

    sock: socket.socket
    container_port: int
    server: asyncio.base_events.Server | None = None
    task: asyncio.Task | None = None
    proxies: set[asyncio.Task] = field(default_factory=set)

    def close(self) -> None:
        if self.server is not None:
            self.server.close()
        elif self.task is not None:
            self.task.cancel()
        with contextlib.suppress(OSError):
            self.sock.close()
        for task in list(self.proxies):
            task.cancel()


class Publisher:
    def __init__(self, mode: str = "loopback", allocator: PortAllocator | None = None) -> None:
        self.mode = check_mode(mode)
        self.allocator = allocator or PortAllocator(*ephemeral_range())
        self.listeners: dict[str, list[HostListener]] = {}  # container id -> its host listeners
        self.hinted = False

    # -- start / stop --
    def publish(self, c: Container) -> dict[str, list[dict]]:
        """Allocate and bind the container's published ports; the reported bindings per port (what
        `NetworkSettings.Ports` shows). EngineError with dockerd's text when a port cannot be had; then nothing
        stays held."""
        c.published = {}
        mode = c.host_config.get("NetworkMode") or "default"
        if mode in ("none", "host") or mode.startswith("container:"):
            return c.published  # no port mapping outside a network of its own (host: the ports are the host's)
        try:
            for key, binds in self._wanted(c).items():
                c.published[key] = self._publish_port(c, key, binds)
        except EngineError:
            self.unpublish(c)
            raise
        return c.published

    def unpublish(self, c: Container) -> None:
        for listener in self.listeners.pop(c.id, []):
            listener.close()
        self.allocator.release(c.id)
        c.published = None

    def close_all(self) -> None:
        for listeners in self.listeners.values():
            for listener in listeners:
                listener.close()
        self.listeners.clear()
        self.allocator.held.clear()

    # -- one port --
    @staticmethod
    def _wanted(c: Container) -> dict[str, list[dict]]:
        wanted = {str(k): list(v or [{}]) for k, v in (c.host_config.get("PortBindings") or {}).items()}
        if c.host_config.get("PublishAllPorts"):
            for key in c.config.get("ExposedPorts") or {}:
                wanted.setdefault(key, [{}])
        return wanted

    def _publish_port(self, c: Container, key: str, binds: list[dict]) -> list[dict]:
        proto, port_text = split_proto_port(key)
        endpoint = next((s.get("EndpointID") or "" for s in c.networks.values()), "")
        if proto not in PROTOCOLS:
            raise programming_error(c.name, endpoint, "invalid transport protocol: 0")
        out: list[dict] = []
        for b in binds:
            host_ip = str((b or {}).get("HostIp") or "")
            host_port = str((b or {}).get("HostPort") or "")
            wanted = None if host_port in ("", "0") else parse_range(split_proto_port(host_port)[1])
            port = self._take(c, proto, host_ip, int(port_text), wanted, endpoint)
            out.append({"HostIp": host_ip or "0.0.0.0", "HostPort": str(port)})
            if not host_ip:
                out.append({"HostIp": "::", "HostPort": str(port)})
        return out

    def _take(self, c: Container, proto: str, host_ip: str, container_port: int, wanted: tuple[int, int] | None,
              endpoint: str) -> int:
        shown_ip = host_ip or "0.0.0.0"
        single = wanted is not None and wanted[0] == wanted[1]
        if single and not self.allocator.is_free(proto, shown_ip, wanted[0]):
            raise programming_error(c.name, endpoint, already_allocated(host_ip, wanted[0]))
        for port in self.allocator.candidates(proto, shown_ip, wanted):
            try:
                self._bind(c, proto, host_ip, port, container_port)
            except OSError as err:
                if err.errno == errno.EADDRINUSE and not single:
                    continue  # a host process has it: the allocator moves on to the next port
                reason = "address already in use" if err.errno == errno.EADDRINUSE else (err.strerror or str(err))
                detail = userland_proxy_error(proto, shown_ip, port, reason.lower())
                if err.errno == errno.EACCES:
                    detail += (" (mockd may not bind ports below 1024 here: publish a port from 1024 up, or give "
                               "mockd CAP_NET_BIND_SERVICE)")
                raise programming_error(c.name, endpoint, detail) from None
            self.allocator.hold(proto, shown_ip, port, c.id)
            return port
        low, high = wanted or (self.allocator.low, self.allocator.high)
        detail = (f"Bind for {shown_ip}:{low}-{high} failed: port is already allocated" if wanted
                  else "all ports are allocated")
        raise programming_error(c.name, endpoint, detail)

    def _bind(self, c: Container, proto: str, host_ip: str, port: int, container_port: int) -> None:
        """Bind the host port (not when publishing is off); tcp is served, udp and sctp are only held."""
        if self.mode == "off" or proto == "sctp":
            return
        six = ":" in host_ip
        if self.mode == "loopback":
            address = "::1" if six else "127.0.0.1"
        else:
            address = host_ip or "0.0.0.0"
        kind = socket.SOCK_STREAM if proto == "tcp" else socket.SOCK_DGRAM
        sock = socket.socket(socket.AF_INET6 if six else socket.AF_INET, kind)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as Go's listeners: rebind after TIME_WAIT
            sock.bind((address, port))
            if proto == "tcp":
                sock.listen(128)
            sock.setblocking(False)
        except OSError:
            sock.close()
            raise
        listener = HostListener(sock, container_port)
        self.listeners.setdefault(c.id, []).append(listener)
        if proto == "tcp":
            listener.task = asyncio.ensure_future(self._serve(c, listener))
        if self.mode == "loopback" and not self.hinted:
            self.hinted = True
            log.warning(HINT)

    async def _serve(self, c: Container, listener: HostListener) -> None:
        async def accepted(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            task = asyncio.current_task()
            assert task is not None
            listener.proxies.add(task)
            try:
                await _proxy(c, listener.container_port, reader, writer)
            finally:
                listener.proxies.discard(task)

        listener.server = await asyncio.start_server(accepted, sock=listener.sock)


async def _proxy(c: Container, port: int, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Carry one host connection to the container's listening socket, both ways, until both sides closed."""
    peer = writer.get_extra_info("peername") or ("127.0.0.1", 0)
    gateway = next((s.get("Gateway") for s in c.networks.values() if s.get("Gateway")), "172.17.0.1")
    conn = c.net.connect(port, peer=(gateway, int(peer[1]) if len(peer) > 1 else 0))
    try:
        if conn is None:
            return  # nothing listens in the container: docker-proxy closes the client's connection

        async def upstream() -> None:
            try:
                while data := await reader.read(65536):
                    conn.write(data)
            except (ConnectionError, OSError):
                pass  # a reset (the client process was killed) ends the connection as an EOF does
            finally:
                conn.close()

        up = asyncio.ensure_future(upstream())
        try:
            while data := await conn.read():
                writer.write(data)
                await writer.drain()
        finally:
            up.cancel()
    except (ConnectionError, OSError):
        pass
    finally:
        if conn is not None:
            conn.close()
        with contextlib.suppress(ConnectionError, OSError, RuntimeError):
            writer.close()
