"""Markdown: a table per endpoint, then the shared-schema changes (for PR comments and CI summaries)."""

from __future__ import annotations

from collections.abc import Sequence

from checker.report.common import counts, detail_text, group, where
from specs.findings import Finding


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render(findings: Sequence[Finding], title: str = "apicheck", fail_on: str = "error") -> str:
    lines = [f"## {_cell(title)}", "", counts(findings)]
    by_endpoint, shared = group(findings)
    for (method, path), items in by_endpoint.items():
        lines += ["", f"### `{method} {path}`" if method else f"### {path or 'general'}", "",
                  "| severity | hazard | where | change | detail |", "|---|---|---|---|---|"]
        for f in items:
            text = f.extra.get("message") or detail_text(f)
            lines.append(f"| {f.severity} | {f.hazard or ''} | `{_cell(where(f))}` | {f.kind} | {_cell(text)} |")
    if shared:
        lines += ["", "### Shared schemas", "", "| schema field | change | detail | severity | hazard | reaches |",
                  "|---|---|---|---|---|---|"]
        for g in shared:
            reach = "<br>".join(f"`{f.method} {f.path}` {_cell(where(f))}" for f in g.findings)
            lines.append(f"| `{g.schema}.{g.path}` | {g.kind} | {_cell(g.text)} | {g.severity} | {g.hazard} | {reach} |")
    return "\n".join(lines) + "\n"
