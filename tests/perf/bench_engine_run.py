"""Benchmark of the engine through real clients: `docker run --rm busybox echo hi` per CLI, and the same
create/attach/wait/start cycle done in-process through the engine alone.

Run: ``python tests/perf/bench_engine_run.py [N]`` (default N=200). Prints seconds per run and compares
with the baseline (the issue asks that 200 runs per CLI fit in a few minutes: 0.9 s per run at most).
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from mockd.engine import Engine  # noqa: E402
from mockd.pytest_plugin import MockdServer  # noqa: E402

BASELINE_PER_RUN = 0.9  # seconds: 200 runs in 3 minutes
CLIS = {"cli28": "/usr/local/bin/docker", "cli20": "/usr/bin/docker"}


def bench_cli(server: MockdServer, path: str, runs: int) -> tuple[float, int]:
    env = server.env()
    os.makedirs(env["DOCKER_CONFIG"], exist_ok=True)
    subprocess.run([path, "pull", "-q", "busybox"], env=env, capture_output=True, check=True)
    failures = 0
    started = time.perf_counter()
    for _ in range(runs):
        proc = subprocess.run([path, "run", "--rm", "busybox", "echo", "hi"], env=env, capture_output=True)
        failures += proc.returncode != 0 or proc.stdout != b"hi\n"
    return (time.perf_counter() - started) / runs, failures


async def bench_engine(runs: int) -> float:
    engine = Engine()
    engine.pull("busybox")
    started = time.perf_counter()
    for _ in range(runs):
        c, _ = engine.create_container({"Image": "busybox", "Cmd": ["echo", "hi"], "HostConfig": {"AutoRemove": True}})
        queue = c.subscribe()
        removed = engine.wait_future(c.id, "removed")
        engine.start_container(c.id)
        assert await queue.get() == (1, b"hi\n")
        await removed
    return (time.perf_counter() - started) / runs


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    per_run = asyncio.run(bench_engine(runs))
    print(f"engine create+attach+start+remove: {per_run * 1e3:.2f} ms per run ({runs} runs)")
    with MockdServer([]) as server:
        for name, path in CLIS.items():
            if not os.path.exists(path):
                print(f"{name}: not installed")
                continue
            per_run, failures = bench_cli(server, path, runs)
            verdict = "OK" if per_run <= BASELINE_PER_RUN and not failures else "SLOW" if not failures else "FAIL"
            print(f"{name} docker run --rm busybox echo hi: {per_run * 1e3:.1f} ms per run, {runs * per_run:.1f} s "
                  f"for {runs}, {failures} failures (baseline {BASELINE_PER_RUN * 1e3:.0f} ms) {verdict}")


if __name__ == "__main__":
    main()
