"""Profiles of mockd under load (``python tests/perf/suite.py --profile FILE.md``), one workload at a time
(``GET /version``, the 50-container list, ``POST /containers/create`` with the docker 28 body), two ways:

- **CPU profile**: mockd runs under cProfile with a CPU-time clock (``time.process_time``), switched on and off
  per workload by signals. Time the process spends waiting for a CPU does not count, which matters on a
  shared machine: the scheduler tends to preempt the server right at its socket write (the write wakes the
  load client), and a wall-clock sampler then piles those waits onto ``transport.write``.
- **py-spy** (200 Hz, wall clock, ``--nonblocking``) on the same process: no instrumentation overhead, but with
  that caveat.

Per workload: the functions with the most time of their own (self), and the project's functions by inclusive
time (self + callees).
"""

from __future__ import annotations

import pstats
import shutil
import signal
import subprocess
import sys
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


# mockd under cProfile on a CPU clock: SIGUSR1 starts a profile, SIGUSR2 writes it to $PERF_PROFILE_DIR/<n>.prof.
_CPU_PROFILED = """
import cProfile, os, signal, sys, time
from mockd.cli import main
state = {"n": 0, "prof": None}
def start(*_):
    state["prof"] = cProfile.Profile(time.process_time)
    state["prof"].enable()
def stop(*_):
    prof = state["prof"]
    if prof is not None:
        prof.disable()
        prof.dump_stats(os.path.join(os.environ["PERF_PROFILE_DIR"], f"{state['n']}.prof"))
        state["n"] += 1
        state["prof"] = None
signal.signal(signal.SIGUSR1, start)
signal.signal(signal.SIGUSR2, stop)
sys.exit(main(sys.argv[1:]))
"""


def _short_path(path: str) -> str:
    for prefix in (str(ROOT) + "/", sys.prefix + "/lib/python3.11/", "/root/.pyenv/versions/3.11.7/lib/python3.11/"):
        path = path.removeprefix(prefix)
    return path.split("site-packages/")[-1]


def cpu_summary(prof: Path, top: int = 18) -> tuple[float, list[tuple[str, float]], list[tuple[str, float]]]:
    stats = pstats.Stats(str(prof)).stats  # type: ignore[attr-defined]
    total = sum(tt for (_cc, _nc, tt, _ct, _callers) in stats.values())
    rows = [(f"{name} ({_short_path(file)})", tt, ct) for (file, _line, name), (_cc, _nc, tt, ct, _c) in stats.items()]
    selfs = sorted(((n, tt) for n, tt, _ in rows), key=lambda r: -r[1])[:top]
    merged: Counter[str] = Counter()
    for n, _tt, ct in rows:
        if any(part in n for part in ("(mockd/", "(specs/")) and "(mockd/cli.py)" not in n:
            merged[n] = max(merged[n], ct)
    return total, selfs, merged.most_common(top)


def cpu_profiles(work: procs.Workdir, workloads: list[tuple[str, lc.Unit]], seconds: float,
                 setup) -> list[str]:  # noqa: ANN001 - the suite's set-up function
    sock = work.sock("cpuprof")
    prof_dir = Path(work.path) / "cpu"
    prof_dir.mkdir()
    argv = [sys.executable, "-c", _CPU_PROFILED, "-H", f"unix://{sock}", "--log-level", "warning"]
    proc = procs.Proc(argv, sock, procs.env_for_children(PERF_PROFILE_DIR=str(prof_dir)))
    lines: list[str] = []
    try:
        proc.ready()
        setup(sock)
        for n, (name, unit) in enumerate(workloads):
            proc.proc.send_signal(signal.SIGUSR1)
            time.sleep(0.2)
            cpu = proc.cpu()
            done = lc.measure(sock, unit, seconds=seconds, max_units=500_000)
            used = proc.cpu() - cpu
            proc.proc.send_signal(signal.SIGUSR2)
            target = prof_dir / f"{n}.prof"
            for _ in range(100):
                if target.exists():
                    break
                time.sleep(0.05)
            time.sleep(0.2)
            total, selfs, incl = cpu_summary(target)
            lines += ["", f"### {name}", "",
                      f"{done.units} requests, {used / max(done.units, 1) * 1e6:.0f} µs CPU per request under cProfile "
                      f"({total:.2f} s CPU profiled).", "", "| self | function |", "| ---: | --- |"]
            lines += [f"| {tt / total:.1%} | `{f}` |" for f, tt in selfs]
            lines += ["", "| inclusive | project function |", "| ---: | --- |"]
            lines += [f"| {ct / total:.1%} | `{f}` |" for f, ct in incl]
            print(f"cpu-profiled {name}: {done.units} requests", flush=True)
    finally:
        proc.stop()
    return lines


def _setup(sock: str) -> None:
    """busybox and 50 containers (every other one running), as in the suite's endpoint rows."""
    suite.check(lc.fetch(sock, suite.req("POST", f"{suite.V}/images/create?fromImage=busybox&tag=latest")), 200)
    ids = suite.create_many(sock, 50, lambda i: {"Image": "busybox", "Cmd": ["sleep", "3600"],
                                                 "Labels": {"bench": str(i % 2)}})
    for cid in ids[::2]:
        suite.check(lc.fetch(sock, suite.req("POST", f"{suite.V}/containers/{cid}/start")), 204)


def _workloads() -> list[tuple[str, lc.Unit]]:
    create = suite.req("POST", f"{suite.V}/containers/create", suite.cli28_create_body())
    return [
        ("GET /v1.41/version", lc.simple(suite.req("GET", f"{suite.V}/version"), expect=200)),
        ("GET /v1.41/containers/json?all=1 (50 containers)",
         lc.simple(suite.req("GET", f"{suite.V}/containers/json?all=1"), expect=200)),
        ("POST /v1.41/containers/create (docker 28 body)", lc.simple(create, expect=201)),
    ]


def main(path: str, plan: suite.Plan) -> int:
    if shutil.which("py-spy") is None:
        print("py-spy is not installed: pip install py-spy")
        return 2
    work = procs.Workdir()
    mockd: procs.Proc | None = None
    sections = [
        "# mockd profile", "",
        f"Measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} with `python tests/perf/suite.py --profile`, "
        "the suite's load client driving one workload at a time (16 connections). How: the docstring of "
        "`tests/perf/profile_mockd.py`. Self: time in the function itself; inclusive: with its callees (project "
        "functions only). Percentages of the workload's total.",
    ]
    try:
        seconds = 6.0 if plan is suite.QUICK else 12.0
        sections += ["", "## CPU profile (cProfile, CPU clock)"]
        sections += cpu_profiles(work, _workloads(), seconds / 2, _setup)
        sections += ["", "## py-spy (wall clock)"]
        mockd = procs.start_mockd(work, "prof")
        mockd.ready()
        sock = mockd.socket
        _setup(sock)
        for name, unit in _workloads():
            out = Path(work.path) / f"{len(sections)}.txt"
            rate = profile_workload(mockd.proc.pid, sock, unit, seconds, out)
            total, selfs, incl = summarize(out.read_text())
            sections += ["", f"### {name}", "", f"{total} samples; {rate}.", "", "| self | function |", "| ---: | --- |"]
            sections += [f"| {n / total:.1%} | `{f}` |" for f, n in selfs]
            sections += ["", "| inclusive | project function |", "| ---: | --- |"]
            sections += [f"| {n / total:.1%} | `{f}` |" for f, n in incl]
            print(f"profiled {name}: {total} samples, {rate}", flush=True)
    finally:
        if mockd is not None:
            mockd.stop()
        work.remove()
    Path(path).write_text("\n".join(sections) + "\n")
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "perf-profile.md", suite.QUICK))
