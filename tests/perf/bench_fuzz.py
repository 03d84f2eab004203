"""The cost of response fuzzing (issue 16): a fuzzed answer against a plain one (target: at most 2 ms more).

    python tests/perf/bench_fuzz.py [--seconds 2] [--rounds 2]   # alone; also the "fuzz" part of tests/perf/suite.py

One mockd (a subprocess on a unix socket) with the fuzzing workflows' seed (tests/fuzz_workflows/seed.yaml) and
30 more containers, so the container list is a real walk. Per endpoint, alternating rounds of plain answers and
fuzzed ones (``POST /_mockd/fuzz`` seed 1, rate 0.3, valid mode; a new seed each round): the client's latency per
answer on one connection (serial: the time one answer takes) and the server's CPU per answer. Beside it, the bare
cost of :meth:`mockd.variations.Fuzzer.vary` on the same bodies, in process. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import copy
import json
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(1, str(Path(__file__).resolve().parents[2]))

import loadclient as lc  # noqa: E402
import procs  # noqa: E402

V = "/v1.41"
SEED = procs.ROOT / "tests" / "fuzz_workflows" / "seed.yaml"
ENDPOINTS = (  # (label, operationId, path)
    ("container list (32)", "ContainerList", f"{V}/containers/json?all=1&size=1"),
    ("container inspect", "ContainerInspect", f"{V}/containers/web/json"),
    ("image list", "ImageList", f"{V}/images/json"),
    ("info", "SystemInfo", f"{V}/info"),
)
TARGET_MS = 2.0


def _req(method: str, target: str, body: dict | None = None) -> bytes:
    data = json.dumps(body).encode() if body is not None else b""
    head = f"{method} {target} HTTP/1.1\r\nHost: mockd\r\nContent-Type: application/json\r\n" \
           f"Content-Length: {len(data)}\r\n\r\n"
    return head.encode() + data


@dataclass
class Side:
    latency_ms: list[float]
    cpu_us: list[float]

    def add(self, m: lc.Measured) -> None:
        self.latency_ms.append(statistics.fmean(m.latencies) * 1e3)
        self.cpu_us.append(m.cpu_per_unit * 1e6)


def _fill(sock: str, count: int) -> None:
    for i in range(count):
        resp = lc.fetch(sock, _req("POST", f"{V}/containers/create?name=fill{i}",
                                   {"Image": "busybox", "Cmd": ["true"], "Labels": {"i": str(i)}}))
        assert resp.status == 201, resp.body[:200]


def server_cost(seconds: float, rounds: int) -> dict[str, tuple[Side, Side]]:
    work = procs.Workdir()
    p = procs.start_mockd(work, "fuzz", "--seed", str(SEED))
    out: dict[str, tuple[Side, Side]] = {}
    cold: dict[str, float] = {}
    try:
        p.ready()
        _fill(p.socket, 30)
        for label, _op, path in ENDPOINTS:
            plain, fuzzed = Side([], []), Side([], [])
            unit = lc.simple(_req("GET", path), expect=200)
            # Warm: a strategy's pool of hypothesis examples is drawn on its first use in a daemon's life (a one-off,
            # reported apart as the cold answer); 20 seeds reach the fields this answer has.
            for warm in range(20):
                lc.fetch(p.socket, _req("POST", "/_mockd/fuzz", {"seed": 1000 + warm, "rate": 0.3}))
                t0 = time.perf_counter()
                lc.fetch(p.socket, _req("GET", path))
                if warm == 0:
                    cold[label] = (time.perf_counter() - t0) * 1e3
            lc.fetch(p.socket, _req("DELETE", "/_mockd/fuzz"))
            for r in range(rounds):
                for side, fuzz in ((plain, False), (fuzzed, True)):
                    if fuzz:
                        lc.fetch(p.socket, _req("POST", "/_mockd/fuzz", {"seed": r + 1, "rate": 0.3}))
                    cpu = p.cpu()
                    m = lc.measure(p.socket, unit, connections=1, seconds=seconds, max_units=20_000)
                    m.server_cpu = p.cpu() - cpu
                    lc.fetch(p.socket, _req("DELETE", "/_mockd/fuzz"))
                    if m.failures:
                        raise RuntimeError(f"{label}: {m.failures} failures: {m.first_failure}")
                    side.add(m)
            out[label] = (plain, fuzzed)
        out["_bodies"] = _bodies(p.socket)  # type: ignore[assignment]
        out["_cold"] = cold  # type: ignore[assignment]
    finally:
        procs.stop_all([p])
        work.remove()
    return out


def _bodies(sock: str) -> dict[str, object]:
    return {label: json.loads(lc.fetch(sock, _req("GET", path)).body) for label, _op, path in ENDPOINTS}


def vary_cost(bodies: dict[str, object], rounds: int = 300) -> dict[str, tuple[float, float]]:
    """In process: µs per Fuzzer.vary of each body (after a warm call), and the variations per answer."""
    import specs
    from mockd.variations import Fuzzer

    out = {}
    for label, op, _path in ENDPOINTS:
        fuzzer = Fuzzer()
        fuzzer.configure(1, "valid", 0.3, None)
        copies = [copy.deepcopy(bodies[label]) for _ in range(rounds + 1)]
        fuzzer.vary(copies[0], version="1.41", newest=specs.latest(), operation_id=op, status=200)
        applied = 0
        t0 = time.perf_counter()
        for body in copies[1:]:
            applied += len(fuzzer.vary(body, version="1.41", newest=specs.latest(), operation_id=op, status=200))
        out[label] = ((time.perf_counter() - t0) / rounds * 1e6, applied / rounds)
    return out


def figures(seconds: float = 2.0, rounds: int = 2) -> list[tuple[str, float, str, str, str]]:
    """(name, value, unit, note, target) rows, as tests/perf/suite.py reports figures."""
    measured = server_cost(seconds, rounds)
    bodies = measured.pop("_bodies")
    cold: dict[str, float] = measured.pop("_cold")  # type: ignore[assignment]
    bare = vary_cost(bodies)  # type: ignore[arg-type]
    rows = []
    for label, _op, _path in ENDPOINTS:
        plain, fuzzed = measured[label]
        extra = statistics.fmean(fuzzed.latency_ms) - statistics.fmean(plain.latency_ms)
        cpu_extra = (statistics.fmean(fuzzed.cpu_us) - statistics.fmean(plain.cpu_us)) / 1e3
        us, per_answer = bare[label]
        rows.append((f"fuzzed answer, extra latency: {label}", extra, "ms",
                     f"plain {statistics.fmean(plain.latency_ms):.2f} ms, fuzzed "
                     f"{statistics.fmean(fuzzed.latency_ms):.2f} ms per answer; server CPU +{cpu_extra:.2f} ms; "
                     f"Fuzzer.vary alone {us / 1e3:.2f} ms ({per_answer:.1f} variations per answer); the first "
                     f"fuzzed answer of a daemon's life (drawing hypothesis pools) {cold[label]:.0f} ms",
                     f"<= {TARGET_MS:g} ms"))
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=2.0, help="per round and side (default 2)")
    parser.add_argument("--rounds", type=int, default=2, help="alternating plain/fuzzed rounds (default 2)")
    args = parser.parse_args()
    for name, value, unit, note, target in figures(args.seconds, args.rounds):
        print(f"{name}: {value:+.3f} {unit} (target {target}); {note}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
