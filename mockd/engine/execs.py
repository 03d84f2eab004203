"""Exec instances: a second process inside a running container."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from .detach import inspect_value
from .pipe import Pipe
from .runtime import Process


@dataclass
class ExecInstance:
    id: str
    container_id: str
    config: dict  # AttachStdin/Stdout/Stderr, Tty, Env, Cmd, User, WorkingDir, Privileged, DetachKeys
    running: bool = False
    exit_code: int | None = None
    pid: int = 0
    started: bool = False
    process: Process | None = None
    stdin: Pipe = field(default_factory=Pipe)
    subscribers: set[asyncio.Queue] = field(default_factory=set)
    done: asyncio.Event = field(default_factory=asyncio.Event)
    ready: asyncio.Event = field(default_factory=asyncio.Event)  # its process started (or failed to start)
    tty_size: tuple[int, int] = (0, 0)
    detach_keys: bytes = b""  # DetachKeys, parsed (detach.exec_keys)
    detached: bool = False  # the client detached: dockerd reports exit 126 and forgets the process

    @property
    def tty(self) -> bool:
        return bool(self.config.get("Tty"))

    def emit(self, stream: int, data: bytes) -> None:
        if not data:
            return
        if self.tty:
            stream = 1
            data = data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
        for queue in list(self.subscribers):
            queue.put_nowait((stream, data))

    def subscribe(self) -> asyncio.Queue:
        queue: asyncio.Queue = asyncio.Queue()
        self.subscribers.add(queue)
        return queue

    def end_streams(self) -> None:
        for queue in list(self.subscribers):
            queue.put_nowait(None)
        self.subscribers.clear()

    def inspect(self) -> dict:
        cmd = list(self.config.get("Cmd") or [])
        return {
            "CanRemove": False,
            "ContainerID": self.container_id,
            "DetachKeys": inspect_value(self.detach_keys),
            "ExitCode": self.exit_code,
            "ID": self.id,
            "OpenStderr": bool(self.config.get("AttachStderr")),
            "OpenStdin": bool(self.config.get("AttachStdin")),
            "OpenStdout": bool(self.config.get("AttachStdout")),
            "ProcessConfig": {"arguments": cmd[1:], "entrypoint": cmd[0] if cmd else "",
                              "privileged": bool(self.config.get("Privileged")), "tty": self.tty,
                              "user": self.config.get("User") or ""},
            "Running": self.running,
            "Pid": self.pid if self.running else 0,
        }
