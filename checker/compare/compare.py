"""Compare one workflow's answers from a reference daemon and a candidate: where does the candidate depart?

Compared: status codes; response shapes (key sets, JSON types, nullability — not ids, times or sizes);
the headers that clients read; stream framing; error texts (ids and names of the run normalized).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from checker.compare.shapes import diff_shapes, shape
from checker.compare.workflow import StepResult, Workflow, WorkflowRun
from checker.daemon.client import Response
from checker.daemon.write import check_frames
from specs.findings import Finding

# Compared by value (normalized): what clients act on.
VALUE_HEADERS = ("Content-Type", "Api-Version", "Ostype", "Docker-Experimental", "Cache-Control", "Pragma")
# Compared by presence only: the value names the product.
PRESENCE_HEADERS = ("Server",)

_HEX_ID = re.compile(r"\b(?:sha256:)?[0-9a-f]{64}\b|\b[0-9a-f]{12}\b")


@dataclass
class Difference:
    step: str
    what: str  # status, shape, header, framing, error-text, missing, ...
    name: str
    reference: str
    candidate: str

    def line(self) -> str:
        where = f" {self.name}" if self.name else ""
        return f"{self.step}: {self.what}{where}: reference {self.reference} / candidate {self.candidate}"


def framing(resp: Response) -> str:
    """How a body is framed: empty, json, json-lines (\\n or \\r\\n), multiplexed, raw."""
    body = resp.body
    if not body:
        return "empty"
    try:
        json.loads(body)
        return "json" + (" + newline" if body.endswith(b"\n") else "")
    except (ValueError, UnicodeDecodeError):
        pass
    if not check_frames(body):
        return "multiplexed"
    lines = [ln for ln in body.split(b"\n") if ln.strip()]
    try:
        for ln in lines:
            json.loads(ln)
    except (ValueError, UnicodeDecodeError):
        return "raw"
    return "json-lines" + (" (\\r\\n)" if b"\r\n" in body else " (\\n)")


def _normalize(text: str, variables: dict[str, str]) -> str:
    for name, value in sorted(variables.items(), key=lambda kv: -len(kv[1])):
        if value and len(value) >= 3 and name not in ("image",):
            text = text.replace(value, f"<{name}>")
            if len(value) == 64:
                text = text.replace(value[:12], f"<{name}>")
    return _HEX_ID.sub("<id>", text)


def error_text(resp: Response) -> str:
    data = resp.json_or_none()
    if isinstance(data, dict) and isinstance(data.get("message"), str):
        return data["message"]
    return resp.body.decode(errors="replace").strip()


def _header(resp: Response, name: str) -> str:
    value = resp.header(name)
    if value is None:
        return "-"
    return value.replace(" ", "").lower() if name == "Content-Type" else value


def compare_step(ref: StepResult, cand: StepResult, ref_vars: dict[str, str], cand_vars: dict[str, str]) -> list[Difference]:
    name = ref.step.name
    if ref.response is None or cand.response is None:
        r_state = ref.skipped or ref.error or "answered"
        c_state = cand.skipped or cand.error or "answered"
        if r_state == c_state:
            return []
        return [Difference(name, "not-comparable", "", r_state, c_state)]
    r, c = ref.response, cand.response
    out: list[Difference] = []
    if r.status != c.status:
        out.append(Difference(name, "status", "", str(r.status), str(c.status)))
    for header in VALUE_HEADERS:
        rv, cv = _header(r, header), _header(c, header)
        if rv != cv:
            out.append(Difference(name, "header", header, rv, cv))
    for header in PRESENCE_HEADERS:
        if (r.header(header) is None) != (c.header(header) is None):
            out.append(Difference(name, "header", header, "present" if r.header(header) else "-",
                                  "present" if c.header(header) else "-"))
    rf, cf = framing(r), framing(c)
    if rf != cf and (ref.step.stream or rf.startswith("json") or cf.startswith("json") or r.status >= 400):
        out.append(Difference(name, "framing", "", rf, cf))
    if r.status >= 400 and c.status >= 400:
        rt, ct = _normalize(error_text(r), ref_vars), _normalize(error_text(c), cand_vars)
        if rt != ct:
            out.append(Difference(name, "error-text", "", repr(rt), repr(ct)))
        return out
    if r.status >= 400 or c.status >= 400:
        return out  # one side failed: the status difference says it
    rj, cj = r.json_or_none(), c.json_or_none()
    if rj is not None and cj is not None and r.status == c.status:
        for kind, field, rs, cs in diff_shapes(shape(rj), shape(cj)):
            out.append(Difference(name, kind, field, rs, cs))
    return out


def compare_runs(wf: Workflow, ref: WorkflowRun, cand: WorkflowRun) -> list[Difference]:
    out: list[Difference] = []
    for r, c in zip(ref.results, cand.results, strict=True):
        if r.step.compare:
            out += compare_step(r, c, ref.variables, cand.variables)
    return out


_LOCATION = {"status": "response", "header": "response-header", "framing": "response", "error-text": "response",
             "missing-key": "response", "extra-key": "response", "type": "response", "nullability": "response",
             "not-comparable": "endpoint"}
_SEVERITY = {"status": "error", "header": "warning", "framing": "error", "error-text": "warning",
             "missing-key": "warning", "extra-key": "info", "type": "error", "nullability": "warning",
             "not-comparable": "warning"}


def _clip(text: str, limit: int = 240) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


def to_findings(wf: Workflow, ref: WorkflowRun, diffs: list[Difference]) -> list[Finding]:
    """One finding per distinct difference; a difference repeated by several steps (a header every answer
    lacks) is one finding listing its steps."""
    steps = {s.name: s for s in wf.steps}
    grouped: dict[tuple[str, str, str, str], list[Difference]] = {}
    for d in diffs:
        key = (d.what, d.name, d.reference, d.candidate) if d.what == "header" else (d.step, d.what, d.name, d.reference + d.candidate)
        grouped.setdefault(key, []).append(d)
    out = []
    for group in grouped.values():
        d = group[0]
        step = steps.get(d.step)
        names = [g.step for g in group]
        extra: dict[str, Any] = {"step": d.step, "reference": _clip(d.reference), "candidate": _clip(d.candidate),
                                 "workflow": wf.name}
        if len(names) > 1:
            extra["steps"] = names
        out.append(Finding(
            kind=f"compare-{d.what}", severity=_SEVERITY.get(d.what, "warning"),  # type: ignore[arg-type]
            api_version=ref.version, method=step.method if step and len(names) == 1 else "",
            path=step.path if step and len(names) == 1 else f"{len(names)} steps",
            location=_LOCATION.get(d.what, "response"), name=d.name,
            detail=f"{d.step if len(names) == 1 else f'{len(names)} steps'}: reference {_clip(d.reference)} / "
                   f"candidate {_clip(d.candidate)}",
            source="behaviour", extra=extra,
        ))
    return out
