"""Launching a process in a container: the one path for a container's command, an exec, a health probe and a
build `RUN` step.

`launch` does what runc does before the process runs (resolve the user, find the executable unless a seed
rule scripts the command), then builds the simulated `Process`, wires its output and its exit, and starts
it. A refusal raises `StartError` with runc's message; each caller reports it the way dockerd does for that
kind of process. `Runtime` holds what outlives a reset: the pid counter, the reset generation and the
engine's background tasks.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from .containers import Container
from .filesystem import MountedFS
from .pipe import Pipe
from .process import Process, Rule
from .shell import StartError, find_executable, resolve_user

__all__ = ["Job", "Runtime", "StartError", "container_job", "launch", "process_env", "rule_for"]


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
    hostname: str = "localhost"
    pid: int | Callable[[], int] = 1  # a callable allocates the pid once the checks passed (exec, probe)
    rule: Rule | None = None
    tty: bool = False
    init: bool = False
    check_user: bool = True  # the classic builder's RUN never resolved USER here
    check_executable: bool = True  # a restart reuses the checks of the first start


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
                   user=job.user, hostname=job.hostname, pid=pid, rule=job.rule, init=job.init, tty=job.tty)
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
    """A process's environment in the container: the container's Env, then `extra` (an exec's), then
    HOSTNAME and HOME unless set."""
    env = _env(c.config.get("Env"))
    env.update(_env(extra))
    env.setdefault("HOSTNAME", c.config.get("Hostname") or c.id[:12])
    env.setdefault("HOME", "/root")
    return env


def rule_for(rules: list[Rule], c: Container, argv: list[str]) -> Rule | None:
    """The first seed rule scripting this command in this container's image, if any."""
    names = [c.image_ref, c.image.id, *c.image.repo_tags]
    for rule in rules:
        if rule.matches(names, argv):
            return rule
    return None


def container_job(c: Container, argv: list[str], rules: list[Rule], *, write: Callable[[int, bytes], None],
                  stdin: Pipe, env_extra: list[str] | None = None, cwd: str = "", user: str = "",
                  pid: int | Callable[[], int] = 1, tty: bool = False, init: bool = False) -> Job:
    """A job in container `c`: its filesystem, environment, hostname and rules; cwd and user default to the
    container's."""
    return Job(argv=argv, fs=c.fs(), env=process_env(c, env_extra), write=write, stdin=stdin,
               cwd=cwd or c.config.get("WorkingDir") or "/", user=user or c.config.get("User") or "",
               hostname=c.config.get("Hostname") or c.id[:12], pid=pid, rule=rule_for(rules, c, argv), tty=tty,
               init=init)


class Runtime:
    """What outlives a reset: host pids keep counting, the generation tells old callbacks they are stale,
    background tasks are the engine's to cancel."""

    def __init__(self) -> None:
        self.generation = 0
        self._pid = 4000
        self._tasks: set[asyncio.Task] = set()

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
