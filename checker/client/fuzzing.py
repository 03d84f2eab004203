"""``apicheck client --fuzz-responses [--seed N] [--examples K] -- COMMAND``: find the legitimate answers a client
cannot handle, shrunk to the smallest set of variations that still breaks it.

Per server version, against its mockd (driven over the control plane; apicheck never imports mockd):

1. **baseline**: reset, ``--setup``, COMMAND with plain answers: its exit status, crash, output;
2. **examples**: K runs, each from a reset daemon fuzzing with seed N+k (``POST /_mockd/fuzz``); the record says
   which variations each answer got. A run *fails* (the differential oracle) when COMMAND exits non-zero where the
   baseline did not, crashes (a traceback, a Go panic) where it did not, hangs past ``--timeout``, or, with
   ``--compare-output``, prints something else. A run where mockd answered 5xx that the baseline did not is the
   engine's error, not the client's: noted, not reported;
3. **shrinking**: delta debugging (ddmin) over the failing run's variations, each test a rerun with exactly that
   subset (``only``), at most ``MAX_RERUNS`` reruns, to the smallest set that still fails.

Each failure is a finding of the one model: ``fuzz-client-failure`` (error) when every variation in the minimal set
is one a real daemon of that version may send, ``fuzz-invalid-response`` (info, reported apart: a client is not
wrong to fail on what no daemon sends) otherwise. It names the endpoint, the field path, the value sent, the
client's error and the command line that reproduces it.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from checker.client.context import split_prefix
from checker.client.model import CommandOutcome, Exchange
from checker.client.targets import Target
from checker.daemon.client import DaemonClient
from specs.findings import Finding

MAX_RERUNS = 30
HANG_FACTOR, HANG_FLOOR = 10.0, 15.0
ITEM_INDEX = re.compile(r"\[\d+\]")


@dataclass
class FuzzOptions:
    mode: str = "valid"  # valid | invalid
    seed: int = 0
    examples: int = 5
    rate: float = 0.3
    compare_output: bool = False
    only: list[str] | None = None  # --fuzz-only: exactly these variations (a printed reproduction)
    max_reruns: int = MAX_RERUNS
    seed_file: str | None = None  # mockd's --seed FILE (then the fuzzing seed is --fuzz-seed N)
    rerun_args: list[str] = field(default_factory=list)  # --setup, --timeout...: what a reproduction repeats

    def seed_args(self, seed: int) -> list[str]:
        """How a command line names the fuzzing seed: ``--seed N``, or ``--fuzz-seed N`` beside a seed file."""
        if self.seed_file:
            return ["--seed", self.seed_file, "--fuzz-seed", str(seed)]
        return ["--seed", str(seed)]


@dataclass
class Run:
    outcome: CommandOutcome
    exchanges: list[Exchange]

    @property
    def variations(self) -> list[dict[str, Any]]:
        seen: dict[str, dict[str, Any]] = {}
        for e in self.exchanges:
            for v in e.variations:
                seen.setdefault(str(v["id"]), {**v, "method": e.method, "request_path": e.path})
        return list(seen.values())

    def server_errors(self) -> int:
        return sum(1 for e in self.exchanges if (e.status or 0) >= 500 and not e.faults)


# A run of COMMAND against the daemon: fuzz settings (None: plain answers) -> what happened.
Runner = Callable[[dict[str, Any] | None], Run]


def control(socket: str, method: str, name: str, body: Any = None) -> None:
    resp = DaemonClient(f"unix://{socket}").request(method, f"/_mockd/{name}", body=body)
    if resp.status >= 400:
        raise RuntimeError(f"/_mockd/{name}: {resp.status} {resp.body.decode(errors='replace').strip()}")


def hang_limit(baseline: CommandOutcome, timeout: float) -> float:
    """How long a fuzzed run may take before it counts as hung: ``HANG_FACTOR`` times the baseline's time (at least
    ``HANG_FLOOR`` seconds), never more than ``--timeout``: a hang costs seconds, not the whole timeout, per rerun."""
    return min(timeout, max(HANG_FLOOR, HANG_FACTOR * baseline.seconds))


def failure(baseline: CommandOutcome, run: CommandOutcome, compare_output: bool) -> str | None:
    """Why ``run`` fails where ``baseline`` did not (None: it does not)."""
    if run.timed_out and not baseline.timed_out:
        return f"hung (no exit within {run.seconds:.0f} s)"
    if run.crash and not baseline.crash:
        return f"crashed: {run.crash}"
    if run.exit_code not in (0, None) and baseline.exit_code == 0:
        last = next((line.strip() for line in reversed(run.stderr_tail) if line.strip()), "")
        return f"exit {run.exit_code}" + (f": {last}" if last else "")
    if compare_output and run.stdout != baseline.stdout:
        return "printed a different result"
    return None


def ddmin(items: list[str], fails: Callable[[list[str]], bool], budget: int) -> tuple[list[str], int]:
    """Zeller's delta debugging: a 1-minimal failing subset of ``items`` (``fails(items)`` holds), within ``budget``
    calls of ``fails``; the subset and the calls spent."""
    spent = 0
    n = 2
    while len(items) >= 2 and spent < budget:
        size = -(-len(items) // n)
        parts = [items[i:i + size] for i in range(0, len(items), size)]
        reduced = False
        complements = [[x for x in items if x not in p] for p in parts] if n > 2 else []
        for candidate, next_n in [(p, 2) for p in parts] + [(c, max(n - 1, 2)) for c in complements]:
            if spent >= budget:
                break
            spent += 1
            if fails(candidate):
                items, n, reduced = candidate, next_n, True
                break
        if not reduced:
            if n >= len(items):
                break
            n = min(2 * n, len(items))
    return items, spent


def fuzz(target: Target, command: list[str], opts: FuzzOptions, runner: Runner, baseline: Run,
         label: str | None = None) -> tuple[list[Finding], list[str]]:
    """The fuzz findings at one server version, and notes (engine errors, budget spent)."""
    label = label or target.label
    findings: list[Finding] = []
    notes: list[str] = []
    reported: set[tuple[str, ...]] = set()
    sent = reruns = 0
    for k in range(opts.examples):
        seed = opts.seed + k
        settings: dict[str, Any] = {"seed": seed, "mode": opts.mode, "rate": opts.rate, "only": opts.only}
        run = runner(settings)
        sent += len(run.variations)
        why = failure(baseline.outcome, run.outcome, opts.compare_output)
        if why is None:
            continue
        if run.server_errors() > baseline.server_errors():
            notes.append(f"{label}: seed {seed}: mockd answered 5xx under fuzzing (the engine's error, not the "
                         "client's): not reported")
            continue
        ids = [str(v["id"]) for v in run.variations]
        if not ids:
            notes.append(f"{label}: seed {seed}: the client failed ({why}) with no variation applied: flaky client?")
            continue
        cache: dict[tuple[str, ...], Run] = {}

        def fails(subset: list[str], seed: int = seed, cache: dict[tuple[str, ...], Run] = cache) -> bool:
            rerun = runner({"seed": seed, "mode": opts.mode, "rate": opts.rate, "only": subset})
            cache[tuple(subset)] = rerun
            return failure(baseline.outcome, rerun.outcome, opts.compare_output) is not None

        minimal, spent = ddmin(ids, fails, opts.max_reruns) if len(ids) > 1 else (ids, 0)
        final = cache.get(tuple(minimal), run)
        key = tuple(sorted(_site_free(v) for v in minimal))  # the same field and rule, whichever answer it was
        if key in reported:
            continue
        reported.add(key)
        why = failure(baseline.outcome, final.outcome, opts.compare_output) or why
        reruns += spent
        findings.append(_finding(target, command, opts, seed, minimal, final if final.variations else run, why,
                                 spent, len(ids)))
    notes.append(f"{label}: {opts.examples} fuzzed runs (seeds {opts.seed}..{opts.seed + opts.examples - 1}), "
                 f"{sent} variations sent, {len(findings)} failures, {reruns} shrinking reruns")
    return findings, notes


def _site_free(variation_id: str) -> str:
    """``ContainerList#2:[1].SizeRw:omitempty-drop`` -> ``ContainerList:[*].SizeRw:omitempty-drop``: the same
    field and rule in another answer or list item is the same client bug."""
    answer, rest = variation_id.split(":", 1)
    return answer.split("#", 1)[0] + ":" + ITEM_INDEX.sub("[*]", rest)


def reproduce_line(target: Target, command: list[str], opts: FuzzOptions, seed: int, ids: list[str]) -> str:
    """The command line that runs exactly this failure again: the same version, seed and variations."""
    mode = "" if opts.mode == "valid" else "=invalid"
    parts = ["apicheck", "client", "--server-version", target.api, f"--fuzz-responses{mode}", *opts.seed_args(seed),
             "--examples", "1", "--fuzz-only", ",".join(ids), *opts.rerun_args]
    if opts.compare_output:
        parts.append("--compare-output")
    return shlex.join([*parts, "--", *command])


def _finding(target: Target, command: list[str], opts: FuzzOptions, seed: int, minimal: list[str], run: Run,
             why: str, spent: int, applied: int) -> Finding:
    by_id = {str(v["id"]): v for v in run.variations}
    sent = [by_id.get(i, {"id": i, "rule": i.rsplit(":", 1)[-1], "path": "?", "value": "?", "valid": True})
            for i in minimal]
    valid = all(v.get("valid", True) for v in sent)
    first = sent[0]
    method = str(first.get("method", ""))
    path = split_prefix(str(first.get("request_path", "")))[1]
    what = "; ".join(f"{v['rule']} at {v['path']} = {v['value']}" for v in sent)
    repro = reproduce_line(target, command, opts, seed, minimal)
    return Finding(
        kind="fuzz-client-failure" if valid else "fuzz-invalid-response",
        severity="error" if valid else "info", api_version=target.api, method=method, path=path,
        location="response", name=str(first.get("path", "")), source="behaviour",
        detail=f"the client {why} when {method} {path} answered with {what}; reproduce: {repro}",
        extra={"server": target.label, "seed": seed, "variations": sent, "client_error": why, "reproduce": repro,
               "shrink_reruns": spent, "variations_in_failing_run": applied,
               "stderr_tail": run.outcome.stderr_tail},
    )
