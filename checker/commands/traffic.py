"""``apicheck traffic FILE.jsonl --server-version VERSIONS``: what if the traffic of a record
(``mockd --record``) met daemons of these versions? The same analysis as ``apicheck client``,
without rerunning the client. Exit status: 0 clean, 1 findings at or above ``--fail-on``, 2 usage.
"""

from __future__ import annotations

import argparse

from checker.commands.client import add_report_arguments, finish, parse_targets

NAME = "traffic"
HELP = "re-check a recorded client's traffic (mockd --record) against daemons of other versions"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("record", metavar="FILE.jsonl", help="a mockd traffic record (docs/record-format.md)")
    add_report_arguments(parser)


def run(args: argparse.Namespace) -> int:
    from checker.client.run import traffic

    report = traffic(args.record, parse_targets(args), args.client_version)
    return finish(report, args)
