"""A container's network namespace: the sockets its programs listen on, the connections they accept, and
`/proc/net/tcp{,6}` / `/proc/net/udp{,6}` rendered from them in the kernel's format.

The program interface (what a simulated program that listens implements; the busybox `nc -l` and
`httpd` applets, a rule's `listen:` ports and the image programs use it):

    async def serve(conn: Connection) -> None:      # one accepted connection
        request = await conn.readline()            # read()/readline() return b"" once the peer closed
        conn.write(b"HTTP/1.0 200 OK\\r\\n\\r\\nhi")  # queued at once, no back-pressure
        conn.close()                               # our side is done (the peer reads EOF)

    sock = net.listen(80, serve, owner=pid)        # OSError(EADDRINUSE) when the port is taken
    ...
    net.close(sock)                                # or net.close_owner(pid) when the process ends

A program either serves a protocol (reads requests, writes answers, closes) or accepts and holds
(`hold`: keep the connection open until the peer closes it, saying nothing; what an unscripted server
does). The handler runs as its own task; it is cancelled when its socket is closed. Who connects is not
the program's concern: the host side (`publish.py`, a published port) and in-container clients
(`net.connect(port)`, e.g. `nc HOST PORT`) get the other end of the same `Connection` pair.

While the owner is paused (`gate`, the process's `running` event), accepted connections wait: like a
frozen process, nothing is read or answered; the kernel still completes the handshake.
"""

from __future__ import annotations

import asyncio
import errno
import ipaddress
import itertools
import os
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from .filesystem import FILE, FileTree, Node
from .pipe import Pipe

LOOPBACK = ("localhost", "127.0.0.1", "::1", "[::1]", "0.0.0.0", "ip6-localhost", "ip6-loopback")
LISTEN = 0x0A  # the kernel's TCP_LISTEN state in /proc/net/tcp
ESTABLISHED = 0x01
_inodes = itertools.count(40000)
_TCP_HEADER = ("  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout "
               "inode")
_TCP6_HEADER = ("  sl  local_address                         remote_address                        st tx_queue "
                "rx_queue tr tm->when retrnsmt   uid  timeout inode")
_UDP_HEADER = ("   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode "
               "ref pointer drops")
_UDP6_HEADER = ("  sl  local_address                         remote_address                        st tx_queue "
                "rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops")


class Connection:
    """One end of an established connection: bytes in (`read`), bytes out (`write`)."""

    def __init__(self, inbound: Pipe, outbound: Pipe, peer: tuple[str, int], local: tuple[str, int],
                 gate: asyncio.Event | None = None) -> None:
        self.inbound = inbound
        self.outbound = outbound
        self.peer = peer
        self.local = local
        self.gate = gate

    async def _wait_gate(self) -> None:
        if self.gate is not None and not self.gate.is_set():
            await self.gate.wait()

    async def read(self, n: int = -1) -> bytes:
        await self._wait_gate()
        return await self.inbound.read(n)

    async def readline(self) -> bytes:
        await self._wait_gate()
        return await self.inbound.readline()

    def write(self, data: bytes) -> None:
        self.outbound.feed(data)

    def close(self) -> None:
        self.outbound.close()

    @property
    def closed(self) -> bool:
        return self.outbound.closed


def connection_pair(client: tuple[str, int], server: tuple[str, int],
                    gate: asyncio.Event | None = None) -> tuple[Connection, Connection]:
    """(client end, server end) of one connection; `gate` pauses the server end's reads."""
    up, down = Pipe(), Pipe()
    return Connection(down, up, server, client), Connection(up, down, client, server, gate)


async def hold(conn: Connection) -> None:
    """Accept and hold: read (and drop) until the peer closes; answer nothing."""
    while await conn.read():
        pass
    conn.close()


Handler = Callable[[Connection], Awaitable[None]]


@dataclass(eq=False)
class Socket:
    """A listening socket in the namespace."""

    proto: str
    port: int
    handler: Handler
    owner: int = 0  # the pid of the process that listens (its sockets close when it ends)
    ip: str = "0.0.0.0"
    gate: asyncio.Event | None = None
    uid: int = 0
    inode: int = field(default_factory=lambda: next(_inodes))
    tasks: set[asyncio.Task] = field(default_factory=set)


class NetNamespace:
    """The sockets of one container (all its processes share the namespace)."""

    def __init__(self) -> None:
        self.sockets: dict[tuple[str, int], Socket] = {}
        # What the container sees beyond itself, set by the engine when it starts (`peers.ContainerLink`):
        # `resolve(host)` -> (the peer's namespace, our address towards it) or None (Docker's embedded DNS),
        # `daemon()` -> the engine, for programs given the docker socket (Ryuk), or None.
        self.link: Any = None
        self.tree = FileTree()  # mounted at /proc/net in the container's filesystem
        self._ephemeral = itertools.count(45000)
        self._render()

    # -- the program side --
    def listen(self, port: int, handler: Handler, *, proto: str = "tcp", owner: int = 0, ip: str = "0.0.0.0",
               gate: asyncio.Event | None = None) -> Socket:
        if (proto, port) in self.sockets:
            raise OSError(errno.EADDRINUSE, os.strerror(errno.EADDRINUSE))
        sock = Socket(proto, port, handler, owner, ip, gate)
        self.sockets[(proto, port)] = sock
        self._render()
        return sock

    def close(self, sock: Socket) -> None:
        if self.sockets.get((sock.proto, sock.port)) is sock:
            del self.sockets[(sock.proto, sock.port)]
            self._render()
        for task in list(sock.tasks):
            task.cancel()

    def unlisten(self, sock: Socket) -> None:
        """Stop listening but keep the connections already accepted (`nc -l` without -k after its accept)."""
        if self.sockets.get((sock.proto, sock.port)) is sock:
            del self.sockets[(sock.proto, sock.port)]
            self._render()

    def close_owner(self, owner: int) -> None:
        """The process `owner` ended: its sockets close."""
        for sock in [s for s in self.sockets.values() if s.owner == owner]:
            self.close(sock)

    def close_all(self) -> None:
        for sock in list(self.sockets.values()):
            self.close(sock)

    def listening(self, port: int, proto: str = "tcp") -> bool:
        return (proto, port) in self.sockets

    # -- the client side --
    def connect(self, port: int, proto: str = "tcp", peer: tuple[str, int] | None = None) -> Connection | None:
        """A connection to a listening socket (the client's end), or None: refused."""
        sock = self.sockets.get((proto, port))
        if sock is None:
            return None
        client, server = connection_pair(peer or ("127.0.0.1", next(self._ephemeral)), (sock.ip, port), sock.gate)
        task = asyncio.ensure_future(self._serve(sock, server))
        sock.tasks.add(task)
        task.add_done_callback(sock.tasks.discard)
        return client

    def dial(self, host: str, port: int, proto: str = "tcp") -> Connection | None:
        """A client in this container connects to HOST:PORT: loopback and its own names reach its own sockets,
        other names what the container's networks resolve them to. None: refused; LookupError: no such host."""
        if host in LOOPBACK or (self.link is not None and self.link.is_self(host)):
            return self.connect(port, proto)
        target = self.link.resolve(host) if self.link is not None else None
        if target is None:
            raise LookupError(host)
        peer_net, own_ip = target
        return peer_net.connect(port, proto, peer=(own_ip, next(self._ephemeral)))

    @staticmethod
    async def _serve(sock: Socket, conn: Connection) -> None:
        try:
            await sock.handler(conn)
        finally:
            conn.close()

    # -- /proc/net --
    def _render(self) -> None:
        if not self.sockets and _EMPTY_TABLES:
            # Most namespaces have no sockets: share those (never mutated: a change renders new nodes), as a
            # restart of thousands of containers (mockd --data-root) makes one namespace each.
            self.tree.nodes.update(_EMPTY_TABLES)
            return
        tables = {"tcp": [_TCP_HEADER], "tcp6": [_TCP6_HEADER], "udp": [_UDP_HEADER], "udp6": [_UDP6_HEADER]}
        for sock in sorted(self.sockets.values(), key=lambda s: s.port):
            six = ":" in sock.ip
            name = sock.proto + ("6" if six else "")
            if name not in tables:
                continue
            state = LISTEN if sock.proto == "tcp" else 0x07  # udp: TCP_CLOSE, as the kernel shows a bound socket
            tables[name].append(_line(len(tables[name]) - 1, sock.ip, sock.port, state, sock.uid, sock.inode, six))
        for name, lines in tables.items():
            # The kernel pads /proc/net/tcp lines to 149 characters; the other tables are not padded.
            text = "".join((line.ljust(149) if name == "tcp" else line) + "\n" for line in lines)
            self.tree.nodes["/" + name] = Node(FILE, text.encode(), mode=0o444)
        if not self.sockets:
            _EMPTY_TABLES.update({"/" + name: self.tree.nodes["/" + name] for name in tables})


_EMPTY_TABLES: dict[str, Node] = {}  # /proc/net of a namespace without sockets, rendered once


def _hex_ip(ip: str, six: bool) -> str:
    """An address as /proc/net shows it: the in-memory (little-endian) words in hex."""
    raw = ipaddress.ip_address(ip if ip else ("::" if six else "0.0.0.0")).packed
    return "".join(raw[i:i + 4][::-1].hex().upper() for i in range(0, len(raw), 4))


def _line(slot: int, ip: str, port: int, state: int, uid: int, inode: int, six: bool) -> str:
    local = f"{_hex_ip(ip, six)}:{port:04X}"
    remote = f"{_hex_ip('', six)}:0000"
    return (f"{slot:4d}: {local} {remote} {state:02X} 00000000:00000000 00:00000000 00000000 {uid:5d} "
            f"{0:8d} {inode} 1 0000000000000000 100 0 0 10 0")
