"""Container healthchecks (`HEALTHCHECK`, `docker run --health-*`), kept as dockerd keeps them.

A probe runs through the simulated process model inside the container, like an exec. `State.Health` holds the
status (`starting` until the first success or until `Retries` failures after the start period, then `healthy` /
`unhealthy`), the failing streak and the last five probe results; a change of status emits dockerd's
`health_status: <status>` event. `docker ps` shows it in the status text and filters on it (`health=`).
"""

from __future__ import annotations

import asyncio

from .containers import Container
from .ids import now_ns, rfc3339
from .pipe import Pipe
from .runtime import Process, Runtime, StartError, container_job, launch
from .state import DaemonState

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


def start_monitor(state: DaemonState, runtime: Runtime, c: Container) -> None:
    """Called when the container's process starts: status back to `starting`, probes scheduled."""
    argv = probe_argv(c.config)
    if argv is None:
        return
    previous = c.health or {}
    c.health = {"Status": "starting", "FailingStreak": 0, "Log": list(previous.get("Log") or [])}
    runtime.spawn(_monitor(state, runtime, c, c.process, argv, runtime.generation))


async def _monitor(state: DaemonState, runtime: Runtime, c: Container, process: Process | None, argv: list[str],
                   generation: int) -> None:
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
        if generation != runtime.generation or c.process is not process or not c.running or c.removed:
            return
        if c.status == "paused":
            continue
        started = now_ns()
        code, output = await _probe(state, runtime, c, argv, timeout)
        if generation != runtime.generation or c.process is not process or not c.running:
            return
        _record(state, c, started, code, output, retries, in_start_period)


async def _probe(state: DaemonState, runtime: Runtime, c: Container, argv: list[str],
                 timeout: int) -> tuple[int, str]:
    chunks: list[bytes] = []
    done: asyncio.Future = asyncio.get_running_loop().create_future()
    job = container_job(c, argv, state.rules, write=lambda _s, d: chunks.append(d), stdin=Pipe(closed=True),
                        pid=runtime.next_pid)
    try:
        proc = launch(job, lambda code: done.done() or done.set_result(code))
    except StartError as err:
        return -1, f"OCI runtime exec failed: exec failed: unable to start container process: {err.message}: unknown"
    try:
        code = await asyncio.wait_for(asyncio.shield(done), timeout / SECOND)
    except TimeoutError:
        proc.kill(9)
        return -1, f"Health check exceeded timeout ({_seconds(timeout)})"
    return code, b"".join(chunks).decode(errors="replace")[:MAX_OUTPUT]


def _record(state: DaemonState, c: Container, started: int, code: int, output: str, retries: int,
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
        state.container_event(c, f"health_status: {health['Status']}")


def _seconds(ns: int) -> str:
    value = ns / SECOND
    return f"{value:g}s"
