"""What every reporter shares: the JSON item shape, one-line details and the grouping by endpoint
and by shared schema (a change in a shared schema is shown once, with the endpoints it reaches)."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import specs
from checker.rules import CHANGES
from specs.findings import SEVERITY_RANK, Finding

DIFF_KINDS = frozenset(CHANGES)


def item(f: Finding) -> dict[str, Any]:
    """One JSON item: the Finding's fields and extras; diff items also name their ``change``."""
    data = f.to_dict()
    if f.kind in DIFF_KINDS:
        data = {"change": f.kind, **data}
    return data


def _short(value: Any) -> str:
    if isinstance(value, dict) and "type" in value:
        parts = [value["type"]]
        if "enum" in value:
            parts.append("enum " + ",".join(map(_json, value["enum"])))
        if "default" in value:
            parts.append(f"default {_json(value['default'])}")
        parts.extend(flag for flag in ("required", "nullable", "deprecated") if value.get(flag))
        return " ".join(parts)
    return _json(value)


def _json(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def detail_text(f: Finding) -> str:
    """A one-line rendering of a Finding's detail."""
    d = f.detail
    if not isinstance(d, dict):
        return str(d)
    if f.kind == "added":
        text = _short(d.get("after"))
    elif f.kind == "removed":
        text = "was " + _short(d.get("before"))
    elif f.kind == "enum-changed":
        parts = []
        if d.get("added"):
            parts.append("+" + ",".join(map(_json, d["added"])))
        if d.get("removed"):
            parts.append("-" + ",".join(map(_json, d["removed"])))
        text = " ".join(parts) or f"{_json(d.get('before'))} -> {_json(d.get('after'))}"
    elif "before" in d or "after" in d:
        text = f"{_json(d.get('before'))} -> {_json(d.get('after'))}"
    else:
        text = json.dumps(d, sort_keys=True)
    fields = f.extra.get("fields")
    if fields:
        text += f" (with {len(fields)} sub-field{'s' if len(fields) > 1 else ''})"
    history = f.extra.get("history")
    if history and len(history) > 1:
        text += " [history: " + ", ".join(f"{h['version']} {h['change']}" for h in history) + "]"
    return text


def version_ranges(versions: Sequence[str]) -> str:
    """``1.25, 1.26, 1.27, 1.30`` -> ``1.25-1.27, 1.30``: runs of consecutive bundled versions collapsed."""
    known = specs.versions()
    index = {v: i for i, v in enumerate(known)}
    ordered = sorted(dict.fromkeys(versions), key=lambda v: (index.get(v, len(known)), v))
    runs: list[list[str]] = []
    for v in ordered:
        if runs and v in index and runs[-1][-1] in index and index[v] == index[runs[-1][-1]] + 1:
            runs[-1].append(v)
        else:
            runs.append([v])
    return ", ".join(run[0] if len(run) == 1 else f"{run[0]}-{run[-1]}" for run in runs)


def where(f: Finding) -> str:
    status = f.extra.get("status")
    loc = f"{f.location} {status}" if status else f.location
    return f"{loc} {f.name}".rstrip() if f.name else loc


@dataclass
class SharedGroup:
    """One change of a shared schema's field, reaching several endpoints."""

    schema: str
    path: str
    kind: str
    text: str
    findings: list[Finding] = field(default_factory=list)

    @property
    def severity(self) -> str:
        return max((f.severity for f in self.findings), key=SEVERITY_RANK.__getitem__)

    @property
    def hazard(self) -> str:
        hazards = {f.hazard for f in self.findings if f.hazard}
        return "both" if len(hazards) > 1 else next(iter(hazards), "")


def group(findings: Sequence[Finding]) -> tuple[dict[tuple[str, str], list[Finding]], list[SharedGroup]]:
    """Findings by endpoint, except changes of a shared schema reaching more than one endpoint."""
    shared: dict[tuple, SharedGroup] = {}
    for f in findings:
        schema = f.extra.get("schema")
        if schema and f.source == "spec":
            key = (schema, f.extra.get("schema_path", ""), f.kind, detail_text(f))
            g = shared.get(key)
            if g is None:
                g = shared[key] = SharedGroup(schema, f.extra.get("schema_path", ""), f.kind, key[3])
            g.findings.append(f)
    keep = {id(f) for g in shared.values() if len({(x.method, x.path) for x in g.findings}) > 1 for f in g.findings}
    by_endpoint: dict[tuple[str, str], list[Finding]] = {}
    for f in findings:
        if id(f) not in keep:
            by_endpoint.setdefault((f.method, f.path), []).append(f)
    groups = [g for g in shared.values() if len({(x.method, x.path) for x in g.findings}) > 1]
    groups.sort(key=lambda g: (g.schema, g.path, g.kind))
    return dict(sorted(by_endpoint.items(), key=lambda kv: (kv[0][1], kv[0][0]))), groups


def counts(findings: Sequence[Finding]) -> str:
    c = Counter(f.severity for f in findings)
    parts = [f"{c[s]} {s}" for s in ("error", "warning", "info") if c[s]]
    return f"{len(findings)} item{'s' if len(findings) != 1 else ''}" + (f" ({', '.join(parts)})" if parts else "")
