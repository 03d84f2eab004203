"""``apicheck client --server-version VERSIONS [options] -- COMMAND [ARGS...]``: run a Docker
client against every daemon version asked for and report what it sends that they do not understand.

Exit status: 0 clean; 1 findings at or above ``--fail-on``; 3 the command failed at some version
(where it succeeded at another, or everywhere); 2 usage errors (bad version list, command not found).
"""

from __future__ import annotations

import argparse
import sys

from checker.commands.common import emit

NAME = "client"
HELP = "run a Docker client against daemons of each version and report what they would not understand"
FORMATS = ("text", "json", "markdown", "junit", "html")


def add_report_arguments(parser: argparse.ArgumentParser) -> None:
    """What ``client`` and ``traffic`` share: the versions, the client version, the output."""
    parser.add_argument("--server-version", required=True, metavar="VERSIONS",
                        help="1.41 | 1.41,1.44 | 1.25..1.56 | all | latest | engine:20.10,25.0,29.0")
    parser.add_argument("--client-version", metavar="X",
                        help="the API version the client was written for (response-side 'possible' hazards; "
                             "default: the highest prefix it used)")
    parser.add_argument("--format", choices=FORMATS, default="text", help="output format (default: text)")
    parser.add_argument("-o", "--output", metavar="FILE", help="write the report to FILE instead of stdout")
    parser.add_argument("--fail-on", choices=("error", "warning", "info", "none"), default="warning",
                        help="exit 1 when a finding of this severity or worse exists (default: warning; "
                             "'possible' response-side hazards never count)")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_report_arguments(parser)
    parser.add_argument("--setup", metavar="SHELL", help="a shell command run first against each daemon "
                                                          "(its requests are not checked), e.g. 'docker pull busybox'")
    parser.add_argument("--seed", metavar="FILE", help="mockd seed file for every daemon")
    parser.add_argument("--timeout", type=float, default=120.0, metavar="SECONDS",
                        help="per version, for --setup and COMMAND each (default: 120)")
    parser.add_argument("-j", "--jobs", type=int, default=4, metavar="N", help="versions run in parallel (default: 4)")
    parser.add_argument("--keep-api-version", action="store_true",
                        help="keep DOCKER_API_VERSION from the environment (pinning is a thing to test)")
    parser.add_argument("--keep-records", metavar="DIR", help="copy each version's traffic record into DIR")
    parser.add_argument("--faults", metavar="FILE",
                        help="run COMMAND under a fault plan (mockd's fault list, YAML/JSON; docs/mockd.md "
                             "'Fault injection') and report how it behaved: exit, retries, hang, crash")
    parser.add_argument("--mockd", default="mockd", metavar="CMD", help="the mockd command (default: mockd)")
    parser.add_argument("command", nargs=argparse.REMAINDER, metavar="-- COMMAND [ARGS...]")


def parse_targets(args: argparse.Namespace):
    import specs
    from checker.client.targets import parse

    if args.client_version:
        specs.normalize(args.client_version)
    return parse(args.server_version)


def finish(report, args: argparse.Namespace) -> int:
    from checker.client.report import render

    emit(render(args.format, report, args.fail_on), args.output)
    if report.command_failures() and not getattr(args, "faults", None):
        return 3  # under a fault plan, failing is how the client behaved: reported, and fail-on decides

    return int(any(r.failing(args.fail_on) for r in report.results))


def run(args: argparse.Namespace) -> int:
    from checker.client.robustness import PlanError, load_plan
    from checker.client.run import Options, UsageError, run_client

    command = list(args.command)
    if command and command[0] == "--":
        command = command[1:]
    try:
        targets = parse_targets(args)
        opts = Options(command=command, targets=targets, setup=args.setup, seed=args.seed, timeout=args.timeout,
                       jobs=args.jobs, keep_api_version=args.keep_api_version, client_version=args.client_version,
                       mockd=args.mockd, keep_records=args.keep_records,
                       faults=load_plan(args.faults) if args.faults else None)
        if args.seed:
            open(args.seed, "rb").close()  # unreadable: a usage error now, not 32 daemons that fail
        report = run_client(opts, progress=lambda line: print(f"apicheck client: {line}", file=sys.stderr)
                            if args.output or args.format != "text" else None)
    except (UsageError, PlanError) as exc:
        print(f"apicheck client: error: {exc}", file=sys.stderr)
        return 2
    return finish(report, args)
