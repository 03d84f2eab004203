"""``apicheck client --faults FILE``: run the client under a fault plan and tell how it behaved.

The plan is mockd's fault list (``docs/mockd.md`` "Fault injection": a YAML/JSON list of faults, or
``{"faults": [...]}``), installed on each daemon through its control plane (``POST /_mockd/faults``) after
``--setup`` and before COMMAND: apicheck never imports mockd. What the client did comes from two places, the
command's outcome and the traffic record (each exchange a fault spoiled carries ``faults``), and is reported as
findings of the one model (``specs.findings.Finding``), so every reporter shows it:

======================  ========  ===================================================================
kind                    severity  when
======================  ========  ===================================================================
fault-applied           info      a fault fired (once per fault: how often, on which requests)
client-retried          info      the client sent the spoiled request again (how many times)
client-gave-up          info      the client exited non-zero (with its last stderr line): failing
                                  cleanly on a daemon error is a behaviour, not a bug
client-crashed          error     a Python traceback or a Go panic on stderr
client-hung             error     the command ran past ``--timeout``
======================  ========  ===================================================================
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

from checker.client.context import split_prefix
from checker.client.model import CommandOutcome, Exchange
from checker.client.targets import Target
from checker.daemon.client import DaemonClient, TransportError
from specs.findings import Finding

CRASH = re.compile(r"Traceback \(most recent call last\)|^panic: |^goroutine \d+ \[running\]|"
                   r"^fatal error: |Segmentation fault", re.M)


class PlanError(ValueError):
    """A fault plan that cannot be used."""


def load_plan(path: str) -> list[dict[str, Any]]:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise PlanError(f"--faults {path}: {exc.strerror or exc}") from None
    try:
        import yaml

        data = yaml.safe_load(text)
    except Exception as exc:  # noqa: BLE001 - yaml's errors are many
        raise PlanError(f"--faults {path}: {exc}") from None
    items = data.get("faults") if isinstance(data, dict) else data
    if not isinstance(items, list) or not all(isinstance(i, dict | str) for i in items):
        raise PlanError(f"--faults {path}: a list of faults (or {{faults: [...]}}) expected")
    return items


def install(socket: str, plan: list[Any]) -> None:
    """The plan on one daemon (``POST /_mockd/faults``); its refusal is a usage error (the plan is bad)."""
    body = [_spec_mapping(i) if isinstance(i, str) else i for i in plan]
    try:
        resp = DaemonClient(f"unix://{socket}").request("POST", "/_mockd/faults", body=body)
    except TransportError as exc:
        raise PlanError(f"cannot install the fault plan: {exc}") from None
    if resp.status != 201:
        raise PlanError(f"mockd refused the fault plan: {resp.body.decode(errors='replace').strip()}")


def _spec_mapping(spec: str) -> dict[str, str]:
    """A ``mockd --fault`` string as the mapping the control plane takes."""
    out = {}
    for part in spec.split(","):
        name, _, value = part.partition("=")
        if name.strip():
            out[name.strip().replace("-", "_")] = value.strip()
    return out


def crash_text(stderr: str) -> str | None:
    """The first line of a crash (traceback, panic) in a command's stderr, else None."""
    m = CRASH.search(stderr)
    if m is None:
        return None
    tail = [line for line in stderr[m.start():].splitlines() if line.strip()]
    # A Python traceback ends with the exception; a panic starts with it.
    return tail[-1].strip() if tail and tail[0].startswith("Traceback") else tail[0].strip()


def behaviour(target: Target, exchanges: list[Exchange], outcome: CommandOutcome | None) -> list[Finding]:
    out: list[Finding] = []

    def finding(kind: str, severity: str, detail: str, name: str = "", method: str = "", path: str = "",
                **extra: Any) -> None:
        out.append(Finding(kind=kind, severity=severity, api_version=target.api, method=method,  # type: ignore[arg-type]
                           path=path, location="endpoint", name=name, detail=detail, source="behaviour",
                           extra={"server": target.label, **extra}))

    fired: dict[str, list[Exchange]] = {}
    kinds: dict[str, str] = {}
    for e in exchanges:
        for f in e.faults:
            fired.setdefault(str(f.get("id")), []).append(e)
            kinds[str(f.get("id"))] = str(f.get("kind"))
    for fault_id, hit in fired.items():
        first = hit[0]
        finding("fault-applied", "info", f"fault {fault_id} ({kinds[fault_id]}) fired {len(hit)} time(s), first on "
                f"#{first.seq} {first.method} {first.path}", name=kinds[fault_id], method=first.method,
                path=_rest(first.path), fault=fault_id, requests=[e.seq for e in hit])
    retries = _retries(exchanges)
    for (method, rest), seqs in retries.items():
        finding("client-retried", "info", f"the client sent {method} {rest} again {len(seqs)} time(s) after a fault "
                f"spoiled it (requests {', '.join(f'#{s}' for s in seqs)})", method=method, path=rest, requests=seqs)
    if outcome is None:
        return out
    if outcome.timed_out:
        finding("client-hung", "error", f"the command did not finish within {outcome.seconds:.0f} s under the fault "
                "plan (it waits forever on a spoiled answer)")
    elif outcome.crash:
        finding("client-crashed", "error", f"the command crashed under the fault plan: {outcome.crash}",
                exit_code=outcome.exit_code)
    elif not outcome.succeeded:
        last = next((line for line in reversed(outcome.stderr_tail) if line.strip()), "")
        finding("client-gave-up", "info", f"the command exited {outcome.exit_code} under the fault plan"
                + (f": {last.strip()}" if last else ""), exit_code=outcome.exit_code)
    return out


def _rest(path: str) -> str:
    return split_prefix(path)[1]


def _retries(exchanges: list[Exchange]) -> dict[tuple[str, str], list[int]]:
    """Requests repeated after a spoiled one: the same method and path (version prefix aside) and body."""
    out: dict[tuple[str, str], list[int]] = {}
    pending: Counter[tuple[str, str, str]] = Counter()
    for e in exchanges:
        key = (e.method, _rest(e.path), json.dumps(e.body, sort_keys=True, default=str))
        if pending[key]:
            out.setdefault(key[:2], []).append(e.seq)
        if e.faults:
            pending[key] += 1
        elif pending[key]:
            pending[key] = 0  # it went through: later identical requests are new ones
    return out
