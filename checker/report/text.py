"""Plain text for a terminal: by endpoint, then shared schemas once with the endpoints they reach."""

from __future__ import annotations

from collections.abc import Sequence

from checker.report.common import counts, detail_text, group, version_ranges, where
from specs.findings import Finding


def _line(f: Finding, indent: str = "  ") -> str:
    hazard = f" {f.hazard}" if f.hazard else ""
    message = f.extra.get("message")
    text = message if message else f"{where(f)}: {f.kind} {detail_text(f)}".rstrip()
    source = "" if f.source == "spec" else f" <{f.source}>"
    # A live daemon's finding may stand for several probed API versions: say which.
    versions = f.extra.get("versions")
    seen = f" (at {version_ranges(versions)})" if isinstance(versions, list) and versions else ""
    return f"{indent}[{f.severity}{hazard}] {text}{source}{seen}"


def render(findings: Sequence[Finding], title: str = "apicheck", fail_on: str = "error") -> str:
    lines = [f"{title}: {counts(findings)}"]
    if not findings:
        return lines[0] + "\n"
    by_endpoint, shared = group(findings)
    for (method, path), items in by_endpoint.items():
        lines.append("")
        lines.append(f"{method} {path}" if method else path or "(general)")
        lines.extend(_line(f) for f in items)
    if shared:
        lines.append("")
        lines.append("Shared schemas (each change once, with the endpoints it reaches)")
        for g in shared:
            hazard = f" {g.hazard}" if g.hazard else ""
            lines.append(f"  {g.schema}.{g.path}: {g.kind} {g.text} [{g.severity}{hazard}]")
            for f in g.findings:
                lines.append(f"      {f.method} {f.path} {where(f)}  [{f.severity}{' ' + f.hazard if f.hazard else ''}]")
    return "\n".join(lines) + "\n"
