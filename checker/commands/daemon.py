"""``apicheck daemon``: check a live daemon against the document of the API version it claims."""

from __future__ import annotations

import argparse
import json
import sys

from checker.commands.common import add_fail_on, add_output, emit, exit_code
from checker.report import render

NAME = "daemon"
HELP = "check a live daemon (dockerd, podman, mockd) against the spec of the API version it claims"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-H", "--host", help="daemon socket (unix:///path, tcp://host:port); default $DOCKER_HOST, "
                                             "then unix:///var/run/docker.sock")
    parser.add_argument("--api-version", metavar="X", help="check at this version (default: the daemon's max)")
    parser.add_argument("--write", action="store_true", help="also create sandbox objects (apicheck-…, labelled) and "
                                                               "run them through their lifecycle; runs the skew probe")
    parser.add_argument("--image", default="busybox:latest", help="image the write probe uses (default: busybox:latest)")
    parser.add_argument("--fuzz", action="store_true", help="schemathesis-generated requests (safe operations; "
                                                              "with --write also sandbox creates and writes on "
                                                              "sandbox objects)")
    parser.add_argument("--every-operation", action="store_true", help="with --fuzz: every operation, writes, deletes "
                        "and prunes included, on a reset daemon (a throwaway mockd only: refused elsewhere)")
    parser.add_argument("--fuzz-versions", metavar="X,Y", help="with --every-operation: fuzz at each of these API "
                                                               "versions in turn (default: the checked one)")
    parser.add_argument("--allow-list", metavar="FILE", help="with --every-operation: the 5xx dockerd gives too "
                        "(default checker/data/fuzz_server_errors.yaml)")
    parser.add_argument("--max-examples", type=int, default=10, help="fuzz cases per operation (default 10)")
    parser.add_argument("--fuzz-seed", type=int, metavar="N", help="with --every-operation: derive each operation's "
                        "cases from N (the same N draws the same cases; default: new cases each run)")
    parser.add_argument("--time-limit", type=float, default=60.0, help="fuzz time limit in seconds (default 60)")
    parser.add_argument("--no-sweep", action="store_true", help="probe only the checked version, not every "
                                                                  "documented version between the daemon's min and max")
    parser.add_argument("--skew-from", metavar="X", help="URL version of the skew probe (default: the oldest "
                                                          "documented version the daemon accepts)")
    parser.add_argument("--allow-registry", action="store_true", help="also probe operations that reach a registry")
    parser.add_argument("--looseness", action="store_true", help="also list the known Go-encoding looseness "
                                                                  "(always counted in the summary)")
    parser.add_argument("--newer", action="store_true", help="also list the fields and shapes newer than the checked "
                                                              "version that a newer daemon sends (newer-server hazard; "
                                                              "always counted in the summary)")
    parser.add_argument("--details", metavar="FILE", help="write every request, skew result and finding as JSON")
    add_output(parser)
    add_fail_on(parser, "warning")


def summary_table(rows: list[tuple[str, str]]) -> str:
    width = max(len(k) for k, _ in rows)
    return "\n".join(f"{k.ljust(width)}  {v}" for k, v in rows) + "\n"


def run(args: argparse.Namespace) -> int:
    from checker.daemon.client import HostError
    from checker.daemon.fuzz_allow import AllowListError
    from checker.daemon.fuzz_every import FuzzSetupError
    from checker.daemon.handshake import HandshakeError
    from checker.daemon.progress import ProgressBar
    from checker.daemon.run import DaemonOptions, run_daemon_check

    opts = DaemonOptions(
        host=args.host, api_version=args.api_version, write=args.write, image=args.image, fuzz=args.fuzz,
        max_examples=args.max_examples, time_limit=args.time_limit, sweep=not args.no_sweep,
        allow_registry=args.allow_registry, skew_from=args.skew_from, every_operation=args.every_operation, fuzz_seed=args.fuzz_seed,
        fuzz_versions=[v.strip() for v in (args.fuzz_versions or "").split(",") if v.strip()],
        allow_list=args.allow_list,
    )
    bar = ProgressBar()
    try:
        result = run_daemon_check(opts, progress=bar)
    except (HostError, HandshakeError, FuzzSetupError, AllowListError) as exc:
        bar.close()
        print(f"apicheck daemon: error: {exc}", file=sys.stderr)
        return 2
    finally:
        bar.close()
    hs = result.handshake
    table = summary_table(result.summary_rows())
    title = f"apicheck daemon: {hs.product} {hs.engine_version} at API {hs.used_version}"
    genuine = result.genuine
    text = render(args.format, genuine, title=title + " — genuine departures", fail_on=args.fail_on)
    if args.format in ("text", "markdown"):
        fence = "```\n" if args.format == "markdown" else ""
        text = fence + table + fence + "\n" + text
        if args.newer:
            text += "\n" + render(args.format, result.newer, title=title + " — newer than requested (newer-server hazard)",
                                  fail_on="none")
        if args.looseness:
            text += "\n" + render(args.format, result.looseness, title=title + " — known Go-encoding looseness",
                                  fail_on="none")
    else:
        sys.stderr.write(table)
    emit(text, args.output)
    if args.details:
        with open(args.details, "w", encoding="utf-8") as fh:
            json.dump(result.to_dict(), fh, indent=1, default=str)
    return exit_code(genuine, args.fail_on)
