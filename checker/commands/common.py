"""Arguments and helpers the apicheck subcommands share."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from checker.report import FORMATS, render
from specs.findings import SEVERITIES, Finding


def add_output(parser: argparse.ArgumentParser, formats: Sequence[str] = FORMATS) -> None:
    parser.add_argument("--format", choices=formats, default="text", help="output format (default: text)")
    parser.add_argument("-o", "--output", metavar="FILE", help="write the report to FILE instead of stdout")


def add_fail_on(parser: argparse.ArgumentParser, default: str) -> None:
    parser.add_argument("--fail-on", choices=[*SEVERITIES, "none"], default=default,
                        help=f"exit 1 when a finding of this severity or worse exists (default: {default})")


def emit(text: str, output: str | None) -> None:
    if output:
        with open(output, "w", encoding="utf-8") as fh:
            fh.write(text)
    else:
        sys.stdout.write(text)


def exit_code(findings: Sequence[Finding], fail_on: str) -> int:
    """1 when a finding reaches ``fail_on`` (``none``: never), else 0."""
    return int(fail_on != "none" and any(f.at_least(fail_on) for f in findings))


def report(findings: Sequence[Finding], args: argparse.Namespace, title: str) -> int:
    fail_on = getattr(args, "fail_on", "none")
    emit(render(args.format, findings, title=title, fail_on=fail_on), args.output)
    return exit_code(findings, fail_on)
