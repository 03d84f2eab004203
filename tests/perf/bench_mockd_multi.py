"""One mockd process serving every bundled API version as its own daemon, until all answer /_ping.

    python tests/perf/bench_mockd_multi.py [--processes]

``--processes`` also measures the old way (one ``mockd`` process per version) for comparison.
Prints wall time and resident memory; asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, ROOT)

import specs  # noqa: E402
from mockd.pytest_plugin import unix_request  # noqa: E402


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def wait_all(sockets: list[str], deadline: float) -> None:
    pending = list(sockets)
    while pending and time.monotonic() < deadline:
        still = []
        for path in pending:
            try:
                if unix_request(path, "HEAD", "/_ping", timeout=2)[0] != 200:
                    still.append(path)
            except OSError:
                still.append(path)
        pending = still
        if pending:
            time.sleep(0.01)
    if pending:
        raise TimeoutError(f"{len(pending)} daemons never answered")


def one_process(tmp: str, versions: list[str]) -> None:
    sockets = [os.path.join(tmp, f"{v}.sock") for v in versions]
    argv = [sys.executable, "-m", "mockd.cli", "--log-level", "warning"]
    for v, s in zip(versions, sockets, strict=True):
        argv += ["--daemon", f"unix://{s},api={v}"]
    started = time.monotonic()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, env={**os.environ, "PYTHONPATH": ROOT})
    try:
        wait_all(sockets, started + 60)
        took = time.monotonic() - started
        print(f"one process, {len(versions)} daemons: all answer /_ping after {took:.2f} s, RSS {rss_mb(proc.pid):.0f} MB")
    finally:
        proc.terminate()
        proc.wait(10)


def many_processes(tmp: str, versions: list[str]) -> None:
    sockets = [os.path.join(tmp, f"p{v}.sock") for v in versions]
    started = time.monotonic()
    procs = [subprocess.Popen([sys.executable, "-m", "mockd.cli", "--log-level", "warning", "-H", f"unix://{s}",
                               "--api-version", v], stdout=subprocess.DEVNULL, env={**os.environ, "PYTHONPATH": ROOT})
             for v, s in zip(versions, sockets, strict=True)]
    try:
        wait_all(sockets, started + 120)
        took = time.monotonic() - started
        total = sum(rss_mb(p.pid) for p in procs)
        print(f"{len(versions)} processes: all answer /_ping after {took:.2f} s, RSS {total:.0f} MB in all")
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait(10)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--processes", action="store_true", help="also time one process per version")
    args = parser.parse_args()
    versions = specs.versions()
    with tempfile.TemporaryDirectory(prefix="mm-", dir="/tmp") as tmp:
        one_process(tmp, versions)
        if args.processes:
            many_processes(tmp, versions)


if __name__ == "__main__":
    main()
