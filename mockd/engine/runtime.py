"""Launching a process in a container: the one path for a container's command, an exec, a health probe and a
build `RUN` step.

`launch` does what runc does before the process runs (resolve the user, find the executable unless a seed
rule scripts the command), then builds the simulated `Process`, wires its output and its exit, and starts
it. A refusal raises `StartError` with runc's message; each caller reports it the way dockerd does for that
kind of process. `Runtime` holds what outlives a reset: the pid counter, the reset generation and the
engine's background tasks.

A `Process` runs as an asyncio task. Signals cancel it; the exit code is then 128+signal, as a shell
killed by that signal reports. Pausing clears the `running` event, which the shell checks at every
command, read and sleep slice, so a paused process makes no progress and writes nothing.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

from . import opaque
from .containers import Container
from .filesystem import MountedFS
from .netns import NetNamespace, hold
from .pipe import Pipe
from .process import Rule, choose
from .shell import Context, Shell, StartError, find_executable, resolve_user

log = logging.getLogger("mockd.programs")
__all__ = ["Job", "Process", "Runtime", "StartError", "container_job", "launch", "process_env", "rule_for"]


@dataclass
class Process:
    argv: list[str]
    fs: MountedFS
    env: dict[str, str]
    write: Callable[[int, bytes], None]
    stdin: Pipe
    cwd: str = "/"
    user: str = ""
    group_add: tuple[str, ...] = ()
    dns: Callable[[str], tuple[bool, str | None]] | None = None
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
    net: NetNamespace | None = None  # the container's namespace: the sockets it opens close when it ends
    scope: str = "start"  # start | exec | healthcheck | build: what kind of process (rules, opaque programs)
    unsimulated: Callable[[str], None] | None = None  # `Runtime.unsimulated_program`

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
            if self.net is not None:
                self.net.close_owner(self.pid)
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
                               user=self.user, group_add=self.group_add, dns=self.dns, hostname=self.hostname, running=self.running, pid=self.pid,
                               tty=self.tty, main=self.scope == "start", unsimulated=self.unsimulated,
                               net=self.net)
        return self.ctx

    async def _run_rule(self, rule: Rule) -> int:
        for port in rule.listen:
            if self.net is not None:
                try:
                    self.net.listen(port, hold, owner=self.pid, gate=self.running)
                except OSError as err:
                    self.write(2, f"mockd: rule {rule.command!r}: listen on :{port}: {err.strerror}\n".encode())
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
        if rule.listen and not rule.duration:
            await asyncio.Event().wait()  # a server: it runs until it is stopped
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


@dataclass
class Job:
    """What to run and how; `launch` turns it into a started `Process`."""

    argv: list[str]
    fs: MountedFS
    env: dict[str, str]
    write: Callable[[int, bytes], None]
    stdin: Pipe
    cwd: str = "/"
    user: str = ""
    group_add: tuple[str, ...] = ()  # HostConfig.GroupAdd
    dns: Callable[[str], tuple[bool, str | None]] | None = None  # the container's name lookups (shell Context.dns)
    hostname: str = "localhost"
    pid: int | Callable[[], int] = 1  # a callable allocates the pid once the checks passed (exec, probe)
    rule: Rule | None = None
    tty: bool = False
    init: bool = False
    check_user: bool = True  # the classic builder's RUN never resolved USER here
    check_executable: bool = True  # a restart reuses the checks of the first start
    net: NetNamespace | None = None
    scope: str = "start"  # start | exec | healthcheck | build
    unsimulated: Callable[[str], None] | None = None


def launch(job: Job, on_exit: Callable[[int], None],
           before_start: Callable[[Process], None] | None = None) -> Process:
    """Check, build and start the process; `on_exit(code)` runs when it ends. Raises StartError before
    anything runs. `before_start(process)` lets the owner record the process (its state, pid, events)
    before it is started."""
    if job.check_user:
        resolve_user(job.fs, job.user)
    if job.check_executable and job.rule is None:
        find_executable(job.fs, job.argv[0], job.env, job.cwd)
    pid = job.pid() if callable(job.pid) else job.pid
    proc = Process(argv=job.argv, fs=job.fs, env=job.env, write=job.write, stdin=job.stdin, cwd=job.cwd,
                   user=job.user, group_add=job.group_add, dns=job.dns, hostname=job.hostname, pid=pid, rule=job.rule, init=job.init, tty=job.tty,
                   net=job.net, scope=job.scope, unsimulated=job.unsimulated)
    if before_start is not None:
        before_start(proc)
    proc.start(on_exit)
    return proc


def _env(env_list: list[str] | None) -> dict[str, str]:
    env = {}
    for item in env_list or []:
        key, eq, value = item.partition("=")
        if eq:
            env[key] = value
    return env


def process_env(c: Container, extra: list[str] | None = None) -> dict[str, str]:
    """A process's environment in the container: the legacy link variables, the container's Env, then `extra`
    (an exec's), then HOSTNAME and HOME unless set."""
    env = _env(c.link_env)  # dockerd puts the link variables first: the container's own Env wins
    env.update(_env(c.config.get("Env")))
    env.update(_env(extra))
    env.setdefault("HOSTNAME", c.config.get("Hostname") or c.id[:12])
    env.setdefault("HOME", "/root")
    return env


def rule_for(rules: list[Rule], c: Container, argv: list[str], scope: str = "any") -> Rule | None:
    """The seed rule scripting this command of this kind (`start`, `exec`, `healthcheck`) in this container's
    image: the most specific match (`process.choose`), if any."""
    return choose(rules, [c.image_ref, c.image.id, *c.image.repo_tags], argv, scope)


def container_job(c: Container, argv: list[str], rules: list[Rule], *, write: Callable[[int, bytes], None],
                  stdin: Pipe, env_extra: list[str] | None = None, cwd: str = "", user: str = "",
                  pid: int | Callable[[], int] = 1, tty: bool = False, init: bool = False,
                  scope: str = "start", unsimulated: Callable[[str], None] | None = None,
                  dns: Callable[[str], tuple[bool, str | None]] | None = None) -> Job:
    """A job in container `c`: its filesystem, environment, hostname and the rule for this kind of process
    (`scope`: start, exec or healthcheck); cwd and user default to the container's."""
    return Job(argv=argv, fs=c.fs(), env=process_env(c, env_extra), write=write, stdin=stdin,
               cwd=cwd or c.config.get("WorkingDir") or "/", user=user or c.config.get("User") or "",
               group_add=tuple(str(g) for g in c.host_config.get("GroupAdd") or ()),
               hostname=c.config.get("Hostname") or c.id[:12], pid=pid, rule=rule_for(rules, c, argv, scope), tty=tty,
               init=init, net=c.net, scope=scope, unsimulated=unsimulated, dns=dns)


class Runtime:
    """What outlives a reset: host pids keep counting, the generation tells old callbacks they are stale,
    background tasks are the engine's to cancel."""

    def __init__(self) -> None:
        self.generation = 0
        self._pid = 4000
        self._tasks: set[asyncio.Task] = set()
        self.unsimulated: set[str] = set()  # programs reported since the last reset
        self.report: Callable[[str, str], None] | None = None  # (program, message): the server's findings

    def unsimulated_program(self, program: str) -> None:
        """An opaque process started (`opaque.py`): log and report it once per program."""
        if program in self.unsimulated:
            return
        self.unsimulated.add(program)
        text = opaque.message(program)
        log.warning("%s", text)
        if self.report is not None:
            self.report(program, text)

    def next_pid(self) -> int:
        self._pid += random.randint(1, 40)
        return self._pid

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def cancel_tasks(self) -> None:
        for task in self._tasks:
            task.cancel()
        self._tasks.clear()
