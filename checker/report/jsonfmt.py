"""JSON: a list of items at top level (see docs/apicheck.md for the keys)."""

from __future__ import annotations

import json
from collections.abc import Sequence

from checker.report.common import item
from specs.findings import Finding


def render(findings: Sequence[Finding], title: str = "apicheck", fail_on: str = "error") -> str:
    return json.dumps([item(f) for f in findings], indent=1) + "\n"
