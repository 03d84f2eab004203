"""The benchmark suite of mockd and apicheck (issue 15): one command, one table.

    python tests/perf/suite.py [--quick] [--no-dockerd] [--json out.json] [--markdown out.md]
    python tests/perf/suite.py --profile /work/reports/perf-profile.md   # py-spy profiles of mockd

In one run it starts mockd (``python -m mockd.cli``, a subprocess on a unix socket) and a bare aiohttp app
(``baseline_app.py``: same socket kind, same one-process asyncio model, uvloop only when mockd uses it) and
measures both, alternating round by round, with a raw asyncio load client (``loadclient.py``: 16 keep-alive
connections). For every endpoint the baseline answers with the bytes mockd sent for that request (captured
first), so stateful endpoints get a fair baseline. A raw asyncio server with no HTTP stack shows the load
client's own ceiling. Every loop is bounded in count and in time. Nothing is asserted: targets are read off
the table (``target`` column).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import io
import json
import os
import platform
import shutil
import sys
import tarfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(1, str(Path(__file__).resolve().parents[2]))

import loadclient as lc  # noqa: E402
import procs  # noqa: E402

ROOT = procs.ROOT
V = "/v1.41"  # the version prefix the docker 28 CLI uses against a 20.10 daemon (the wire fixtures)
FIXTURES = ROOT / "tests" / "fixtures" / "wire"
TEN_MB = 10 * 1024 * 1024


@dataclass
class Plan:
    rounds: int
    seconds: float  # per round and per side
    fill: int  # containers in the big list
    events: int  # events triggered for the fan-out
    listeners: int
    rss_requests: int
    warm_starts: int
    bulk_units: int  # 10 MB transfers per round and side


FULL = Plan(rounds=5, seconds=1.5, fill=5000, events=1000, listeners=50, rss_requests=100_000, warm_starts=5,
            bulk_units=8)
QUICK = Plan(rounds=2, seconds=1.0, fill=5000, events=200, listeners=50, rss_requests=20_000, warm_starts=3,
             bulk_units=3)


@dataclass
class Row:
    name: str
    mockd: lc.Measured
    base: lc.Measured | None = None
    dockerd: lc.Measured | None = None
    unit: str = "req/s"
    note: str = ""
    target: str = ""

    @property
    def ratio(self) -> float | None:
        if self.base is None or not self.base.rate:
            return None
        return self.mockd.rate / self.base.rate


@dataclass
class Figure:
    name: str
    value: float
    unit: str
    note: str = ""
    target: str = ""


@dataclass
class Report:
    rows: list[Row] = field(default_factory=list)
    figures: list[Figure] = field(default_factory=list)

    def fig(self, name: str, value: float, unit: str, note: str = "", target: str = "") -> None:
        self.figures.append(Figure(name, value, unit, note, target))
        print(f"  {name}: {value:.3g} {unit} {note}", flush=True)


# --- requests -------------------------------------------------------------------------------------------------


def req(method: str, target: str, body: bytes | dict | None = None, headers: dict[str, str] | None = None) -> bytes:
    hdrs = dict(headers or {})
    if isinstance(body, dict):
        body = json.dumps(body, separators=(",", ":")).encode()
        hdrs.setdefault("Content-Type", "application/json")
    return lc.build_request(method, target, body, hdrs)


def cli28_create_body() -> dict:
    """The body of ``docker create --network none busybox echo hi`` from the docker 28 CLI (recorded)."""
    return json.loads((FIXTURES / "cli28-container-create.json").read_text())["body"]


def check(resp: lc.Response, *ok: int) -> lc.Response:
    if resp.status not in ok:
        raise lc.ProtocolFailure(f"status {resp.status}: {resp.body[:300]!r}")
    return resp


def _headers(resp: lc.Response) -> list[list[str]]:
    out = []
    for line in resp.head.split(b"\r\n")[1:]:
        k, _, v = line.decode("latin-1").partition(":")
        out.append([k.strip(), v.strip()])
    return out


def entry(method: str, target: str, resp: lc.Response, **extra: object) -> dict:
    """A baseline answer: mockd's status, headers and body bytes for this request."""
    return {"method": method, "target": target, "status": resp.status, "headers": _headers(resp),
            "body_b64": base64.b64encode(resp.body).decode(), **extra}


def set_baseline(sock: str, entries: list[dict]) -> None:
    check(lc.fetch(sock, req("PUT", "/_bench/table", json.dumps(entries).encode(),
                             {"Content-Type": "application/json"})), 204)


def tar_of(name: str, data: bytes) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as t:
        info = tarfile.TarInfo(name)
        info.size = len(data)
        t.addfile(info, io.BytesIO(data))
    return buf.getvalue()


# --- measuring ------------------------------------------------------------------------------------------------


class Bench:
    def __init__(self, plan: Plan, mockd: procs.Proc, base: procs.Proc, report: Report) -> None:
        self.plan = plan
        self.mockd = mockd
        self.base = base
        self.report = report

    def compare(self, name: str, unit_for: Callable[[str], lc.Unit], entries: list[dict], *, connections: int = 16,
                max_units: int = 200_000, unit: str = "req/s", note: str = "", target: str = "") -> Row:
        """mockd and the baseline (programmed with ``entries``), alternating, ``plan.rounds`` rounds each."""
        set_baseline(self.base.socket, entries)
        m, b = lc.Measured(), lc.Measured()
        for _ in range(self.plan.rounds):
            for server, into in ((self.mockd, m), (self.base, b)):
                cpu = server.cpu()
                got = lc.measure(server.socket, unit_for(server.socket), connections=connections,
                                 seconds=self.plan.seconds, max_units=max_units)
                got.server_cpu = server.cpu() - cpu
                into.add(got)
        row = Row(name, m, b, unit=unit, note=note, target=target)
        self.report.rows.append(row)
        failed = f" FAILURES mockd={m.failures} ({m.first_failure}) base={b.failures} ({b.first_failure})" \
            if m.failures or b.failures else ""
        print(f"  {name}: mockd {m.rate:.0f}/s p99 {m.percentile(0.99) * 1e3:.1f} ms "
              f"{m.cpu_per_unit * 1e6:.0f} µs CPU, bare {b.rate:.0f}/s {b.cpu_per_unit * 1e6:.0f} µs CPU, "
              f"ratio {row.ratio or 0:.2f}{failed}", flush=True)
        return row

    def simple(self, name: str, method: str, path: str, body: bytes | dict | None = None, *,
               expect: int = 200, **kw: object) -> Row:
        data = req(method, path, body)
        head = method == "HEAD"
        resp = check(lc.fetch(self.mockd.socket, data, head=head), expect)
        return self.compare(name, lambda _s: lc.simple(data, head=head, expect=expect),
                            [entry(method, path, resp)], **kw)  # type: ignore[arg-type]


def mockd_get(sock: str, target: str) -> object:
    return json.loads(check(lc.fetch(sock, req("GET", target)), 200).body)


def create_many(sock: str, count: int, body_for: Callable[[int], dict], *, start: bool = False) -> list[str]:
    """``count`` containers on 16 connections (bounded: 120 s)."""
    ids: list[str] = []
    counter = iter(range(count))

    async def unit(conn: lc.Connection) -> None:
        i = next(counter, None)
        if i is None:
            return
        resp = check(await conn.request(req("POST", f"{V}/containers/create", body_for(i))), 201)
        cid = json.loads(resp.body)["Id"]
        ids.append(cid)
        if start:
            check(await conn.request(req("POST", f"{V}/containers/{cid}/start")), 204)

    done = lc.measure(sock, unit, connections=16, seconds=120, max_units=count)
    if done.failures:
        raise RuntimeError(f"set-up failed: {done.first_failure}")
    return ids


def cycle_unit(create: bytes) -> lc.Unit:
    """create + start + wait + remove of a container running ``true`` (what ``docker run --rm`` boils down to)."""

    async def unit(conn: lc.Connection) -> None:
        resp = check(await conn.request(create), 201)
        cid = json.loads(resp.body)["Id"]
        check(await conn.request(req("POST", f"{V}/containers/{cid}/start")), 204)
        check(await conn.request(req("POST", f"{V}/containers/{cid}/wait")), 200)
        check(await conn.request(req("DELETE", f"{V}/containers/{cid}?force=1")), 204)

    return unit


def events_fanout(sock: str, trigger: bytes, listeners: int, events: int, timeout: float) -> lc.Measured:
    """``listeners`` streams of ``GET /events``; ``events`` triggers sent one after another; a sample per
    delivered event line (trigger sent -> line received). Rate: delivered lines per second."""

    async def run() -> lc.Measured:
        loop = asyncio.get_running_loop()
        sent: list[float] = []
        got = [0] * listeners
        out = lc.Measured()
        everything = loop.create_future()
        expected = listeners * events

        def on_data(index: int) -> Callable[[bytes], None]:
            def feed(chunk: bytes) -> None:
                now = time.perf_counter()
                for _ in range(chunk.count(b"\n")):
                    n = got[index]
                    got[index] += 1
                    if n < len(sent):
                        out.latencies.append(now - sent[n])
                    out.units += 1
                if out.units >= expected and not everything.done():
                    everything.set_result(None)
            return feed

        conns = [await lc.Connection.open(sock) for _ in range(listeners)]
        tasks = [asyncio.create_task(c.stream(req("GET", f"{V}/events"), on_data(i))) for i, c in enumerate(conns)]
        await asyncio.sleep(0.3)  # every listener subscribed
        trig = await lc.Connection.open(sock)
        started = time.perf_counter()
        try:
            for _ in range(events):
                sent.append(time.perf_counter())
                check(await trig.request(trigger), 201)
                if time.perf_counter() - started > timeout:
                    break
            expected = listeners * len(sent)
            if out.units < expected:
                await asyncio.wait_for(everything, timeout=timeout)
        except TimeoutError:
            out.failures += 1
            out.first_failure = f"{out.units} of {expected} deliveries in time"
        finally:
            out.seconds = time.perf_counter() - started
            trig.close()
            for c in conns:
                c.close()
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        return out

    return asyncio.run(run())


def capture_event_line(sock: str, trigger: bytes) -> tuple[lc.Response, bytes]:
    """The head of mockd's events stream and the bytes of the one event line a trigger produces."""

    async def run() -> tuple[lc.Response, bytes]:
        conn = await lc.Connection.open(sock)
        conn.send(req("GET", f"{V}/events"))
        head = b""
        r = conn._r  # noqa: SLF001 - the stream's head, read raw
        while b"\r\n\r\n" not in r.buf:
            await r.more()
        end = r.buf.find(b"\r\n\r\n")
        head = bytes(r.buf[:end])
        del r.buf[: end + 4]
        lines: list[bytes] = []
        task = asyncio.create_task(conn._chunked(False, lines.append))  # noqa: SLF001
        await asyncio.sleep(0.2)
        check(await lc.one(sock, trigger), 201)
        for _ in range(200):
            if lines:
                break
            await asyncio.sleep(0.01)
        task.cancel()
        conn.close()
        return lc.Response(int(head[9:12]), head, b""), b"".join(lines)

    return asyncio.run(run())


# --- the mockd rows -------------------------------------------------------------------------------------------


def endpoint_rows(bench: Bench) -> None:
    plan, sock = bench.plan, bench.mockd.socket
    print("== endpoints (mockd vs the bare app, alternating)", flush=True)
    check(lc.fetch(sock, req("POST", f"{V}/images/create?fromImage=busybox&tag=latest")), 200)
    first = create_many(sock, 50, lambda i: {"Image": "busybox", "Cmd": ["sleep", "3600"],
                                             "Labels": {"bench": "odd" if i % 2 else "even"}}, start=False)
    for cid in first[::2]:
        check(lc.fetch(sock, req("POST", f"{V}/containers/{cid}/start")), 204)
    bench.simple("HEAD /_ping", "HEAD", "/_ping")
    bench.simple("GET /version", "GET", f"{V}/version", target=">= 0.5x (must)")
    bench.simple("GET /info", "GET", f"{V}/info", target=">= 0.5x")
    bench.simple("GET /containers/json?all=1 (50)", "GET", f"{V}/containers/json?all=1", target=">= 0.5x (must)")
    bench.simple("GET /images/json", "GET", f"{V}/images/json", target=">= 0.5x")
    bench.simple("GET /containers/{id}/json", "GET", f"{V}/containers/{first[0]}/json", target=">= 0.5x")

    body = cli28_create_body()
    create = req("POST", f"{V}/containers/create", body)
    resp = check(lc.fetch(sock, create), 201)
    # Bounded so that the big list below stays the size it says.
    budget = max(1, (plan.fill - 500) // (plan.rounds * 2))
    bench.compare("POST /containers/create (docker 28 body)", lambda _s: lc.simple(create, expect=201),
                  [entry("POST", f"{V}/containers/create", resp)], max_units=budget, target=">= 0.5x",
                  note="validation on; 1473-byte body recorded from CLI 28.2")

    have = len(mockd_get(sock, f"{V}/containers/json?all=1"))  # type: ignore[arg-type]
    fill = max(0, plan.fill - have)
    pick_every = max(1, fill // 50)
    create_many(sock, fill, lambda i: {"Image": "busybox", "Cmd": ["true"],
                                       "Labels": {"pick": "yes"} if i % pick_every == 0 else {"pick": "no"}})
    total = len(mockd_get(sock, f"{V}/containers/json?all=1"))  # type: ignore[arg-type]
    bench.simple(f"GET /containers/json?all=1 ({total})", "GET", f"{V}/containers/json?all=1",
                 note=f"{total} containers; at most 32 requests per round", target=">= 0.5x", max_units=32)
    flt = "%7B%22label%22%3A%5B%22pick%3Dyes%22%5D%7D"  # {"label":["pick=yes"]}
    picked = len(mockd_get(sock, f"{V}/containers/json?all=1&filters={flt}"))  # type: ignore[arg-type]
    bench.simple(f"GET /containers/json?all=1&filters=label ({total})", "GET",
                 f"{V}/containers/json?all=1&filters={flt}", note=f"{picked} of {total} match",
                 target="p99 <= 50 ms")

    # create + start + wait + remove: the baseline gets the four answers of one mockd cycle.
    run_body = {**body, "Cmd": ["true"]}
    create_run = req("POST", f"{V}/containers/create", run_body)
    c = check(lc.fetch(sock, create_run), 201)
    cid = json.loads(c.body)["Id"]
    steps = [("POST", f"{V}/containers/{cid}/start"), ("POST", f"{V}/containers/{cid}/wait"),
             ("DELETE", f"{V}/containers/{cid}?force=1")]
    answers = [entry("POST", f"{V}/containers/create", c)]
    for method, target in steps:
        answers.append(entry(method, target, lc.fetch(sock, req(method, target))))

    def cycle_for(s: str) -> lc.Unit:
        if s == sock:
            return cycle_unit(create_run)

        async def replay(conn: lc.Connection) -> None:  # the baseline: the same four requests, fixed id
            check(await conn.request(create_run), 201)
            for method, target in steps:
                await conn.request(req(method, target))

        return replay

    bench.compare("create+start+wait+remove cycle", cycle_for, answers, unit="cycles/s", max_units=2000,
                  note="4 requests per cycle", target=">= 0.5x")


def events_row(bench: Bench) -> None:
    plan, sock = bench.plan, bench.mockd.socket
    trigger = req("POST", f"{V}/volumes/create", {})
    head, line = capture_event_line(sock, trigger)
    answer = check(lc.fetch(sock, trigger), 201)
    set_baseline(bench.base.socket, [
        entry("GET", f"{V}/events", head, stream=True),
        entry("POST", f"{V}/volumes/create", answer, broadcast_b64=base64.b64encode(line).decode()),
    ])
    m, b = lc.Measured(), lc.Measured()
    for _ in range(plan.rounds):
        m.add(events_fanout(sock, trigger, plan.listeners, plan.events, timeout=plan.seconds * 4))
        b.add(events_fanout(bench.base.socket, trigger, plan.listeners, plan.events, timeout=plan.seconds * 4))
    row = Row(f"GET /events fan-out ({plan.listeners} listeners)", m, b, unit="events/s",
              note=f"{plan.events} volume creates per round; latency: trigger sent -> line received",
              target=">= 0.5x")
    bench.report.rows.append(row)
    print(f"  {row.name}: mockd {m.rate:.0f}/s, bare {b.rate:.0f}/s ratio {row.ratio or 0:.2f} "
          f"{m.first_failure} {b.first_failure}", flush=True)


def bulk_rows(bench: Bench) -> None:
    plan, sock = bench.plan, bench.mockd.socket
    data = (b"x" * 99 + b"\n") * (TEN_MB // 100)
    archive = tar_of("big", data)
    # A container that prints 10 MB: `cat` of a file copied in before it starts.
    cid = json.loads(check(lc.fetch(sock, req("POST", f"{V}/containers/create",
                                              {"Image": "busybox", "Cmd": ["cat", "/tmp/big"]})), 201).body)["Id"]
    put = req("PUT", f"{V}/containers/{cid}/archive?path=/tmp", archive, {"Content-Type": "application/x-tar"})
    check(lc.fetch(sock, put), 200)
    check(lc.fetch(sock, req("POST", f"{V}/containers/{cid}/start")), 204)
    check(lc.fetch(sock, req("POST", f"{V}/containers/{cid}/wait")), 200)
    logs_target = f"{V}/containers/{cid}/logs?stdout=1&stderr=1"
    logs = check(lc.fetch(sock, req("GET", logs_target)), 200)
    mb = len(logs.body) / 1e6
    bench.compare("GET /containers/{id}/logs (10 MB)", lambda _s: lc.simple(req("GET", logs_target), expect=200),
                  [entry("GET", logs_target, logs)], connections=4, max_units=plan.bulk_units,
                  note=f"{mb:.1f} MB of multiplexed frames per read, 4 connections", target=">= 0.5x")
    cp_target = f"{V}/containers/{cid}/archive?path=/tmp"
    put_answer = check(lc.fetch(sock, put), 200)
    bench.compare("PUT /containers/{id}/archive (docker cp in, 10 MB)", lambda _s: lc.simple(put, expect=200),
                  [entry("PUT", cp_target, put_answer)], connections=4, max_units=plan.bulk_units,
                  note=f"{len(archive) / 1e6:.1f} MB tar per request", target=">= 0.5x")
    out_target = f"{V}/containers/{cid}/archive?path=/tmp/big"
    out = check(lc.fetch(sock, req("GET", out_target)), 200)
    bench.compare("GET /containers/{id}/archive (docker cp out, 10 MB)",
                  lambda _s: lc.simple(req("GET", out_target), expect=200), [entry("GET", out_target, out)],
                  connections=4, max_units=plan.bulk_units, note=f"{len(out.body) / 1e6:.1f} MB tar per request",
                  target=">= 0.5x")


def client_ceiling(bench: Bench, work: procs.Workdir) -> None:
    """The load client against a server with no HTTP stack: its own ceiling, to compare with both columns."""
    raw = procs.Proc(procs.baseline_argv(work.sock("raw"), raw=True), work.sock("raw"))
    try:
        raw.ready()
        data = req("GET", f"{V}/version")
        m = lc.Measured()
        for _ in range(bench.plan.rounds):
            m.add(lc.measure(raw.socket, lc.simple(data, expect=200), seconds=bench.plan.seconds))
        bench.report.rows.append(Row("load client ceiling (raw asyncio server)", m, unit="req/s",
                                     note="no HTTP stack: what the client alone can drive"))
        print(f"  client ceiling: {m.rate:.0f}/s", flush=True)
    finally:
        raw.stop()


# --- start-up, memory, apicheck ------------------------------------------------------------------------------


def startup_figures(plan: Plan, work: procs.Workdir, report: Report) -> None:
    print("== start-up to the first answered /_ping", flush=True)
    # Cold: a fresh checkout (the project's modules without bytecode; the interpreter's and aiohttp's as installed).
    fresh = Path(work.path) / "checkout"
    for package in ("mockd", "specs"):
        shutil.copytree(ROOT / package, fresh / package, ignore=shutil.ignore_patterns("__pycache__"))
    env = procs.env_for_children(PYTHONDONTWRITEBYTECODE="1")
    env.pop("PYTHONPYCACHEPREFIX")  # the installed bytecode of the interpreter and of aiohttp
    env["PYTHONPATH"] = str(fresh)
    cold = procs.start_mockd(work, "cold", env=env, cwd=fresh)
    try:
        report.fig("start-up, cold (fresh checkout: no bytecode of the project)", cold.ready(), "s",
                   target="<= 0.5 s")
    finally:
        cold.stop()
    first = procs.start_mockd(work, "compile")  # writes the bytecode the warm starts read
    try:
        first.ready()
    finally:
        first.stop()
    warm, cpu = [], []
    for i in range(plan.warm_starts):
        p = procs.start_mockd(work, f"warm{i}")
        try:
            warm.append(p.ready())
            cpu.append(p.cpu())
        finally:
            p.stop()
    warm.sort()
    cpu.sort()
    report.fig("start-up, warm (median)", warm[len(warm) // 2], "s",
               f"of {len(warm)}; min {warm[0]:.3f} s; CPU used by then: median {cpu[len(cpu) // 2]:.3f} s",
               target="<= 0.5 s (must)")
    import specs

    versions = specs.versions()
    many = [procs.start_mockd(work, f"d{v}", "--api-version", v) for v in versions]
    try:
        slowest = max(p.ready(timeout=120) for p in many)
        rss = sum(p.rss_mb() for p in many)
        cpu = sum(p.cpu() for p in many)
        report.fig(f"{len(many)} daemons side by side (processes): all answering", slowest, "s",
                   f"RSS total {rss:.0f} MB; CPU {cpu:.1f} s", target="<= 3 s")
    finally:
        procs.stop_all(many)
    if (ROOT / "mockd" / "multi.py").exists():  # the one-process multi-daemon mode (`mockd --daemon SPEC`)
        socks = [work.sock(f"m{v}") for v in versions]
        argv = [*procs.mockd_argv(socks[0])[:3], "--log-level", "warning"]
        for sock, v in zip(socks, versions, strict=True):
            argv += ["--daemon", f"unix://{sock},api={v}"]
        one = procs.Proc(argv, socks[-1])
        try:
            one.ready(timeout=120)
            deadline = time.perf_counter() + 60
            while not all(procs.answers_ping(s) for s in socks) and time.perf_counter() < deadline:
                time.sleep(0.003)
            slowest = time.perf_counter() - one.started
            report.fig(f"{len(versions)} daemons in one process (`mockd --daemon ...`): all answering", slowest, "s",
                       f"RSS {one.rss_mb():.0f} MB; CPU {one.cpu():.1f} s", target="<= 3 s")
        finally:
            one.stop()


def rss_figures(plan: Plan, work: procs.Workdir, report: Report) -> None:
    print("== memory (RSS of one mockd process)", flush=True)
    import specs

    p = procs.start_mockd(work, "rss")
    try:
        p.ready()
        report.fig("RSS after start", p.rss_mb(), "MB")
        for v in specs.versions():
            for target in ("/version", "/info", "/containers/json?all=1", "/images/json"):
                check(lc.fetch(p.socket, req("GET", f"/v{v}{target}")), 200)
        report.fig("RSS after touching all 32 versions", p.rss_mb(), "MB", target="<= 120 MB")
        mix = [req("GET", f"{V}/version"), req("GET", f"{V}/containers/json?all=1"), req("GET", f"{V}/info"),
               req("GET", f"{V}/images/json"), req("GET", "/v1.52/version")]
        n = iter(range(10 ** 9))

        async def unit(conn: lc.Connection) -> None:
            check(await conn.request(mix[next(n) % len(mix)], keep_body=False), 200)

        for label in ("after", "after another"):
            done = lc.measure(p.socket, unit, seconds=300, max_units=plan.rss_requests)
            report.fig(f"RSS {label} {plan.rss_requests // 1000}k requests", p.rss_mb(), "MB",
                       f"{done.units} done in {done.seconds:.0f} s", target="flat")
    finally:
        p.stop()


HISTORY = """
import time, specs
from checker.diff import diff
t = time.perf_counter()
vs = specs.versions()
n = sum(len(diff(a, b)) for a, b in zip(vs, vs[1:]))
print(time.perf_counter() - t, n)
"""
MATRIX = """
import time
t = time.perf_counter()
from checker.matrix import build
m = build()
print(time.perf_counter() - t, sum(len(c.items) for c in m.cells.values()))
"""


def apicheck_figures(report: Report) -> None:
    print("== apicheck (fresh processes: spec parsing and flattening included)", flush=True)
    for label, code, target in (("apicheck diff, all adjacent pairs, in-process", HISTORY, "<= 1 s"),
                                ("apicheck 32x32 matrix, in-process", MATRIX, "<= 3 s (must)")):
        cost = procs.run_python("-c", code)
        seconds, items = cost.stdout.split()[-2:]
        report.fig(label, float(seconds), "s", f"{items} items; peak RSS {cost.max_rss_mb:.0f} MB", target=target)
    for label, argv in (("`apicheck diff 1.25 1.56 --format json` (command)", ["diff", "1.25", "1.56", "--format", "json"]),
                        ("`apicheck matrix --format json` (command)", ["matrix", "--format", "json"])):
        cost = procs.run_python("-m", "checker.cli", *argv)
        report.fig(label, cost.seconds, "s", f"exit {cost.returncode}; peak RSS {cost.max_rss_mb:.0f} MB")


# --- dockerd reference ----------------------------------------------------------------------------------------


def dockerd_reference(plan: Plan, report: Report) -> None:
    """The real dockerd 20.10 where it can run here (root): /version, the 50-list, create+delete pairs."""
    print("== dockerd 20.10 reference", flush=True)
    try:
        from tests.realdaemons import DaemonUnavailable, import_busybox, start_dockerd
    except ImportError as exc:
        print(f"  skipped: {exc}")
        return
    try:
        daemon = start_dockerd()
    except DaemonUnavailable as exc:
        print(f"  skipped: {exc.reason}")
        return
    try:
        import_busybox(daemon)
        sock = daemon.socket
        create_many(sock, 50, lambda i: {"Image": "busybox:latest", "Cmd": ["true"],
                                         "HostConfig": {"NetworkMode": "none"}})
        by_name = {r.name: r for r in report.rows}
        seconds = min(plan.seconds, 2.0)

        def ref(row_name: str, unit: lc.Unit, max_units: int = 20_000) -> None:
            m = lc.measure(sock, unit, seconds=seconds, max_units=max_units)
            if row_name in by_name:
                by_name[row_name].dockerd = m
            print(f"  dockerd {row_name}: {m.rate:.0f}/s {m.first_failure}", flush=True)

        ref("GET /version", lc.simple(req("GET", f"{V}/version"), expect=200))
        ref("GET /containers/json?all=1 (50)", lc.simple(req("GET", f"{V}/containers/json?all=1"), expect=200))
        pair = req("POST", f"{V}/containers/create", {**cli28_create_body(), "Image": "busybox:latest"})

        async def create_delete(conn: lc.Connection) -> None:
            cid = json.loads(check(await conn.request(pair), 201).body)["Id"]
            check(await conn.request(req("DELETE", f"{V}/containers/{cid}?force=1")), 204)

        m = lc.measure(sock, create_delete, seconds=seconds * 2, max_units=400)
        report.fig("dockerd 20.10: create+delete pairs", m.rate, "pairs/s", f"p99 {m.percentile(0.99) * 1e3:.0f} ms")
    finally:
        daemon.stop()


# --- output ---------------------------------------------------------------------------------------------------


def _ms(m: lc.Measured | None, q: float) -> str:
    return "" if m is None or not m.latencies else f"{m.percentile(q) * 1e3:.1f}"


def _cpu(r: Row) -> str:
    """Server CPU per unit: steadier than rates on a shared machine (another process's load does not count)."""
    if r.base is None or not r.mockd.server_cpu:
        return ""
    return f"{r.mockd.cpu_per_unit * 1e6:,.0f} / {r.base.cpu_per_unit * 1e6:,.0f}"


def persist_figures(plan: Plan, work: procs.Workdir, report: Report) -> None:
    """Writes without --data-root and with it (the cost of the fsync per answer), and a 5,000-container restart."""
    import bench_persist

    print("== --data-root (bench_persist.py)", flush=True)
    for label, flags in (("off", ()), ("on", ("--data-root", f"{work.path}/writes"))):
        m = bench_persist.write_cost(work, f"persist-{label}", *flags, seconds=plan.seconds * plan.rounds)
        report.fig(f"volume create+remove, --data-root {label}", m.rate, "pairs/s",
                   f"server CPU {m.cpu_per_unit * 1e6 / 2:.0f} µs per write, p99 {m.percentile(0.99) * 1e3:.1f} ms "
                   f"per pair, {m.failures} failures")
    restart = bench_persist.restart_time(work)
    report.fig("load of a data root with 5,000 containers (after a clean stop)",
               restart["after_clean_stop_load_s"] * 1e3, "ms", "snapshot only", target="<= 2000 ms")
    report.fig("load of a data root with 5,000 containers (after SIGKILL)", restart["after_crash_load_s"] * 1e3,
               "ms", "snapshot + journal replay", target="<= 2000 ms")
    report.fig("start to first ping with that data root", restart["clean_exec_to_ping_s"] * 1e3, "ms",
               f"without --data-root: {restart['no_data_root_exec_to_ping_s'] * 1e3:.0f} ms")


def fuzz_figures(plan: Plan, report: Report) -> None:
    """A fuzzed answer against a plain one (--fuzz-responses; target: at most 2 ms more)."""
    import bench_fuzz

    print("== response fuzzing (bench_fuzz.py)", flush=True)
    for name, value, unit, note, target in bench_fuzz.figures(seconds=plan.seconds, rounds=plan.rounds):
        report.fig(name, value, unit, note, target)


def markdown(report: Report, plan: Plan) -> str:
    lines = [
        f"Measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} on {platform.node()} "
        f"({os.cpu_count()} CPUs, shared; Python {platform.python_version()}); "
        f"{plan.rounds} alternating rounds x {plan.seconds:g} s per side, 16 connections unless noted.",
        "",
        "| endpoint | mockd | p50 ms | p99 ms | bare aiohttp | ratio | CPU µs mockd / bare | dockerd 20.10 | target | note |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |",
    ]
    for r in report.rows:
        ratio = "" if r.ratio is None else f"{r.ratio:.2f}x"
        fails = f" (failures: {r.mockd.failures}: {r.mockd.first_failure})" if r.mockd.failures else ""
        lines.append(
            f"| {r.name} | {r.mockd.rate:,.0f} {r.unit} | {_ms(r.mockd, 0.5)} | {_ms(r.mockd, 0.99)} | "
            f"{'' if r.base is None else f'{r.base.rate:,.0f}'} | {ratio} | {_cpu(r)} | "
            f"{'' if r.dockerd is None else f'{r.dockerd.rate:,.0f}'} | {r.target} | {r.note}{fails} |")
    lines += ["", "| figure | value | target | note |", "| --- | ---: | --- | --- |"]
    for f in report.figures:
        lines.append(f"| {f.name} | {f.value:.3g} {f.unit} | {f.target} | {f.note} |")
    return "\n".join(lines) + "\n"


def to_json(report: Report) -> dict:
    def m(x: lc.Measured | None) -> dict | None:
        if x is None:
            return None
        return {"rate": x.rate, "units": x.units, "seconds": x.seconds, "p50": x.percentile(0.5),
                "p99": x.percentile(0.99), "failures": x.failures, "server_cpu": x.server_cpu}

    return {"rows": [{"name": r.name, "unit": r.unit, "mockd": m(r.mockd), "base": m(r.base), "dockerd": m(r.dockerd),
                      "ratio": r.ratio} for r in report.rows],
            "figures": [f.__dict__ for f in report.figures]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="shorter rounds, fewer repetitions (~2 min)")
    parser.add_argument("--no-dockerd", action="store_true", help="skip the real dockerd reference column")
    parser.add_argument("--only", choices=["endpoints", "dockerd", "startup", "rss", "apicheck", "persist", "fuzz"], action="append",
                        help="run only these parts (repeatable)")
    parser.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    parser.add_argument("--markdown", metavar="FILE", help="also write the table as markdown")
    parser.add_argument("--profile", metavar="FILE.md", help="profile mockd with py-spy instead (see profile.py)")
    args = parser.parse_args()
    if args.profile:
        import profile_mockd

        return profile_mockd.main(args.profile, QUICK if args.quick else FULL)
    plan = QUICK if args.quick else FULL
    parts = set(args.only or ["endpoints", "dockerd", "startup", "rss", "apicheck", "persist", "fuzz"])
    if args.no_dockerd:
        parts.discard("dockerd")
    report = Report()
    work = procs.Workdir()
    try:
        if "endpoints" in parts:
            uv = procs.mockd_uses_uvloop()
            mockd = procs.start_mockd(work, "mockd")
            base = procs.Proc(procs.baseline_argv(work.sock("base"), uvloop=uv), work.sock("base"))
            try:
                mockd.ready()
                base.ready()
                bench = Bench(plan, mockd, base, report)
                client_ceiling(bench, work)
                endpoint_rows(bench)
                events_row(bench)
                bulk_rows(bench)
                report.fig("RSS of the benchmarked mockd at the end", mockd.rss_mb(), "MB",
                           f"baseline app: {base.rss_mb():.0f} MB")
            finally:
                procs.stop_all([mockd, base])
        if "dockerd" in parts:
            dockerd_reference(plan, report)
        if "startup" in parts:
            startup_figures(plan, work, report)
        if "rss" in parts:
            rss_figures(plan, work, report)
        if "apicheck" in parts:
            apicheck_figures(report)
        if "persist" in parts:
            persist_figures(plan, work, report)
        if "fuzz" in parts:
            fuzz_figures(plan, report)
    finally:
        work.remove()
    text = markdown(report, plan)
    print()
    print(text)
    if args.markdown:
        Path(args.markdown).write_text(text)
    if args.json:
        Path(args.json).write_text(json.dumps(to_json(report), indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
