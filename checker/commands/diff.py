"""``apicheck diff FROM TO``: every change between two API versions (or spec files)."""

from __future__ import annotations

import argparse

from checker.commands.common import add_fail_on, add_output, report

NAME = "diff"
HELP = "every change between two API versions (bundled version numbers or spec files)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("from_ref", metavar="FROM", help="API version (e.g. 1.41) or spec file")
    parser.add_argument("to_ref", metavar="TO", help="API version (e.g. 1.44) or spec file")
    add_output(parser)
    add_fail_on(parser, "none")


def run(args: argparse.Namespace) -> int:
    from checker.diff import diff

    findings = diff(args.from_ref, args.to_ref)
    return report(findings, args, f"apicheck diff {args.from_ref} -> {args.to_ref}")
