"""Benchmark of apicheck: the adjacent-pair history 1.25 -> 1.56 and the full client x daemon matrix.

Run: ``python tests/perf/bench_apicheck.py`` (one core: ``taskset -c 0 python ...``). Each figure
is measured in a fresh process (cold caches: spec parsing and flattening are included), and
compared against the baseline targets of the issue (3 s and 15 s).
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BASELINE = {"adjacent history 1.25->1.56": 3.0, "matrix 32x32": 15.0}

HISTORY = """
import specs
from checker.diff import diff
vs = specs.versions()
n = sum(len(diff(a, b)) for a, b in zip(vs, vs[1:]))
print(n)
"""
MATRIX = """
from checker.matrix import build
m = build()
print(sum(len(c.items) for c in m.cells.values()))
"""


def measure(code: str) -> tuple[float, str]:
    start = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, capture_output=True, text=True).stdout
    return time.perf_counter() - start, out.strip()


def main() -> int:
    failed = False
    for (label, code) in (("adjacent history 1.25->1.56", HISTORY), ("matrix 32x32", MATRIX)):
        seconds, result = measure(code)
        limit = BASELINE[label]
        ok = seconds <= limit
        failed |= not ok
        print(f"{label:30s} {seconds:6.2f} s  (target {limit:.0f} s, {'ok' if ok else 'SLOWER'})  items={result}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
