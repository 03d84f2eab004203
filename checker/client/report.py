"""Reporters of ``apicheck client``/``traffic``: each renders one :class:`ClientReport`.

``text`` (per version, then the version matrix), ``json``, ``markdown``, ``junit`` (one test case
per server version; failures: findings at or above ``--fail-on``, and a failed command) and
``html`` (the heatmap of ``apicheck matrix --html``, one row per client, one column per daemon).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any
from xml.etree import ElementTree as ET

from checker.client.model import ClientReport, VersionResult
from checker.report.common import where
from specs.findings import SEVERITIES, Finding

Reporter = Callable[[ClientReport, str], str]
INVALID_FUZZ = "fuzz-invalid-response"  # checker.client.fuzzing: reported apart
REPORTERS: dict[str, Reporter] = {}


def reporter(name: str) -> Callable[[Reporter], Reporter]:
    def register(fn: Reporter) -> Reporter:
        REPORTERS[name] = fn
        return fn

    return register


def render(fmt: str, report: ClientReport, fail_on: str) -> str:
    return REPORTERS[fmt](report, fail_on)


# --- shared --------------------------------------------------------------------------------------


def grouped(findings: Sequence[Finding]) -> list[tuple[Finding, list[int]]]:
    """The same finding on several requests, once, with the requests' order numbers."""
    groups: dict[tuple, tuple[Finding, list[int]]] = {}
    for f in findings:
        key = (f.kind, f.severity, f.method, f.path, f.location, f.name, str(f.detail))
        seq = (f.extra.get("request") or {}).get("seq")
        if key not in groups:
            groups[key] = (f, [])
        if seq is not None:
            groups[key][1].append(seq)
    return list(groups.values())


def request_text(f: Finding, seqs: list[int]) -> str:
    req = f.extra.get("request") or {}
    numbers = ",".join(f"#{n}" for n in seqs[:6]) + (f",... ({len(seqs)} requests)" if len(seqs) > 6 else "")
    template = req.get("template")
    concrete = f"{req.get('method', f.method)} {req.get('path', f.path)}"
    text = f"{numbers} {concrete}".strip()  # no request numbers: a fuzz failure names its endpoint only
    return text + (f" ({template})" if template and template not in concrete else "")


def severity_counts(findings: Sequence[Finding]) -> str:
    c = Counter(f.severity for f in findings)
    return ", ".join(f"{c[s]} {s}" for s in SEVERITIES if c[s]) or "none"


def status(r: VersionResult) -> str:
    if r.command is None:
        return "-"
    return "ok" if r.command.succeeded else ("timeout" if r.command.timed_out else f"exit {r.command.exit_code}")


def summary(report: ClientReport, fail_on: str) -> list[str]:
    lines = []
    failed = report.command_failures()
    if report.has_command:
        ok = [r.target.label for r in report.results if r.command and r.command.succeeded]
        if failed and ok:
            lines.append(f"the command failed at {', '.join(r.target.label for r in failed)} and succeeded at {', '.join(ok)}")
        elif failed:
            first = failed[0].command
            reason = first.stderr_tail[-1] if first and first.stderr_tail else "no output"
            lines.append(f"the command failed at every version (e.g. {failed[0].target.label}: {reason})")
    failing = [r.target.label for r in report.results if r.failing(fail_on)]
    if failing:
        lines.append(f"findings at or above {fail_on} at: {', '.join(failing)}")
    clean = [r.target.label for r in report.results if not r.findings and (r.command is None or r.command.succeeded)]
    if clean:
        lines.append(f"clean at: {', '.join(clean)}")
    return lines


def matrix_rows(report: ClientReport) -> list[dict[str, Any]]:
    rows = []
    for r in report.results:
        c = Counter(f.severity for f in r.findings)
        rows.append({"server": r.target.label, "api_version": r.target.api, "engine_version": r.target.engine,
                     "command": status(r), "version_choice": r.choice.how, "prefixes": r.choice.prefixes,
                     **{s: c[s] for s in SEVERITIES}, "possible": len(r.possible), "looseness": len(r.looseness)})
    return rows


# --- text ----------------------------------------------------------------------------------------


def _finding_line(f: Finding, seqs: list[int], indent: str = "    ") -> str:
    w = where(f)
    label = f"{f.severity} possible" if f.extra.get("possible") else f.severity
    text = f.extra.get("message") if f.extra.get("possible") else f.detail
    return f"{indent}[{label}] {f.kind}: {request_text(f, seqs)} [{w}] {text}"


@reporter("text")
def text(report: ClientReport, fail_on: str) -> str:
    lines = [f"apicheck client: {report.client} against {len(report.results)} daemon version(s)"]
    lines += [f"note: {n}" for n in report.notes]
    for r in report.results:
        lines += ["", f"== {r.target.label}: {r.target.describe()}"]
        if r.command is not None:
            lines.append(f"  command: {r.command.text()} in {r.command.seconds:.1f} s")
            if not r.command.succeeded:
                lines += [f"    | {x}" for x in r.command.stderr_tail]
        lines.append(f"  version: {r.choice.text()}")
        lines.append(f"  {r.exchanges} requests; findings: {severity_counts(r.findings)}")
        # Failures on answers no daemon sends (--fuzz-responses=invalid) are the client's right: listed apart.
        invalid = [f for f in r.findings if f.kind == INVALID_FUZZ]
        lines += [_finding_line(f, seqs) for f, seqs in grouped([f for f in r.findings if f.kind != INVALID_FUZZ])]
        if invalid:
            lines.append(f"  answers no real daemon sends (--fuzz-responses=invalid; not client bugs): {len(invalid)}")
            lines += [_finding_line(f, seqs) for f, seqs in grouped(invalid)]
        if r.possible:
            lines.append(f"  possible response-side hazards (client written for {r.possible[0].extra.get('client')}, "
                         f"not observed): {severity_counts(r.possible)}")
            shown = [(f, seqs) for f, seqs in grouped(r.possible) if f.severity != "info"]
            lines += [_finding_line(f, seqs) for f, seqs in shown]
            hidden = len(grouped(r.possible)) - len(shown)
            if hidden:
                lines.append(f"    ({hidden} info items not shown: --format json or html lists them)")
        if r.looseness:
            lines.append(f"  wire-profile looseness (info, as dockerd accepts it): {len(r.looseness)}")
    if len(report.results) > 1:
        lines += ["", "matrix (one row per daemon version)", _matrix_text(report)]
    lines += ["", *summary(report, fail_on)]
    return "\n".join(lines) + "\n"


def _matrix_text(report: ClientReport) -> str:
    cols = ("server", "engine_version", "command", "version_choice", "error", "warning", "info", "possible")
    heads = ("server", "engine", "command", "version", "errors", "warnings", "info", "possible")
    rows = [[str(row[c]) for c in cols] for row in matrix_rows(report)]
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(heads)]
    out = ["  " + "  ".join(h.ljust(w) for h, w in zip(heads, widths, strict=True))]
    out += ["  " + "  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)) for r in rows]
    return "\n".join(out)


# --- json, markdown, junit, html -------------------------------------------------------------------


@reporter("json")
def json_report(report: ClientReport, fail_on: str) -> str:
    data = report.to_json()
    data["matrix"] = matrix_rows(report)
    data["fail_on"] = fail_on
    return json.dumps(data, indent=1, default=str) + "\n"


def _cell(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


@reporter("markdown")
def markdown(report: ClientReport, fail_on: str) -> str:
    lines = [f"## apicheck client: `{_cell(report.client)}`", ""]
    lines += [f"> note: {n}" for n in report.notes]
    lines += ["| server | engine | command | version choice | errors | warnings | info | possible |",
              "|---|---|---|---|---|---|---|---|"]
    for row in matrix_rows(report):
        lines.append(f"| {row['server']} | {row['engine_version']} | {row['command']} | {row['version_choice']} "
                     f"| {row['error']} | {row['warning']} | {row['info']} | {row['possible']} |")
    for r in report.results:
        if not r.findings and not (r.command and not r.command.succeeded):
            continue
        lines += ["", f"### {r.target.label}: {r.target.describe()}", "", f"version: {_cell(r.choice.text())}"]
        if r.command is not None and not r.command.succeeded:
            lines += ["", f"command {r.command.text()}:", "", "```", *r.command.stderr_tail, "```"]
        if r.findings:
            lines += ["", "| severity | kind | request | where | detail |", "|---|---|---|---|---|"]
            for f, seqs in grouped(r.findings):
                lines.append(f"| {f.severity} | {f.kind} | `{_cell(request_text(f, seqs))}` | `{_cell(where(f))}` "
                             f"| {_cell(f.detail)} |")
    lines += ["", *summary(report, fail_on)]
    return "\n".join(lines) + "\n"


@reporter("junit")
def junit(report: ClientReport, fail_on: str) -> str:
    root = ET.Element("testsuites", name=f"apicheck client: {report.client}")
    suite = ET.SubElement(root, "testsuite", name=report.client)
    failures = 0
    for r in report.results:
        case = ET.SubElement(suite, "testcase", classname=report.client, name=f"daemon {r.target.label}")
        failing = r.failing(fail_on)
        broken = r.command is not None and not r.command.succeeded
        if failing or broken:
            failures += 1
            message = (f"command {r.command.text()}; " if broken and r.command else "") + \
                      f"{len(failing)} findings at or above {fail_on}"
            fail = ET.SubElement(case, "failure", type="apicheck", message=message)
            body = [*(r.command.stderr_tail if broken and r.command else [])]
            body += [_finding_line(f, seqs, "") for f, seqs in grouped(failing)]
            fail.text = "\n".join(body)
        ET.SubElement(case, "system-out").text = f"version: {r.choice.text()}; {r.exchanges} requests; " \
                                                 f"findings: {severity_counts(r.findings)}"
    for el in (root, suite):
        el.set("tests", str(len(report.results)))
        el.set("failures", str(failures))
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


CLIENT_KINDS = ("refused-version", "missing-endpoint", "unknown-endpoint", "undocumented-endpoint",
                "newer-than-prefix", "removed-field", "removed-at-server", "unknown-field", "unknown-query-parameter",
                "newer-enum-value", "removed-enum-value", "enum-mismatch", "deprecated", "possible")


def client_matrix(reports: Sequence[ClientReport]):
    """The heatmap's data: rows are clients, columns daemon versions, items the findings."""
    from checker.matrix import Cell, Matrix

    servers = list(dict.fromkeys(r.target.label for rep in reports for r in rep.results))
    rows = [rep.client for rep in reports]
    cells = {(c, s): Cell(c, s, direction="client") for c in rows for s in servers}
    items: list[tuple[str, str, str, str, str, str, str]] = []
    for rep in reports:
        for r in rep.results:
            cell = cells[(rep.client, r.target.label)]
            for f, seqs in grouped([*r.findings, *r.possible]):
                kind = "possible" if f.extra.get("possible") else f.kind
                text = f.extra.get("message") if f.extra.get("possible") else f"{request_text(f, seqs)}: {f.detail}"
                cell.items.append(len(items))
                cell.by_kind[kind] += 1
                cell.by_severity[f.severity] += 1
                items.append((f.method, f.path, where(f), kind, f.severity, str(text), f.source))
    kinds = tuple(dict.fromkeys([*CLIENT_KINDS, *(it[3] for it in items)]))
    return Matrix(servers, cells, items, rows=rows, kinds=kinds, kinds_off=("possible",),
                  description="Findings of each client (rows) at each daemon version (columns); tick 'possible' "
                              "for the response-side hazards. Click a cell for its list.")


@reporter("html")
def html(report: ClientReport, fail_on: str) -> str:
    from checker.report.html import render_matrix

    return render_matrix(client_matrix([report]), title=f"apicheck client: {report.client}")

