"""API version negotiation as dockerd does it, and the daemon's bounds from the command line.

The engine release table (release -> newest and oldest API version) is ``specs.releases``, shared
with apicheck.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import specs
from specs.releases import (  # noqa: F401  (re-exported: mockd's users read them here)
    DEFAULT_MIN_API,
    RELEASES,
    default_min_for_api,
    engine_for_api,
    release_for_engine,
)
from specs.releases import dockerd_key as key

GO_VERSION = "go1.24.4"

_PREFIX = re.compile(r"^/v([0-9.]+)(/.*)$")


def less_than(a: str, b: str) -> bool:
    return key(a) < key(b)


def within(version: str, low: str, high: str) -> bool:
    """``low <= version <= high`` in dockerd's ordering; an empty end is open (fault plans' version ranges)."""
    return not (low and less_than(version, low)) and not (high and less_than(high, version))


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


@lru_cache(maxsize=1024)
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
