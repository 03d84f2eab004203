"""Profiles of mockd under load (``python tests/perf/suite.py --profile FILE.md``): py-spy samples the mockd
subprocess while the suite's load client drives one workload at a time (``GET /version``, the 50-container
list, ``POST /containers/create`` with the docker 28 body). The summary per workload: the functions with the
most samples on-CPU (self), and the project's functions by inclusive samples (self + callees).
"""

from __future__ import annotations

import shutil
import subprocess
import time
from collections import Counter
from pathlib import Path

import loadclient as lc
import procs
import suite

ROOT = procs.ROOT


def _frame_name(frame: str) -> str:
    """``func (path/to/file.py:123)`` -> ``func (to/file.py)``: lines merged, paths shortened."""
    func, _, where = frame.rpartition(" (")
    path = where.rstrip(")").rsplit(":", 1)[0]
    for prefix in (str(ROOT) + "/", "/root/.pyenv/versions/3.11.7/lib/python3.11/"):
        path = path.removeprefix(prefix)
    path = path.split("site-packages/")[-1]
    return f"{func or frame} ({path})"


def summarize(raw: str, top: int = 18) -> tuple[int, list[tuple[str, int]], list[tuple[str, int]]]:
    self_count: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    total = 0
    for line in raw.splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        total += n
        frames = [_frame_name(f) for f in stack.split(";")[1:]]  # the first item is the thread
        if not frames:
            continue
        self_count[frames[-1]] += n
        for name in set(frames):
            if any(part in name for part in ("(mockd/", "(specs/", "(checker/")) and "(mockd/cli.py)" not in name:
                inclusive[name] += n
    return total, self_count.most_common(top), inclusive.most_common(top)


def profile_workload(pid: int, sock: str, unit: lc.Unit, seconds: float, out: Path) -> str:
    spy = subprocess.Popen(["py-spy", "record", "--pid", str(pid), "--duration", str(int(seconds)), "--rate", "200",
                            "--format", "raw", "--output", str(out), "--nonblocking"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    time.sleep(0.5)  # attached
    done = lc.measure(sock, unit, seconds=seconds - 1, max_units=500_000)
    try:
        _, err = spy.communicate(timeout=seconds + 30)
    except subprocess.TimeoutExpired:
        spy.kill()
        _, err = spy.communicate()
    if not out.exists():
        raise RuntimeError(f"py-spy wrote nothing: {err.decode(errors='replace')[-500:]}")
    return f"{done.rate:.0f} req/s under the profiler"


def main(path: str, plan: suite.Plan) -> int:
    if shutil.which("py-spy") is None:
        print("py-spy is not installed: pip install py-spy")
        return 2
    work = procs.Workdir()
    mockd = procs.start_mockd(work, "prof")
    sections = [
        "# mockd profile (py-spy)", "",
        f"Measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} with `python tests/perf/suite.py --profile`: "
        "py-spy (200 Hz, `--nonblocking`) on the mockd subprocess while the suite's load client drives one "
        "workload (16 connections). Self: samples where the function itself was on-CPU; inclusive: samples with "
        "the function anywhere on the stack (project functions only). Percentages of all samples of the workload.",
    ]
    try:
        mockd.ready()
        sock = mockd.socket
        suite.check(lc.fetch(sock, suite.req("POST", f"{suite.V}/images/create?fromImage=busybox&tag=latest")), 200)
        ids = suite.create_many(sock, 50, lambda i: {"Image": "busybox", "Cmd": ["sleep", "3600"],
                                                     "Labels": {"bench": str(i % 2)}})
        for cid in ids[::2]:
            suite.check(lc.fetch(sock, suite.req("POST", f"{suite.V}/containers/{cid}/start")), 204)
        create = suite.req("POST", f"{suite.V}/containers/create", suite.cli28_create_body())
        workloads = [
            ("GET /v1.41/version", lc.simple(suite.req("GET", f"{suite.V}/version"), expect=200)),
            ("GET /v1.41/containers/json?all=1 (50 containers)",
             lc.simple(suite.req("GET", f"{suite.V}/containers/json?all=1"), expect=200)),
            ("POST /v1.41/containers/create (docker 28 body)", lc.simple(create, expect=201)),
        ]
        seconds = 6.0 if plan is suite.QUICK else 12.0
        for name, unit in workloads:
            out = Path(work.path) / f"{len(sections)}.txt"
            rate = profile_workload(mockd.proc.pid, sock, unit, seconds, out)
            total, selfs, incl = summarize(out.read_text())
            sections += ["", f"## {name}", "", f"{total} samples; {rate}.", "", "| self | function |", "| ---: | --- |"]
            sections += [f"| {n / total:.1%} | `{f}` |" for f, n in selfs]
            sections += ["", "| inclusive | project function |", "| ---: | --- |"]
            sections += [f"| {n / total:.1%} | `{f}` |" for f, n in incl]
            print(f"profiled {name}: {total} samples, {rate}", flush=True)
    finally:
        mockd.stop()
        work.remove()
    Path(path).write_text("\n".join(sections) + "\n")
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    import sys

    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "perf-profile.md", suite.QUICK))
