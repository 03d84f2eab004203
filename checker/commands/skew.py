"""``apicheck skew --client C --server S``: the hazards of one client/daemon pairing."""

from __future__ import annotations

import argparse

from checker.commands.common import add_fail_on, add_output, report

NAME = "skew"
HELP = "hazards of a client built for one API version talking to a daemon of another"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--client", required=True, metavar="C", help="client API version or spec file")
    parser.add_argument("--server", required=True, metavar="S", help="daemon API version or spec file")
    parser.add_argument("--no-changelog", action="store_true", help="leave out the changelog's behaviour facts")
    add_output(parser)
    add_fail_on(parser, "error")


def run(args: argparse.Namespace) -> int:
    from checker.skew import skew

    findings = skew(args.client, args.server, behaviour=not args.no_changelog)
    return report(findings, args, f"apicheck skew: client {args.client} / daemon {args.server}")
