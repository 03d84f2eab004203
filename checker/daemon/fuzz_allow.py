"""The 5xx answers dockerd itself gives, as data (``checker/data/fuzz_server_errors.yaml``).

Fuzzing a daemon with every operation meets server errors that are dockerd's own way of answering: 503
from swarm endpoints outside a swarm, 500 from a Go JSON error in ``filters``, 500 when an import URL
cannot be fetched. Each entry of the file names one such answer (method, path template, status, a
regular expression the error message matches, optionally the API versions) and *why* dockerd gives
it; a 5xx that no entry allows is a finding of severity error. An entry without a reason is refused.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

import specs

DEFAULT_FILE = Path(__file__).resolve().parent.parent / "data" / "fuzz_server_errors.yaml"


class AllowListError(ValueError):
    pass


@dataclass(frozen=True)
class Allowed:
    """One 5xx dockerd gives: where (``method`` and ``path`` are fnmatch patterns, ``path`` one or a list), which ``status``, a
    ``message`` regular expression (searched in the error message), the ``versions`` range (``A..B``,
    either end open), a ``query`` parameter the request carried, and the ``reason``."""

    path: tuple[str, ...]
    status: int
    reason: str
    method: str = "*"
    message: str = ""
    versions: str = ""
    query: str = ""  # a query parameter the request must carry (``filters``: the 500 is filters.FromJSON's)
    source: str = ""  # where it was measured or read (dockerd 20.10 here, moby's source for newer)

    @classmethod
    def from_dict(cls, data: Any) -> Allowed:
        if not isinstance(data, dict):
            raise AllowListError(f"an entry must be a mapping: {data!r}")
        unknown = set(data) - set(cls.__dataclass_fields__)
        if unknown:
            raise AllowListError(f"unknown keys {sorted(unknown)} in {data!r}")
        if not str(data.get("reason") or "").strip():
            raise AllowListError(f"an entry needs a reason: {data!r}")
        if not data.get("path") or not isinstance(data.get("status"), int) or data["status"] < 500:
            raise AllowListError(f"an entry needs a path and a 5xx status: {data!r}")
        paths = data["path"] if isinstance(data["path"], list) else [data["path"]]
        entry = cls(**{k: (v if k == "status" else str(v)) for k, v in data.items() if k != "path"},
                    path=tuple(str(p) for p in paths))
        try:
            re.compile(entry.message)
        except re.error as exc:
            raise AllowListError(f"message {entry.message!r} is not a regular expression: {exc}") from None
        return entry

    def in_versions(self, version: str) -> bool:
        if not self.versions:
            return True
        low, _, high = self.versions.partition("..")
        if not _:
            return specs.compare(version, low) == 0
        return (not low or specs.compare(version, low) >= 0) and (not high or specs.compare(version, high) <= 0)

    def allows(self, version: str, method: str, path: str, status: int, message: str, query: Any = ()) -> bool:
        return (status == self.status and (not self.query or self.query in query) and fnmatch.fnmatchcase(method, self.method)
                and any(fnmatch.fnmatchcase(path, p) for p in self.path) and self.in_versions(version)
                and re.search(self.message, message) is not None)


@dataclass(frozen=True)
class AllowList:
    entries: tuple[Allowed, ...] = ()

    @classmethod
    def load(cls, path: str | Path | None = None) -> AllowList:
        data = yaml.safe_load(Path(path or DEFAULT_FILE).read_text(encoding="utf-8")) or []
        if not isinstance(data, list):
            raise AllowListError(f"{path or DEFAULT_FILE}: a list of entries expected")
        return cls(tuple(Allowed.from_dict(item) for item in data))

    def reason_for(self, version: str, method: str, path: str, status: int, message: str,
                   query: Any = ()) -> str | None:
        """The reason dockerd gives this 5xx too, or None when no entry allows it (``query``: the names of
        the query parameters sent)."""
        for entry in self.entries:
            if entry.allows(version, method, path, status, message, query):
                return entry.reason
        return None
