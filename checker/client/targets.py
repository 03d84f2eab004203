"""``--server-version VERSIONS``: the daemons to impersonate.

``1.41`` | ``1.41,1.44,1.52`` | ``1.25..1.56`` | ``all`` | ``latest`` | ``engine:20.10,25.0,29.0``
(engine releases from ``specs.releases``; ``engine:`` applies to the items after it). Each API
version becomes the daemon of the newest release speaking it: that max, that release's minimum
and engine version, as ``mockd --engine-version`` would impersonate it.
"""

from __future__ import annotations

from dataclasses import dataclass

import specs
from specs.releases import RELEASES, default_min_for_api, engine_for_api, release_for_engine


@dataclass(frozen=True)
class Target:
    """One daemon to impersonate."""

    label: str  # what the user named: "1.41" or "engine 29.0"
    api: str  # the daemon's max API version
    min_api: str
    engine: str  # the engine version string it reports

    def describe(self) -> str:
        return f"API {self.api} (Docker {self.engine}, accepts {self.min_api}..{self.api})"

    def mockd_spec(self) -> list[str]:
        """The ``--daemon`` keys that impersonate it."""
        return [f"api={self.api}", f"min-api={self.min_api}", f"engine={self.engine}"]


def for_api(version: str) -> Target:
    api = specs.normalize(version)
    specs.load(api)  # an unknown version is a usage error here, not a daemon that fails to start
    return Target(api, api, specs.normalize(default_min_for_api(api)), engine_for_api(api))


def for_engine(release: str) -> Target:
    row = release_for_engine(release)
    if row is None:
        raise ValueError(f"unknown engine release {release!r} (known: {RELEASES[0][0]}..{RELEASES[-1][0]})")
    _name, full, max_api, min_api = row
    engine = release if release.count(".") >= 2 else full
    return Target(f"engine {release}", max_api, specs.normalize(min_api), engine)


def _range(text: str) -> list[str]:
    lo, _, hi = text.partition("..")
    lo, hi = specs.normalize(lo or specs.versions()[0]), specs.normalize(hi or specs.latest())
    for v in (lo, hi):
        specs.load(v)
    if specs.compare(lo, hi) > 0:
        raise ValueError(f"empty range {text!r}: {lo} is newer than {hi}")
    return [v for v in specs.versions() if specs.compare(lo, v) <= 0 <= specs.compare(hi, v)]


def parse(text: str) -> list[Target]:
    """The targets of a VERSIONS argument, in the order given, duplicates dropped."""
    out: dict[tuple[str, str, str], Target] = {}
    engines = False
    items = [item.strip() for item in text.split(",")]
    if not any(items):
        raise ValueError("--server-version needs at least one version")
    for item in items:
        if not item:
            continue
        if item.startswith("engine:"):
            engines, item = True, item[len("engine:"):].strip()
        try:
            if engines:
                found = [for_engine(item)]
            elif item == "all":
                found = [for_api(v) for v in specs.versions()]
            elif item == "latest":
                found = [for_api(specs.latest())]
            elif ".." in item:
                found = [for_api(v) for v in _range(item)]
            else:
                found = [for_api(item)]
        except (specs.InvalidVersion, specs.UnknownVersion) as exc:
            raise ValueError(f"--server-version {text!r}: {exc}") from None
        for t in found:
            out.setdefault((t.api, t.min_api, t.engine), t)
    return list(out.values())
