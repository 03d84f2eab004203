"""Reporters: each turns one list of ``specs.findings.Finding`` into text.

``render(fmt, findings, title=...)`` picks one by name; ``FORMATS`` lists the names. Every reporter
takes the same arguments so the other apicheck subcommands (daemon, compare) can reuse them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from checker.report import html, jsonfmt, junit, markdown, text
from specs.findings import Finding

Reporter = Callable[..., str]

REPORTERS: dict[str, Reporter] = {
    "text": text.render,
    "json": jsonfmt.render,
    "markdown": markdown.render,
    "junit": junit.render,
    "html": html.render,
}
FORMATS = tuple(REPORTERS)


def render(fmt: str, findings: Sequence[Finding], title: str = "apicheck", fail_on: str = "error") -> str:
    return REPORTERS[fmt](findings, title=title, fail_on=fail_on)
