"""``apicheck client --server-version VERSIONS [options] -- COMMAND [ARGS...]``: run a Docker
client against every daemon version asked for and report what it sends that they do not understand.

Exit status: 0 clean; 1 findings at or above ``--fail-on``; 3 the command failed at some version
(where it succeeded at another, or everywhere); 2 usage errors (bad version list, command not found).
"""

from __future__ import annotations

import argparse
import os
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
    parser.add_argument("--seed", metavar="FILE|N", help="mockd seed file for every daemon; with --fuzz-responses "
                                                          "a number is the fuzzing seed (same seed, same run)")
    parser.add_argument("--fuzz-responses", nargs="?", const="valid", choices=("valid", "invalid"), metavar="MODE",
                        help="vary mockd's answers as a real daemon of that version may (MODE valid, the default), "
                             "or also as none would (invalid, reported apart); failures are shrunk to the "
                             "smallest set of variations")
    parser.add_argument("--fuzz-seed", type=int, metavar="N", help="the fuzzing seed (default 0; --seed N too)")
    parser.add_argument("--examples", type=int, default=5, metavar="K", help="fuzzed runs per version (default 5)")
    parser.add_argument("--compare-output", action="store_true",
                        help="with --fuzz-responses: a fuzzed run that prints another result than the baseline fails")
    parser.add_argument("--fuzz-only", metavar="IDS", help="with --fuzz-responses: exactly these variations "
                                                            "(comma-separated ids, as a reported failure prints)")
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


def _rerun_args(args: argparse.Namespace) -> list[str]:
    """The options a printed reproduction of a fuzz failure repeats (besides version, seed and variations)."""
    out: list[str] = []
    if args.setup:
        out += ["--setup", args.setup]
    if args.timeout != 120.0:
        out += ["--timeout", f"{args.timeout:g}"]
    if args.keep_api_version:
        out.append("--keep-api-version")
    if args.mockd != "mockd":
        out += ["--mockd", args.mockd]
    return out


def run(args: argparse.Namespace) -> int:
    from checker.client.robustness import PlanError, load_plan
    from checker.client.run import Options, UsageError, run_client

    command = list(args.command)
    if command and command[0] == "--":
        command = command[1:]
    seed_file, fuzz_opts = args.seed, None
    if args.fuzz_responses:
        from checker.client.fuzzing import FuzzOptions

        fuzz_seed = args.fuzz_seed
        if seed_file is not None and seed_file.isdigit():
            seed_file, fuzz_seed = None, int(seed_file)
        fuzz_opts = FuzzOptions(mode=args.fuzz_responses, seed=fuzz_seed or 0, examples=max(1, args.examples),
                                compare_output=args.compare_output,
                                only=[i for i in args.fuzz_only.split(",") if i] if args.fuzz_only else None,
                                seed_file=os.path.abspath(seed_file) if seed_file else None,
                                rerun_args=_rerun_args(args))
    try:
        targets = parse_targets(args)
        opts = Options(command=command, targets=targets, setup=args.setup, seed=seed_file, timeout=args.timeout,
                       jobs=args.jobs, keep_api_version=args.keep_api_version, client_version=args.client_version,
                       mockd=args.mockd, keep_records=args.keep_records,
                       faults=load_plan(args.faults) if args.faults else None, fuzz=fuzz_opts)
        if seed_file:
            open(seed_file, "rb").close()  # unreadable: a usage error now, not 32 daemons that fail
        report = run_client(opts, progress=lambda line: print(f"apicheck client: {line}", file=sys.stderr)
                            if args.output or args.format != "text" else None)
    except (UsageError, PlanError) as exc:
        print(f"apicheck client: error: {exc}", file=sys.stderr)
        return 2
    return finish(report, args)
