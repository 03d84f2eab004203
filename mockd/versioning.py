"""API version negotiation as dockerd does it, and the engine release <-> API version bounds.

The release table is the one measured in ``dockerd-wire-facts.md``: the newest API version each
Docker Engine release speaks, and the oldest it still accepts (1.12 up to Engine 24, 1.24 from
Engine 25, 1.44 from Engine 29). Releases older than 20.10 follow the upstream changelog.
API versions newer than the newest measured release (1.53+, the in-development documents) get a
derived engine string in the 29.x line and Engine 29's floor.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import specs

# (engine release, full version string we report, max API version, min API version)
RELEASES: tuple[tuple[str, str, str, str], ...] = (
    ("1.13", "1.13.1", "1.25", "1.12"),
    ("17.03", "17.03.1-ce", "1.27", "1.12"),
    ("17.04", "17.04.0-ce", "1.28", "1.12"),
    ("17.05", "17.05.0-ce", "1.29", "1.12"),
    ("17.06", "17.06.2-ce", "1.30", "1.12"),
    ("17.07", "17.07.0-ce", "1.31", "1.12"),
    ("17.09", "17.09.1-ce", "1.32", "1.12"),
    ("17.10", "17.10.0-ce", "1.33", "1.12"),
    ("17.11", "17.11.0-ce", "1.34", "1.12"),
    ("17.12", "17.12.1-ce", "1.35", "1.12"),
    ("18.02", "18.02.0-ce", "1.36", "1.12"),
    ("18.03", "18.03.1-ce", "1.37", "1.12"),
    ("18.06", "18.06.3-ce", "1.38", "1.12"),
    ("18.09", "18.09.9", "1.39", "1.12"),
    ("19.03", "19.03.15", "1.40", "1.12"),
    ("20.10", "20.10.24", "1.41", "1.12"),
    ("23.0", "23.0.6", "1.42", "1.12"),
    ("24.0", "24.0.9", "1.43", "1.12"),
    ("25.0", "25.0.5", "1.44", "1.24"),
    ("26.0", "26.0.2", "1.45", "1.24"),
    ("26.1", "26.1.4", "1.45", "1.24"),
    ("27.0", "27.0.3", "1.46", "1.24"),
    ("27.1", "27.1.2", "1.46", "1.24"),
    ("27.2", "27.2.1", "1.47", "1.24"),
    ("27.3", "27.3.1", "1.47", "1.24"),
    ("27.4", "27.4.1", "1.47", "1.24"),
    ("27.5", "27.5.1", "1.47", "1.24"),
    ("28.0", "28.0.4", "1.48", "1.24"),
    ("28.1", "28.1.1", "1.49", "1.24"),
    ("28.2", "28.2.2", "1.50", "1.24"),
    ("28.3", "28.3.3", "1.51", "1.24"),
    ("28.4", "28.4.0", "1.51", "1.24"),
    ("28.5", "28.5.2", "1.51", "1.24"),
    ("29.0", "29.0.0", "1.52", "1.44"),
)

# The friendly default floor: what Engines 25-28 accept, reachable by every client in use.
DEFAULT_MIN_API = "1.24"
GO_VERSION = "go1.24.4"

_PREFIX = re.compile(r"^/v([0-9.]+)(/.*)$")


def key(version: str) -> tuple[int, ...]:
    """dockerd's ordering of version strings (``versions.compare``): dot-separated integers,
    missing parts count as 0, a non-numeric part as 0. ``"1"`` < ``"1.12"`` < ``"1.9.1"`` is numeric."""
    parts = []
    for part in version.split("."):
        parts.append(int(part) if part.isdigit() else 0)
    while len(parts) > 1 and parts[-1] == 0:
        parts.pop()
    return tuple(parts)


def less_than(a: str, b: str) -> bool:
    return key(a) < key(b)


@dataclass(frozen=True)
class Window:
    """A range of requested API versions, the one vocabulary of the version tables: ``since`` (inclusive)
    to ``before`` (exclusive), either end open. Used by the behaviours table (``Behaviour(Since("1.42"))``,
    :mod:`mockd.behaviours`) and the serializer's rules (``Rule(..., when=Before("1.44"))``)."""

    since: str | None = None
    before: str | None = None

    def applies(self, version: str) -> bool:
        if self.since is not None and less_than(version, self.since):
            return False
        return self.before is None or less_than(version, self.before)

    def __str__(self) -> str:
        if self.since and self.before:
            return f"{self.since} to {self.before} (exclusive)"
        if self.since:
            return f"since {self.since}"
        return f"before {self.before}" if self.before else "every version"


ALWAYS = Window()


def Since(version: str) -> Window:  # capitalised: it reads as a table cell, Since("1.42")
    """From ``version`` on (inclusive)."""
    return Window(since=version)


def Before(version: str) -> Window:  # capitalised: it reads as a table cell, Before("1.24")
    """Below ``version`` only (exclusive)."""
    return Window(before=version)


def split_prefix(path: str) -> tuple[str | None, str]:
    """``/v1.41/containers/json`` -> ("1.41", "/containers/json"); unprefixed -> (None, path).

    dockerd's router takes ``/v{version:[0-9.]+}``; anything else after ``/v`` is a plain path
    (and then a 404, since no route starts with ``/v``)."""
    m = _PREFIX.match(path)
    if m:
        return m.group(1), m.group(2)
    return None, path


@dataclass(frozen=True)
class Bounds:
    engine_version: str
    max_api: str
    min_api: str


def release_for_engine(engine: str) -> tuple[str, str, str, str] | None:
    """The table row of an engine version given as ``29.0``, ``29.0.1``, ``20.10.24``, ``28.2``."""
    wanted = key(engine.split("-")[0])
    best = None
    for row in RELEASES:
        rk = key(row[0])
        if wanted[: len(rk)] == rk or wanted == rk:
            best = row
    return best


def engine_for_api(api: str) -> str:
    """The engine version string reported for a max API version (newest release speaking it)."""
    found = None
    for _rel, full, max_api, _min in RELEASES:
        if max_api == api:
            found = full
    if found:
        return found
    newest = RELEASES[-1]
    if less_than(newest[2], api):
        # Unreleased or unmeasured API versions (the in-development documents): 29.x line.
        return f"29.{key(api)[1] - key(newest[2])[1]}.0"
    # An API version between table rows (never a release's max): the next release speaking more.
    for _rel, full, max_api, _min in RELEASES:
        if less_than(api, max_api):
            return full
    return newest[1]


def resolve_bounds(api_version: str | None, min_api_version: str | None, engine_version: str | None) -> Bounds:
    """The daemon's (engine version, max API, min API) from the command-line flags.

    ``--engine-version`` alone picks that release's max and min; ``--api-version`` alone derives
    the engine string; ``--min-api-version`` defaults to 1.24 unless an engine release was named.
    """
    if engine_version and not api_version:
        row = release_for_engine(engine_version)
        if row is None:
            raise ValueError(f"unknown engine release {engine_version!r} (known: {RELEASES[0][0]}..{RELEASES[-1][0]})")
        max_api = row[2]
        min_api = min_api_version or row[3]
        full = engine_version if engine_version.count(".") >= 2 else row[1]
        return Bounds(full, max_api, specs.normalize(min_api))
    max_api = specs.normalize(api_version) if api_version else specs.latest()
    if max_api not in specs.versions():
        raise ValueError(f"no API document for {max_api} (bundled: {specs.versions()[0]}..{specs.latest()})")
    min_api = specs.normalize(min_api_version) if min_api_version else DEFAULT_MIN_API
    if less_than(max_api, min_api):
        raise ValueError(f"minimum API version {min_api} is newer than the maximum {max_api}")
    return Bounds(engine_version or engine_for_api(max_api), max_api, min_api)


class VersionRejected(Exception):
    """A request version outside the daemon's bounds, with dockerd's message. Whether it goes out as plain
    text (below 1.24) is the dispatcher's decision, as for every error (``plain-text-errors``)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def check_version(requested: str, bounds: Bounds) -> None:
    """dockerd's version middleware: too old, then too new."""
    if less_than(requested, bounds.min_api):
        raise VersionRejected(
            f"client version {requested} is too old. Minimum supported API version is {bounds.min_api}, "
            "please upgrade your client to a newer version"
        )
    if less_than(bounds.max_api, requested):
        raise VersionRejected(
            f"client version {requested} is too new. Maximum supported API version is {bounds.max_api}"
        )


def spec_version_for(requested: str) -> str:
    """The bundled document a request at ``requested`` is checked against."""
    try:
        return specs.for_request(specs.normalize(requested)).version
    except (specs.InvalidVersion, specs.UnknownVersion):
        # "1", "1.41.0" and the like: dockerd compares them numerically; check against the nearest.
        nearest = specs.versions()[0]
        for v in specs.versions():
            if not less_than(requested, v):
                nearest = v
        return nearest
