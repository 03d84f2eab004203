"""``apicheck skew``: the changes between a client's and a daemon's API versions, phrased as the
hazards of that pairing (direction-aware), plus the behaviour changes the changelog states and the
specs cannot show (``checker/data/changelog_behaviour.csv``, reported with ``source: changelog``).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import specs
from checker import diff as diffmod
from checker.flatten import REQUEST_LOCATIONS, view_for
from checker.report.common import detail_text
from specs.findings import Finding

DATA = Path(__file__).resolve().parent / "data"

# (change, direction, request side?) -> message template. {c}/{s}: client and daemon versions,
# {what}: "<location> <name>" of the field, {vals}: enum values, {before}/{after}: the detail.
_MESSAGES: dict[tuple[str, str, bool], str] = {
    ("added", "newer-client", True): "client {c} may send {what}, which daemon {s} does not know (rejected or silently ignored)",
    ("added", "newer-client", False): "client {c} may count on {what}, which daemon {s} never returns",
    ("added", "newer-server", True): "daemon {s} requires {what}, which client {c} never sends",
    ("added", "newer-server", False): "daemon {s} returns {what}, unknown to client {c}",
    ("removed", "newer-server", True): "client {c} may send {what}, which daemon {s} no longer knows (rejected or silently ignored)",
    ("removed", "newer-server", False): "client {c} may rely on {what}, which daemon {s} no longer returns",
    ("removed", "newer-client", True): "daemon {s} may require {what}, which client {c} no longer sends",
    ("removed", "newer-client", False): "daemon {s} returns {what}, which client {c} no longer knows",
    ("deprecated", "newer-server", True): "{what} is deprecated in daemon {s}; client {c} still uses it and is not told",
    ("deprecated", "newer-server", False): "{what} is deprecated in daemon {s}; client {c} may still rely on it",
    ("deprecated", "newer-client", True): "{what} is deprecated for daemon {s} but not for client {c}",
    ("deprecated", "newer-client", False): "{what} is deprecated for daemon {s} but not for client {c}",
    ("enum-changed", "newer-client", True): "client {c} may send {what} values {vals} that daemon {s} does not accept",
    ("enum-changed", "newer-server", True): "client {c} may send {what} values {vals} that daemon {s} no longer accepts",
    ("enum-changed", "newer-server", False): "daemon {s} may return {what} values {vals} unknown to client {c}",
    ("enum-changed", "newer-client", False): "daemon {s} may return {what} values {vals} that client {c} no longer knows",
    ("type-changed", "newer-client", True): "client {c} sends {what} as {after}; daemon {s} expects {before}",
    ("type-changed", "newer-server", True): "client {c} sends {what} as {before}; daemon {s} expects {after}",
    ("type-changed", "newer-client", False): "daemon {s} returns {what} as {before}; client {c} expects {after}",
    ("type-changed", "newer-server", False): "daemon {s} returns {what} as {after}; client {c} expects {before}",
    ("default-changed", "newer-client", True): "when {what} is omitted, daemon {s} uses {before} while client {c} assumes {after}",
    ("default-changed", "newer-server", True): "when {what} is omitted, daemon {s} uses {after} while client {c} assumes {before}",
    ("default-changed", "newer-client", False): "default of {what}: {before} from daemon {s}, {after} for client {c}",
    ("default-changed", "newer-server", False): "default of {what}: {after} from daemon {s}, {before} for client {c}",
    ("required-changed", "newer-server", True): "daemon {s} requires {what}; client {c} may omit it",
    ("required-changed", "newer-client", True): "client {c} may omit {what}, which daemon {s} requires",
    ("required-changed", "newer-client", False): "client {c} counts on {what} always being there; daemon {s} may omit it",
    ("required-changed", "newer-server", False): "client {c} counts on {what} always being there; daemon {s} may omit it",
    ("nullable-changed", "newer-client", True): "client {c} may send null for {what}; daemon {s} does not accept null",
    ("nullable-changed", "newer-server", True): "client {c} may send null for {what}; daemon {s} no longer accepts null",
    ("nullable-changed", "newer-server", False): "daemon {s} may return null for {what}; client {c} does not expect it",
    ("nullable-changed", "newer-client", False): "daemon {s} may return null for {what}; client {c} does not expect it",
}


# A whole endpoint is called, not sent: its own phrasing (the daemon that lacks it answers 404).
_ENDPOINT_MESSAGES: dict[tuple[str, str], str] = {
    ("added", "newer-client"): "client {c} may call {what}, which daemon {s} does not have (404)",
    ("removed", "newer-server"): "client {c} may call {what}, which daemon {s} no longer has (404)",
}


def _what(f: Finding) -> str:
    if f.location == "endpoint":
        return f"{f.method} {f.path}"
    status = f.extra.get("status")
    loc = {"response": "response field", "response-header": "response header", "body": "body field"}.get(f.location, f"{f.location} parameter")
    if f.location == "response" and not f.name:
        return f"response {status}" if status else "the response"
    return f"{loc} {f.name}" + (f" ({status})" if status and f.location == "response" else "")


def message(f: Finding, direction: str, client: str, server: str) -> str:
    request = f.location in REQUEST_LOCATIONS
    d = f.detail if isinstance(f.detail, dict) else {}
    vals = d.get("added") if (f.kind == "enum-changed" and (direction == "newer-client") == request) else d.get("removed")
    template = _ENDPOINT_MESSAGES.get((f.kind, direction)) if f.location == "endpoint" else None
    template = template or _MESSAGES.get((f.kind, direction, request), "{what}: {kind} between client {c} and daemon {s}")
    return template.format(
        c=client, s=server, what=_what(f), kind=f.kind, vals=",".join(map(str, vals or [])),
        before=d.get("before"), after=d.get("after"),
    )


@dataclass(frozen=True)
class BehaviourFact:
    version: str
    method: str
    path: str
    location: str
    name: str
    change: str
    direction: str
    severity: str
    summary: str


@lru_cache(maxsize=1)
def behaviour_facts() -> tuple[BehaviourFact, ...]:
    with open(DATA / "changelog_behaviour.csv", newline="", encoding="utf-8") as fh:
        return tuple(BehaviourFact(**{k: (v or "").strip() for k, v in row.items()}) for row in csv.DictReader(fh))


def _direction(client: str, server: str) -> str:
    return "newer-client" if specs.compare(client, server) > 0 else "newer-server"


def skew(client: str, server: str, behaviour: bool = True) -> list[Finding]:
    """The hazards of a client built for ``client`` talking to a daemon of ``server``.

    Either may be a bundled version or a spec file; for files, the version in the file decides
    which side is newer.
    """
    cv, sv = view_for(client).version, view_for(server).version
    if specs.compare(cv, sv) == 0:
        return []
    direction = _direction(cv, sv)
    old, new = (server, client) if direction == "newer-client" else (client, server)
    out: list[Finding] = []
    for f in diffmod.diff(old, new):
        effects = f.extra.get("effects", {})
        if direction not in effects:
            continue
        extra = {**f.extra, "client": cv, "server": sv, "message": message(f, direction, cv, sv)}
        extra.pop("effects", None)
        out.append(Finding(
            kind=f.kind, severity=effects[direction], api_version=sv, method=f.method, path=f.path,
            location=f.location, name=f.name, detail=f.detail, source=f.source, hazard=direction,  # type: ignore[arg-type]
            extra=extra,
        ))
    if behaviour:
        out.extend(behaviour_hazards(cv, sv))
    return out


def behaviour_hazards(client: str, server: str) -> list[Finding]:
    """Changelog behaviour facts between the two versions that hurt this direction."""
    direction = _direction(client, server)
    lo, hi = sorted((client, server), key=specs.version_key)
    out = []
    for fact in behaviour_facts():
        if not (specs.compare(lo, fact.version) < 0 <= specs.compare(hi, fact.version)):
            continue
        if fact.direction not in (direction, "both"):
            continue
        out.append(Finding(
            kind=fact.change, severity=fact.severity, api_version=server, method=fact.method, path=fact.path,  # type: ignore[arg-type]
            location=fact.location, name=fact.name, detail=fact.summary, source="changelog", hazard=direction,  # type: ignore[arg-type]
            extra={"from": lo, "to": hi, "client": client, "server": server, "changed_in": fact.version,
                   "message": f"changed in API {fact.version}: {fact.summary}"},
        ))
    return out


__all__ = ["BehaviourFact", "behaviour_facts", "behaviour_hazards", "detail_text", "message", "skew"]
