"""API version strings ("1.41") and their numeric order (1.9 < 1.10)."""

from __future__ import annotations

import re
from functools import lru_cache

_VERSION = re.compile(r"^v?(\d+)\.(\d+)$")

# The oldest bundled document; requests at older versions are checked against it.
OLDEST_DOCUMENT = "1.25"


class InvalidVersion(ValueError):
    """A string that is not an API version of the form MAJOR.MINOR."""


@lru_cache(maxsize=4096)  # per request in mockd, per pair in the matrix; bounded: clients send any string
def parse_version(text: str) -> tuple[int, int]:
    """``"1.41"`` (or ``"v1.41"``) -> ``(1, 41)``; anything else raises :class:`InvalidVersion`."""
    match = _VERSION.match(text.strip()) if isinstance(text, str) else None
    if not match:
        raise InvalidVersion(f"invalid API version {text!r}: expected MAJOR.MINOR, e.g. 1.41")
    return int(match.group(1)), int(match.group(2))


def format_version(version: tuple[int, int]) -> str:
    return f"{version[0]}.{version[1]}"


def normalize(text: str) -> str:
    """Canonical spelling: ``"v1.041"`` -> ``"1.41"``."""
    return format_version(parse_version(text))


def version_key(text: str) -> tuple[int, int]:
    """Sort key for version strings."""
    return parse_version(text)


def compare(a: str, b: str) -> int:
    """-1, 0 or 1 as ``a`` is older than, equal to or newer than ``b``."""
    pa, pb = parse_version(a), parse_version(b)
    return (pa > pb) - (pa < pb)
