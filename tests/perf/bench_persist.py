"""The cost of ``--data-root`` (issue 17): writes per second and server CPU per write with persistence off and
on, and the restart of a daemon holding 5,000 containers (target: loaded in <= 2 s).

    python tests/perf/bench_persist.py            # alone; also the "persist" part of tests/perf/suite.py

Writes: ``POST /volumes/create`` + ``DELETE /volumes/{name}`` pairs on 16 connections (each answer waits for its
fsync with the data root on; concurrent requests share one fsync). Restart: the data root is filled through the
API, mockd is stopped cleanly and started again; the figure is the time from exec to the first answered ping,
beside the in-process load of the same directory (snapshot + journal replay)."""

from __future__ import annotations

import itertools
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(1, str(Path(__file__).resolve().parents[2]))

import loadclient as lc  # noqa: E402
import procs  # noqa: E402

V = "/v1.41"


def _req(method: str, target: str, body: dict | None = None) -> bytes:
    data = json.dumps(body).encode() if body is not None else b""
    head = f"{method} {target} HTTP/1.1\r\nHost: mockd\r\nContent-Type: application/json\r\n" \
           f"Content-Length: {len(data)}\r\n\r\n"
    return head.encode() + data


def _write_pair() -> lc.Unit:
    names = itertools.count()

    async def unit(conn: lc.Connection) -> None:
        name = f"bench{next(names)}"
        await conn.request(_req("POST", f"{V}/volumes/create", {"Name": name}))
        await conn.request(_req("DELETE", f"{V}/volumes/{name}"))

    return unit


def write_cost(work: procs.Workdir, label: str, *flags: str, seconds: float = 3.0) -> lc.Measured:
    p = procs.start_mockd(work, label, *flags)
    try:
        p.ready()
        cpu = p.cpu()
        got = lc.measure(p.socket, _write_pair(), connections=16, seconds=seconds, max_units=50_000)
        got.server_cpu = p.cpu() - cpu
        return got
    finally:
        procs.stop_all([p])


def fill(sock: str, count: int) -> None:
    lc.fetch(sock, _req("POST", f"{V}/images/create?fromImage=busybox&tag=latest"))
    counter = iter(range(count))

    async def unit(conn: lc.Connection) -> None:
        i = next(counter, None)
        if i is not None:
            await conn.request(_req("POST", f"{V}/containers/create?name=f{i}",
                                    {"Image": "busybox", "Cmd": ["true"], "Labels": {"i": str(i)}}))

    lc.measure(sock, unit, connections=16, seconds=300, max_units=count)


def restart_time(work: procs.Workdir, count: int = 5000) -> dict[str, float]:
    root = f"{work.path}/root"
    p = procs.start_mockd(work, "fill", "--data-root", root)
    p.ready()
    fill(p.socket, count)
    out: dict[str, float] = {}
    # After a crash: the snapshot of the empty start plus a journal of every create.
    p.proc.kill()
    p.proc.wait()
    out["after_crash_load_s"] = _load(root, count)
    # After a clean stop: the shutdown compacted the journal into a snapshot.
    p = procs.start_mockd(work, "stop", "--data-root", root)
    p.ready()
    procs.stop_all([p])
    out["after_clean_stop_load_s"] = _load(root, count)
    p = procs.start_mockd(work, "again", "--data-root", root)
    out["clean_exec_to_ping_s"] = p.ready()
    procs.stop_all([p])
    plain = procs.start_mockd(work, "plain")
    out["no_data_root_exec_to_ping_s"] = plain.ready()
    procs.stop_all([plain])
    return {k: round(v, 3) for k, v in out.items()}


def _load(root: str, count: int) -> float:
    """Seconds to load the data root in this process (what a start adds to mockd's own start-up)."""
    from mockd.engine import Engine
    from mockd.persist.service import PersistedEngine

    started = time.perf_counter()
    engine = Engine()
    PersistedEngine(engine, root)
    took = time.perf_counter() - started
    assert len(engine.containers) == count, len(engine.containers)
    return took


def run(work: procs.Workdir, seconds: float = 3.0) -> dict[str, object]:
    off = write_cost(work, "off", seconds=seconds)
    on = write_cost(work, "on", "--data-root", f"{work.path}/writes", seconds=seconds)
    out: dict[str, object] = {}
    for label, m in (("off", off), ("on", on)):
        out[label] = {"pairs_per_s": round(m.rate, 1), "cpu_us_per_write": round(m.cpu_per_unit * 1e6 / 2, 1),
                      "p99_ms_pair": round(m.percentile(0.99) * 1e3, 2), "failures": m.failures}
    out["restart"] = restart_time(work)
    return out


def main() -> int:
    work = procs.Workdir()
    try:
        print(json.dumps(run(work), indent=1))
    finally:
        work.remove()
    return 0


if __name__ == "__main__":
    sys.exit(main())
