"""Record the corpus expectations from the real busybox: `python -m tests.shell_corpus.record`.

Runs every case's script with `/bin/busybox sh -c` in a throwaway directory and writes its stdout, stderr
and exit status back into cases.yaml (scripts and flags are kept; only the three expectations change).
"""

from __future__ import annotations

import sys

import yaml

from tests.shell_corpus.corpus import CASES, busybox_available, load, run_busybox

FIELDS = ("name", "script", "ignore_stderr", "stdout", "stderr", "status")


class _Dumper(yaml.SafeDumper):
    pass


def _text(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    # Multi-line text as a literal block keeps scripts and outputs readable in review.
    style = "|" if "\n" in value and not value.startswith((" ", "\t")) and "\t" not in value \
        and not any(line != line.rstrip() for line in value.split("\n")) else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _text)


def main() -> int:
    if not busybox_available():
        print("record: /bin/busybox is not installed", file=sys.stderr)
        return 1
    cases = load()
    names = [c["name"] for c in cases]
    if len(set(names)) != len(names):
        print("record: duplicate case names", file=sys.stderr)
        return 1
    for case in cases:
        got = run_busybox(case["script"])
        case.update(stdout=got.stdout, stderr=got.stderr, status=got.status)
    ordered = [{k: case[k] for k in FIELDS if k in case} for case in cases]
    CASES.write_text(yaml.dump(ordered, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=120))
    print(f"recorded {len(cases)} cases into {CASES}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
