"""Benchmark of ``apicheck daemon`` against a real dockerd 20.10: the read-only probe with the version
sweep (target: under 60 s), the write probe with the skew probe, and ``apicheck compare`` on the bundled
workflow (dockerd against itself).

Run as root: ``python tests/perf/bench_checker_daemon.py``. A private dockerd is started (as the tests do,
see tests/realdaemons.py), given busybox and one running container, then measured and stopped.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from checker.compare.run import run_compare  # noqa: E402
from checker.daemon.run import DaemonOptions, run_daemon_check  # noqa: E402
from tests.realdaemons import DaemonUnavailable, import_busybox, start_dockerd, unix_http  # noqa: E402

BASELINE = {"read-only probe + sweep": 60.0, "write + skew probe": 60.0, "compare (common workflow)": 60.0}


def main() -> int:
    try:
        daemon = start_dockerd()
    except DaemonUnavailable as exc:
        print(f"skipped: {exc.reason}")
        return 0
    failed = False
    try:
        import_busybox(daemon)
        status, _, body = unix_http(daemon.socket, "POST", "/containers/create?name=bench-running", body={
            "Image": "busybox:latest", "Cmd": ["sleep", "600"], "HostConfig": {"NetworkMode": "none"}})
        unix_http(daemon.socket, "POST", f"/containers/{json.loads(body)['Id']}/start")
        figures = {}
        start = time.perf_counter()
        run = run_daemon_check(DaemonOptions(host=daemon.host))
        figures["read-only probe + sweep"] = (time.perf_counter() - start,
                                              f"{sum(1 for p in run.probed if p.status)} requests, {len(run.swept) + 1} versions")
        start = time.perf_counter()
        run = run_daemon_check(DaemonOptions(host=daemon.host, write=True, sweep=False))
        figures["write + skew probe"] = (time.perf_counter() - start, f"{len(run.skew)} skew results")
        start = time.perf_counter()
        result = run_compare(daemon.host, daemon.host)
        figures["compare (common workflow)"] = (time.perf_counter() - start, f"{len(result.differences)} differences")
        for label, (seconds, what) in figures.items():
            target = BASELINE[label]
            verdict = "ok" if seconds < target else "SLOW"
            failed |= seconds >= target
            print(f"{label:28} {seconds:7.2f} s  (target < {target:.0f} s, {verdict})  {what}")
    finally:
        daemon.stop()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
