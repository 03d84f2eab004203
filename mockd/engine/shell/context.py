"""What a shell runs in: the process's filesystem, environment and output (Context), and a command's streams (IO)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field

from ..filesystem import MountedFS
from ..netns import NetNamespace
from ..pipe import Pipe


@dataclass
class Context:
    fs: MountedFS
    env: dict[str, str]
    write: Callable[[int, bytes], None]  # (1 stdout | 2 stderr, data)
    stdin: Pipe = field(default_factory=lambda: Pipe(closed=True))
    cwd: str = "/"
    user: str = ""
    group_add: tuple[str, ...] = ()  # HostConfig.GroupAdd: supplementary groups beyond the user's (lookup.py)
    # name -> (asked of dockerd's embedded DNS, the address it knows or None): the container's name lookups
    dns: Callable[[str], tuple[bool, str | None]] | None = None
    hostname: str = "localhost"
    running: asyncio.Event | None = None  # cleared while the container is paused
    pid: int = 1
    tty: bool = False  # stdin/stdout are a terminal: an interactive sh prompts
    traps: dict[int, str] = field(default_factory=dict)  # signal -> action, set by the `trap` builtin
    pending: list[int] = field(default_factory=list)  # trapped signals waiting for the next checkpoint
    main: bool = False  # the container's own command: an unsimulated program keeps running (opaque.py)
    unsimulated: Callable[[str], None] | None = None  # reports a program mockd does not simulate
    net: NetNamespace | None = None  # the container's sockets: what its programs listen on and dial from
    depth: int = 0  # nested function calls and command substitutions now (limits.MAX_DEPTH)


Writer = Callable[[bytes], None]
Fd = Pipe | Writer  # an open file descriptor: read from a Pipe, or written through a callable


@dataclass
class IO:
    """A command's file descriptors: 0-2, always open (a closed one reads nothing or writes nowhere), and the
    others that redirections opened (``exec 3>f``, ``4<&0``)."""
    stdin: Pipe
    out: Writer
    err: Writer
    more: dict[int, Fd] = field(default_factory=dict)  # fds 3 and up

    def copy(self) -> IO:
        """The same descriptors in a table of their own (a subshell's: what it opens or closes stays in it)."""
        return IO(self.stdin, self.out, self.err, dict(self.more))

    def fd(self, number: int) -> Fd | None:
        return (self.stdin, self.out, self.err)[number] if number < 3 else self.more.get(number)
