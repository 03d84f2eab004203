"""The Docker Engine release table: each release's newest API version and the oldest it accepts.

Measured in ``dockerd-wire-facts.md`` (1.12 up to Engine 24, 1.24 from Engine 25, 1.44 from
Engine 29); releases older than 20.10 follow the upstream changelog. API versions newer than the
newest measured release (1.53+, the in-development documents) get a derived engine string in the
29.x line and Engine 29's floor.

It lives in ``specs`` because both sides use it: mockd impersonates a release
(``mockd --engine-version 25.0``) and apicheck names daemons by release
(``apicheck client --server-version engine:20.10,29.0``) without importing mockd.
"""

from __future__ import annotations

from functools import lru_cache

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


@lru_cache(maxsize=4096)  # every request compares its version several times
def dockerd_key(version: str) -> tuple[int, ...]:
    """dockerd's ordering of version strings (``versions.compare``): dot-separated integers,
    missing parts count as 0, a non-numeric part as 0. ``"1"`` < ``"1.12"`` < ``"1.9.1"`` is numeric."""
    parts = []
    for part in version.split("."):
        parts.append(int(part) if part.isdigit() else 0)
    while len(parts) > 1 and parts[-1] == 0:
        parts.pop()
    return tuple(parts)


def _older(a: str, b: str) -> bool:
    return dockerd_key(a) < dockerd_key(b)


def release_for_engine(engine: str) -> tuple[str, str, str, str] | None:
    """The table row of an engine version given as ``29.0``, ``29.0.1``, ``20.10.24``, ``28.2``."""
    wanted = dockerd_key(engine.split("-")[0])
    best = None
    for row in RELEASES:
        rk = dockerd_key(row[0])
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
    if _older(newest[2], api):
        # Unreleased or unmeasured API versions (the in-development documents): 29.x line.
        return f"29.{dockerd_key(api)[1] - dockerd_key(newest[2])[1]}.0"
    # An API version between table rows (never a release's max): the next release speaking more.
    for _rel, full, max_api, _min in RELEASES:
        if _older(api, max_api):
            return full
    return newest[1]


def default_min_for_api(api: str) -> str:
    """dockerd's own floor for a release whose max is ``api`` (used with ``--engine-version``)."""
    floor = "1.12"
    for _rel, _full, max_api, min_api in RELEASES:
        if not _older(api, max_api):
            floor = min_api
    return floor
