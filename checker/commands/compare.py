"""``apicheck compare``: run one workflow against a reference and a candidate daemon, report departures."""

from __future__ import annotations

import argparse
import json
import sys

from checker.commands.common import add_fail_on, add_output, report

NAME = "compare"
HELP = "run the same workflow against two daemons and report where the candidate departs from the reference"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--reference", required=True, metavar="HOST", help="reference daemon (unix:///path, tcp://...)")
    parser.add_argument("--candidate", required=True, metavar="HOST", help="candidate daemon")
    parser.add_argument("--workflow", default="common", metavar="NAME|FILE",
                        help="a bundled workflow (common) or a YAML file (default: common)")
    parser.add_argument("--api-version", metavar="X", help="version used on both (default: the lower of the maxima)")
    parser.add_argument("--image", default="busybox:latest", help="image the workflow uses (present on both)")
    parser.add_argument("--details", metavar="FILE", help="write every step's answers from both daemons as JSON")
    add_output(parser)
    add_fail_on(parser, "error")


def run(args: argparse.Namespace) -> int:
    from checker.compare.run import run_compare
    from checker.compare.workflow import WorkflowError
    from checker.daemon.client import HostError
    from checker.daemon.handshake import HandshakeError

    try:
        result = run_compare(args.reference, args.candidate, args.workflow, args.api_version, args.image)
    except (WorkflowError, HostError, HandshakeError) as exc:
        print(f"apicheck compare: error: {exc}", file=sys.stderr)
        return 2
    ref, cand = result.reference, result.candidate
    if args.details:
        with open(args.details, "w", encoding="utf-8") as fh:
            json.dump({
                "version": result.version,
                "reference": ref.to_dict(), "candidate": cand.to_dict(),
                "differences": [d.__dict__ for d in result.differences],
                "steps": [
                    {"step": r.step.name, "reference": _answer(r), "candidate": _answer(c)}
                    for r, c in zip(result.reference_run.results, result.candidate_run.results, strict=True)
                ],
            }, fh, indent=1)
    title = (f"apicheck compare ({result.workflow.name} at {result.version}): candidate {cand.product} "
             f"{cand.engine_version} vs reference {ref.product} {ref.engine_version}")
    return report(result.findings, args, title)


def _answer(step: object) -> dict[str, object]:
    resp = getattr(step, "response", None)
    if resp is None:
        return {"skipped": getattr(step, "skipped", ""), "error": getattr(step, "error", "")}
    return {"url": resp.url, "status": resp.status, "headers": resp.headers,
            "body": resp.body[:4000].decode(errors="replace")}
