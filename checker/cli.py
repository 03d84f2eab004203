"""``apicheck``: the command-line front. Each subcommand lives in ``checker/commands/<name>.py``
and is registered from ``checker.commands.COMMANDS``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from checker import commands


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="apicheck", description="Version-skew checks for the Docker Engine API.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in commands.load():
        p = sub.add_parser(module.NAME, help=module.HELP, description=module.HELP)
        module.add_arguments(p)
        p.set_defaults(_run=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args._run(args))
    except (LookupError, ValueError, OSError) as exc:  # unknown version, bad spec file, unwritable output
        print(f"apicheck {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
