"""Simulated processes: a container's or exec's command run by the built-in shell, or scripted by a user rule.

A process runs as an asyncio task. Signals cancel it; the exit code is then 128+signal, as a shell
killed by that signal reports. Pausing clears the `running` event, which the shell checks at every
command, read and sleep slice, so a paused process makes no progress and writes nothing.
"""

from __future__ import annotations

import asyncio
import fnmatch
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from .filesystem import MountedFS
from .pipe import Pipe
from .shell import Context, Shell
from .signals import SIGNALS, parse_signal

__all__ = ["SIGNALS", "Process", "Rule", "parse_signal"]

@dataclass
class Rule:
    """A user rule from the seed: when the image and command match, emit this output and exit so."""

    command: str = "*"  # glob on the joined argv, or /regex/
    image: str = "*"  # glob on the image reference or id
    stdout: str = ""
    stderr: str = ""
    exit_code: int = 0
    duration: float = 0.0  # seconds before exiting (after the output)
    interval: float = 0.0  # emit stdout line by line with this delay between lines

    def matches(self, image_names: list[str], argv: list[str]) -> bool:
        joined = " ".join(argv)
        if self.command.startswith("/") and self.command.endswith("/") and len(self.command) > 1:
            if not re.search(self.command[1:-1], joined):
                return False
        elif not fnmatch.fnmatchcase(joined, self.command):
            return False
        return any(fnmatch.fnmatchcase(name, self.image) for name in image_names) or self.image in ("*", "")

    @classmethod
    def from_dict(cls, data: dict) -> Rule:
        return cls(command=str(data.get("command", "*")), image=str(data.get("image", "*")),
                   stdout=str(data.get("stdout", "")), stderr=str(data.get("stderr", "")),
                   exit_code=int(data.get("exit_code", data.get("exitCode", 0))),
                   duration=float(data.get("duration", 0)), interval=float(data.get("interval", 0)))


@dataclass
class Process:
    argv: list[str]
    fs: MountedFS
    env: dict[str, str]
    write: Callable[[int, bytes], None]
    stdin: Pipe
    cwd: str = "/"
    user: str = ""
    hostname: str = "localhost"
    pid: int = 1
    rule: Rule | None = None
    running: asyncio.Event = field(default_factory=asyncio.Event)
    tty: bool = False
    init: bool = False  # HostConfig.Init: an init process forwards signals with their default action
    task: asyncio.Task | None = None
    signal: int | None = None
    exit_code: int | None = None
    ctx: Context | None = None

    def start(self, on_exit: Callable[[int], None]) -> None:
        self.running.set()
        self.task = asyncio.ensure_future(self._main())

        def done(task: asyncio.Task) -> None:
            if task.cancelled():
                code = 128 + (self.signal or 9)
            elif task.exception() is not None:
                self.write(2, f"mockd: process failed: {task.exception()!r}\n".encode())
                code = 1
            else:
                code = task.result()
            self.exit_code = code
            on_exit(code)

        self.task.add_done_callback(done)

    async def _main(self) -> int:
        if self.rule is not None:
            return await self._run_rule(self.rule)
        ctx = self.context()
        return await Shell(ctx, name=self.argv[0]).run_argv(self.argv)

    def context(self) -> Context:
        if self.ctx is None:
            self.ctx = Context(fs=self.fs, env=self.env, write=self.write, stdin=self.stdin, cwd=self.cwd,
                               user=self.user, hostname=self.hostname, running=self.running, pid=self.pid,
                               tty=self.tty)
        return self.ctx

    async def _run_rule(self, rule: Rule) -> int:
        if rule.stdout:
            if rule.interval:
                for line in rule.stdout.splitlines(keepends=True):
                    await self._gate()
                    self.write(1, line.encode())
                    await asyncio.sleep(rule.interval)
            else:
                self.write(1, rule.stdout.encode())
        if rule.stderr:
            self.write(2, rule.stderr.encode())
        if rule.duration:
            loop = asyncio.get_running_loop()
            deadline = loop.time() + rule.duration
            while (left := deadline - loop.time()) > 0:
                await self._gate()
                await asyncio.sleep(min(left, 0.25))
        return rule.exit_code

    async def _gate(self) -> None:
        if not self.running.is_set():
            await self.running.wait()

    def kill(self, sig: int) -> bool:
        """Deliver a signal; returns whether it ends the process now.

        As in a container: SIGKILL always kills; a trapped signal runs the shell's trap action; PID 1
        without an init ignores the other signals it has no handler for (so `docker stop` of `sleep`
        waits for the timeout and kills, exit 137); other processes die with 128+signal."""
        if self.task is None or self.task.done():
            return False
        ctx = self.context() if self.rule is None else None
        if sig != 9 and ctx is not None and sig in ctx.traps:
            ctx.pending.append(sig)
            self.running.set()
            return False
        if sig not in (9, 19) and self.pid == 1 and not self.init and self.rule is None:
            if sig == 18:
                self.running.set()
            return False
        if sig in (17, 18, 23, 28):  # CHLD, CONT, URG, WINCH: default action is to ignore
            if sig == 18:
                self.running.set()
            return False
        if sig in (19, 20, 21, 22):  # stop signals: freeze
            self.running.clear()
            return False
        self.signal = sig
        self.running.set()
        self.task.cancel()
        return True

    @property
    def alive(self) -> bool:
        return self.task is not None and not self.task.done()
