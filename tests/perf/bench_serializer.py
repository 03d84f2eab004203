"""mockd serializer benchmark: the cost of projecting an answer onto the daemon's document and applying the rules.

    python tests/perf/bench_serializer.py [--rounds 2000]

Baseline: a plain deep copy of the same object (what the serializer did before the projection). Objects are
the engine's real answers (a created container, the image list, /info), taken from an in-process mockd.
Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))

import specs  # noqa: E402
from mockd.pytest_plugin import MockdServer  # noqa: E402
from mockd.serializer import _copy, serialize  # noqa: E402


def _objects() -> dict[str, tuple[str, object]]:
    server = MockdServer([])
    server.start()
    try:
        from tests.realdaemons import import_busybox

        import_busybox(server.socket)
        status, _, body = server.request("POST", "/containers/create?name=bench", {"Image": "busybox", "Cmd": ["true"]})
        cid = json.loads(body)["Id"]
        out = {
            "container inspect": ("ContainerInspect", json.loads(server.request("GET", f"/containers/{cid}/json")[2])),
            "image list": ("ImageList", json.loads(server.request("GET", "/images/json")[2]) * 10),
            "info": ("SystemInfo", json.loads(server.request("GET", "/info")[2])),
        }
    finally:
        server.stop()
    return out


def _per_call(fn, rounds: int) -> float:
    fn()  # warm: the first call compiles the projection
    t0 = time.perf_counter()
    for _ in range(rounds):
        fn()
    return (time.perf_counter() - t0) / rounds * 1e6


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=2000)
    args = parser.parse_args()
    objects = _objects()
    print(f"{'answer':<20} {'daemon':>6} {'request':>7} {'serialize µs':>13} {'deep copy µs':>13} {'cold µs':>9}")
    for label, (op_id, obj) in objects.items():
        for daemon, version in (("1.41", "1.41"), ("1.56", "1.41"), ("1.56", "1.56")):
            spec = specs.load(version)
            op = spec.operation_by_id(op_id)
            specs.load(daemon)
            from mockd import serializer

            serializer._PLANS.clear()
            t0 = time.perf_counter()
            serialize(obj, spec=spec, version=version, target=op, daemon=daemon)
            cold = (time.perf_counter() - t0) * 1e6
            warm = _per_call(lambda: serialize(obj, spec=spec, version=version, target=op, daemon=daemon),  # noqa: B023
                             args.rounds)
            base = _per_call(lambda: _copy(obj), args.rounds)  # noqa: B023
            print(f"{label:<20} {daemon:>6} {version:>7} {warm:>13.1f} {base:>13.1f} {cold:>9.0f}")


if __name__ == "__main__":
    main()
