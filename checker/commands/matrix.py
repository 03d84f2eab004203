"""``apicheck matrix``: every client x daemon pair, hazards counted by kind; ``--html`` heatmap."""

from __future__ import annotations

import argparse
import json

from checker.commands.common import emit

NAME = "matrix"
HELP = "hazard counts of every client x daemon pairing (text, JSON, or an HTML heatmap)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--min", dest="min_version", metavar="VERSION", help="oldest version (default: 1.25)")
    parser.add_argument("--max", dest="max_version", metavar="VERSION", help="newest version (default: latest)")
    parser.add_argument("--html", metavar="FILE", help="write a self-contained HTML heatmap to FILE")
    parser.add_argument("--format", choices=("text", "json"), default="text", help="stdout format (default: text)")
    parser.add_argument("--severity", choices=("error", "warning", "info"), default="warning",
                        help="text grid: count hazards of this severity or worse (default: warning)")
    parser.add_argument("-o", "--output", metavar="FILE", help="write the text/JSON report to FILE")
    parser.add_argument("--spec", action="append", default=[], metavar="FILE",
                        help="add your own spec file to both axes (placed by the version it declares; repeatable)")
    parser.add_argument("--no-changelog", action="store_true", help="leave out the changelog's behaviour facts")


def run(args: argparse.Namespace) -> int:
    import specs
    from checker.matrix import build
    from checker.report.html import render_matrix

    for v in (args.min_version, args.max_version):
        if v is not None:
            specs.load(v)  # raises a clear error for an unknown version
    if args.min_version and args.max_version and specs.compare(args.min_version, args.max_version) > 0:
        raise ValueError(f"--min {args.min_version} is newer than --max {args.max_version}")
    m = build(args.min_version, args.max_version, behaviour=not args.no_changelog, spec_files=args.spec)
    if args.html:
        with open(args.html, "w", encoding="utf-8") as fh:
            fh.write(render_matrix(m))
    if args.format == "json":
        emit(json.dumps(m.to_json(), indent=1) + "\n", args.output)
    elif not args.html or args.output:
        emit(_grid(m, args.severity), args.output)
    return 0


def _grid(m, severity: str) -> str:
    keep = {"error": ("error",), "warning": ("error", "warning"), "info": ("error", "warning", "info")}[severity]
    width = max(5, *(len(v) for v in m.versions)) + 1
    lines = [f"hazards ({'+'.join(keep)}) of client (rows) x daemon (columns)", " " * width + "".join(v.rjust(width) for v in m.versions)]
    for c in m.versions:
        row = [c.ljust(width)]
        for s in m.versions:
            cell = m.cells[(c, s)]
            row.append(("." if cell.direction == "same" else str(sum(cell.by_severity[x] for x in keep))).rjust(width))
        lines.append("".join(row))
    return "\n".join(lines) + "\n"
