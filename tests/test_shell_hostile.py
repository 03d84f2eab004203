"""Bounded simulation (issue 9): while a container runs a hostile script (arithmetic bombs, busy loops, string
growth, output floods, runaway recursion), mockd keeps answering: `/_ping` p99 stays under 20 ms.

How it is measured, so that it holds on a loaded machine and still fails when a script holds the event loop:
- the pings come from a separate process (tests/hostile_scripts.py), so no GIL is shared with the server;
- each round measures the machine's own noise first (the p99 of the same pings with no container running) and
  the bound applies to what the hostile script adds to it: on a quiet machine that noise is ~2 ms, on a 2-core
  box shared by eight test runs it reached 18 ms, which is not mockd's doing;
- the best of up to three rounds counts (a round lasts ~1 s; a burst of other work on the machine spoils one);
- a round whose idle p99 is already over QUIET says nothing about mockd (on that 2-core box at a load average of
  15, an idle mockd's p99 alone was 18 ms and any busy process's latency is the OS scheduler's): it does not
  count, and when no round counts the test skips, saying so.
A script that held the loop for tens of milliseconds at a time raises every round's p99 by as much: with the
turns made 50 ms long (limits.SLICE = 0.05, no duty cap) a tight loop added 60 ms to the p99, against 8 ms
with the 1 ms turns, measured on the same loaded machine; before issue 9 one arithmetic bomb
held every request for seconds."""

from __future__ import annotations

import pytest

from mockd.pytest_plugin import MockdServer
from tests.hostile_scripts import HOSTILE, percentile, ping_latencies, remove_all, running, start_hostile

P99_BOUND = 0.020
QUIET = 0.010  # an idle mockd's p99 over this: the machine is too busy to measure a 20 ms bound
ROUNDS = 3
PINGS = 100


@pytest.fixture(scope="module")
def server():
    server = MockdServer([]).start()  # in this process, on a unix socket
    yield server
    server.stop()


@pytest.mark.parametrize("name", list(HOSTILE))
def test_ping_p99_stays_low_while_a_hostile_script_runs(server, name):
    added, noisy = [], []
    for _ in range(ROUNDS):
        idle = percentile(ping_latencies(server, PINGS), 0.99)
        if idle > QUIET:
            noisy.append(idle)
            continue
        ids = start_hostile(server, {name: HOSTILE[name]})
        try:
            busy = percentile(ping_latencies(server, PINGS), 0.99)
            # The script loops for ever: the latency was measured under its load, not after it ended.
            assert running(server, ids[name])
        finally:
            remove_all(server, ids)
        added.append(busy - idle)
        if added[-1] < P99_BOUND:
            break
    if not added:
        pytest.skip(f"the machine is too busy to measure: idle p99 {[f'{n * 1000:.1f} ms' for n in noisy]}")
    assert min(added) < P99_BOUND, f"p99 added by {name!r}, per round: {[f'{a * 1000:.1f} ms' for a in added]}"
