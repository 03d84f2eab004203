"""Container healthchecks (`HEALTHCHECK`, `docker run --health-*`), kept as dockerd keeps them.

A probe runs through the simulated process model inside the container, like an exec. `State.Health` holds the
status (`starting` until the first success or until `Retries` failures after the start period, then `healthy` /
`unhealthy`), the failing streak and the last five probe results; a change of status emits dockerd's
`health_status: <status>` event. `docker ps` shows it in the status text and filters on it (`health=`).
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from .ids import now_ns, rfc3339
from .pipe import Pipe
from .process import Process
from .shell import StartError, find_executable, resolve_user

if TYPE_CHECKING:
    from .containers import Container
    from .engine import Engine

SECOND = 1_000_000_000
DEFAULT_INTERVAL = 30 * SECOND  # dockerd's defaults when the healthcheck leaves them 0
DEFAULT_TIMEOUT = 30 * SECOND
DEFAULT_RETRIES = 3
MAX_LOG = 5  # dockerd keeps the last five probe results
MAX_OUTPUT = 4096  # and at most 4 KiB of each probe's output


def probe_argv(config: dict) -> list[str] | None:
    """The probe's command line, or None when the container has no healthcheck (`NONE`, none configured)."""
    test = list((config.get("Healthcheck") or {}).get("Test") or [])
    if not test or test[0] == "NONE":
        return None
    if test[0] == "CMD" and len(test) > 1:
        return test[1:]
    if test[0] == "CMD-SHELL" and len(test) > 1:
        return [*(config.get("Shell") or ["/bin/sh", "-c"]), test[1]]
    return None


def start_monitor(engine: Engine, c: Container) -> None:
    """Called when the container's process starts: status back to `starting`, probes scheduled."""
    argv = probe_argv(c.config)
    if argv is None:
        return
    previous = c.health or {}
    c.health = {"Status": "starting", "FailingStreak": 0, "Log": list(previous.get("Log") or [])}
    engine._spawn(_monitor(engine, c, c.process, argv, engine.generation))  # noqa: SLF001 - engine-owned task


async def _monitor(engine: Engine, c: Container, process: Process | None, argv: list[str], generation: int) -> None:
    hc = c.config.get("Healthcheck") or {}
    interval = int(hc.get("Interval") or DEFAULT_INTERVAL)
    start_interval = int(hc.get("StartInterval") or interval)
    timeout = int(hc.get("Timeout") or DEFAULT_TIMEOUT)
    retries = int(hc.get("Retries") or DEFAULT_RETRIES)
    start_period = int(hc.get("StartPeriod") or 0)
    while True:
        in_start_period = now_ns() - c.started_ns < start_period
        await asyncio.sleep((start_interval if in_start_period and c.health["Status"] == "starting"
                             else interval) / SECOND)
        if generation != engine.generation or c.process is not process or not c.running or c.removed:
            return
        if c.status == "paused":
            continue
        started = now_ns()
        code, output = await _probe(engine, c, argv, timeout)
        if generation != engine.generation or c.process is not process or not c.running:
            return
        _record(engine, c, started, code, output, retries, in_start_period)


async def _probe(engine: Engine, c: Container, argv: list[str], timeout: int) -> tuple[int, str]:
    fs = c.fs()
    env = engine._process_env(c)  # noqa: SLF001 - the engine's own environment rules
    workdir = c.config.get("WorkingDir") or "/"
    user = c.config.get("User") or ""
    rule = engine._rule_for(c, argv)  # noqa: SLF001
    try:
        resolve_user(fs, user)
        if rule is None:
            find_executable(fs, argv[0], env, workdir)
    except StartError as err:
        return -1, f"OCI runtime exec failed: exec failed: unable to start container process: {err.message}: unknown"
    chunks: list[bytes] = []
    proc = Process(argv=argv, fs=fs, env=env, write=lambda _s, d: chunks.append(d), stdin=Pipe(closed=True),
                   cwd=workdir, user=user, hostname=c.config.get("Hostname") or c.id[:12],
                   pid=engine._next_pid(), rule=rule)  # noqa: SLF001
    done: asyncio.Future = asyncio.get_running_loop().create_future()
    proc.start(lambda code: done.done() or done.set_result(code))
    try:
        code = await asyncio.wait_for(asyncio.shield(done), timeout / SECOND)
    except TimeoutError:
        proc.kill(9)
        return -1, f"Health check exceeded timeout ({_seconds(timeout)})"
    return code, b"".join(chunks).decode(errors="replace")[:MAX_OUTPUT]


def _record(engine: Engine, c: Container, started: int, code: int, output: str, retries: int,
            in_start_period: bool) -> None:
    health = c.health
    health["Log"] = [*health["Log"], {"Start": rfc3339(started), "End": rfc3339(now_ns()), "ExitCode": code,
                                      "Output": output}][-MAX_LOG:]
    old = health["Status"]
    if code == 0:
        health["FailingStreak"] = 0
        health["Status"] = "healthy"
    elif not in_start_period or old != "starting":  # failures in the start period do not count
        health["FailingStreak"] += 1
        if health["FailingStreak"] >= retries:
            health["Status"] = "unhealthy"
    if health["Status"] != old:
        engine._container_event(c, f"health_status: {health['Status']}")  # noqa: SLF001


def _seconds(ns: int) -> str:
    value = ns / SECOND
    return f"{value:g}s"
