"""Second opinions on response findings: what a finding against the requested version's document really is.

Two classes of undocumented or mis-shaped response data are not genuine departures:

- **newer than the requested version** (``newer-field`` / ``newer-shape``, hazard ``newer-server``, info):
  a daemon answering an older-version request sends what its own release knows (dockerd 20.10 returns
  ``CgroupVersion``, defined from 1.41, at ``/v1.25/info``). When a document newer than the requested one,
  and not newer than the daemon's own version, accepts the field, the finding is the skew hazard an old
  client meets, not a departure. A field that no such document defines (or one a newer document removed
  and the daemon still sends) stays genuine.
- **known daemon extras** (``known-daemon-extra``, wire profile, info): fields dockerd is known to send
  although its documents do not define them (``checker/data/daemon_extras.csv``, each measured).
"""

from __future__ import annotations

import csv
import dataclasses
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import specs
from specs.findings import Finding
from specs.validation import check_response

DATA = Path(__file__).resolve().parent.parent / "data" / "daemon_extras.csv"

# Response findings a newer document may explain (its schema gained the field, or corrected the type).
SHAPE_KINDS = {"undocumented-field": "newer-field", "wrong-type": "newer-shape", "null-value": "newer-shape",
               "enum-mismatch": "newer-shape"}
# Kinds that are classified away from the genuine departures (their own groups in reports).
NEWER_KINDS = frozenset({"newer-field", "newer-shape"})


@dataclasses.dataclass(frozen=True)
class DaemonExtra:
    method: str
    path: str
    name: str
    since: str
    before: str
    seen_on: str
    why: str

    def covers(self, f: Finding, url_version: str) -> bool:
        if (f.method, f.path, f.name) != (self.method, self.path, self.name):
            return False
        if self.since and specs.compare(url_version, self.since) < 0:
            return False
        return not (self.before and specs.compare(url_version, self.before) >= 0)


@cache
def daemon_extras() -> tuple[DaemonExtra, ...]:
    with DATA.open(newline="") as fh:
        return tuple(DaemonExtra(**row) for row in csv.DictReader(fh))


def _newer_documents(document: str, daemon_max: str) -> list[str]:
    """Versions after ``document`` up to the daemon's own (and the newest bundled one), ascending."""
    return [v for v in specs.versions() if specs.compare(v, document) > 0 and specs.compare(v, daemon_max) <= 0]


def classify(findings: list[Finding], *, document: str, url_version: str, daemon_max: str | None,
             operation_id: str, status: int, bodies: list[Any], same_field: Callable[[str, str], bool]) -> list[Finding]:
    """``findings`` of one response with the newer-than-requested and known-extra ones reclassified."""
    out = []
    for f in findings:
        extra = next((x for x in daemon_extras() if f.kind == "undocumented-field" and x.covers(f, url_version)), None)
        if extra is not None:
            f = dataclasses.replace(f, kind="known-daemon-extra", severity="info", source="wire-profile",
                                    detail=f"{f.detail}; known: {extra.why} ({extra.seen_on})")
        out.append(f)
    candidates = [f for f in out if f.location == "response" and f.source == "spec" and f.kind in SHAPE_KINDS]
    if not candidates or not daemon_max:
        return out
    defined_at = _first_accepting(tuple((f.kind, f.name) for f in candidates), document, daemon_max, operation_id,
                                  status, bodies, same_field)
    result = []
    for f in out:
        version = defined_at.get((f.kind, f.name)) if f in candidates else None
        if version is not None:
            what = "defined" if f.kind == "undocumented-field" else "accepted as sent"
            f = dataclasses.replace(
                f, kind=SHAPE_KINDS[f.kind], severity="info", hazard="newer-server",
                detail=f"{f.detail}; {what} by the {version} document (the daemon speaks {daemon_max}): "
                       f"a client of {url_version} meets a newer daemon's answer",
                extra={**f.extra, "newer_document": version, "was": f.kind})
        result.append(f)
    return result


def _first_accepting(wanted: tuple[tuple[str, str], ...], document: str, daemon_max: str, operation_id: str,
                     status: int, bodies: list[Any], same_field: Callable[[str, str], bool]) -> dict[tuple[str, str], str]:
    """For each (kind, field) found at ``document``: the first newer document with nothing to say about it."""
    left = set(wanted)
    found: dict[tuple[str, str], str] = {}
    for version in _newer_documents(document, daemon_max):
        spec = specs.load(version)
        op = spec.operation_by_id(operation_id)
        if op is None:
            continue
        names: set[str] = set()
        documented = True
        for body in bodies:
            for g in check_response(spec, op, status, None, body):
                if g.kind == "undocumented-status":
                    documented = False
                if g.location == "response" and g.source == "spec":
                    names.add(g.name)
        if not documented:
            continue
        for kind, name in list(left):
            if not any(same_field(name, n) for n in names):
                found[(kind, name)] = version
                left.discard((kind, name))
        if not left:
            break
    return found
