"""What the bundled documents say about one field across every version: where it exists, when it
was added, deprecated or removed (the timeline ``apicheck diff`` builds)."""

from __future__ import annotations

import csv
import json
from functools import lru_cache
from pathlib import Path
from typing import Any

import specs
from checker.diff import timeline
from checker.flatten import Key, Rec


def _index(version: str) -> int:
    """Timeline index of the document a request at ``version`` is checked against."""
    versions = timeline().versions
    best = 0
    for i, v in enumerate(versions):
        if specs.compare(v, version) <= 0:
            best = i
    return best


@lru_cache(maxsize=65536)
def presence(key: Key) -> tuple[Rec | None, ...]:
    """The field's declaration at each bundled version (None where it does not exist)."""
    return tuple(view.recs.get(key) for view in timeline().views)


def rec_at(key: Key, version: str) -> Rec | None:
    return presence(key)[_index(version)]


def added_after(key: Key, version: str) -> str | None:
    """The first version newer than ``version`` that has the field (None: no newer one)."""
    tl = timeline()
    for i in range(_index(version) + 1, len(tl.versions)):
        if presence(key)[i] is not None:
            return tl.versions[i]
    return None


def last_before(key: Key, version: str) -> str | None:
    """The newest version older than ``version`` that had the field."""
    tl = timeline()
    for i in range(_index(version) - 1, -1, -1):
        if presence(key)[i] is not None:
            return tl.versions[i]
    return None


def steps(key: Key, lo: str, hi: str) -> list[dict[str, str]]:
    """The field's changes after ``lo`` up to ``hi``: ``[{version, change}]``."""
    tl = timeline()
    return tl.history(key, _index(lo), _index(hi))


def went_away(key: Key) -> list[dict[str, str]]:
    """Every deprecation and removal of the field in the documents."""
    tl = timeline()
    steps = [h for h in tl.history(key, 0, len(tl.versions) - 1) if h["change"] in ("added", "deprecated", "removed")]
    # The first addition is the field's birth, not a going-away; a re-addition after a removal is history.
    while steps and steps[0]["change"] == "added":
        steps.pop(0)
    return steps


def phrase(history: list[dict[str, str]]) -> str:
    """``[{1.43 deprecated}, {1.44 removed}]`` -> ``deprecated in 1.43, removed in 1.44``."""
    return ", ".join(f"{h['change']} in {h['version']}" for h in history if h["change"] in ("deprecated", "removed", "added"))


def accepts(rec: Rec | None, value: Any) -> bool:
    return rec is not None and (rec.enum is None or json.dumps(value) in rec.enum)


def enum_accepted_from(key: Key, value: Any, version: str) -> str | None:
    """The first version newer than ``version`` whose enum accepts ``value``."""
    tl = timeline()
    for i in range(_index(version) + 1, len(tl.versions)):
        if accepts(presence(key)[i], value):
            return tl.versions[i]
    return None


def enum_accepted_until(key: Key, value: Any, version: str) -> str | None:
    """The newest version older than ``version`` whose enum accepted ``value``."""
    tl = timeline()
    for i in range(_index(version) - 1, -1, -1):
        if accepts(presence(key)[i], value):
            return tl.versions[i]
    return None


def endpoint_versions(method: str, path: str) -> list[str]:
    """The bundled versions whose router matches a concrete path (without prefix)."""
    return [v for v in specs.versions() if specs.load(v).match(method, path) is not None]


@lru_cache(maxsize=1)
def _documented_late() -> dict[tuple[str, str, str, str], dict[str, str]]:
    with open(Path(__file__).resolve().parent.parent / "data" / "documented_late.csv", newline="", encoding="utf-8") as fh:
        return {(r["method"], r["path"], r["location"], r["name"], r["value"]): r for r in csv.DictReader(fh)}


def documented_late(key: Key, value: Any = None) -> dict[str, str] | None:
    """A parameter, field (or enum value of one) dockerd understood before the documents list it
    (``checker/data/documented_late.csv``, each row with its evidence)."""
    return _documented_late().get((key.method, key.path, key.location, key.name, "" if value is None else str(value)))


@lru_cache(maxsize=4096)
def case_variant(key: Key, version: str) -> str | None:
    """The document's own spelling of a body field sent in another case (``detachKeys`` ->
    ``DetachKeys``), at ``version``; None when there is none."""
    from checker.flatten import view_for

    parent, _, last = key.name.rpartition(".")
    for k in view_for(timeline().versions[_index(version)]).recs:
        if (k.method, k.path, k.location, k.status) == (key.method, key.path, key.location, key.status):
            p, _, leaf = k.name.rpartition(".")
            if p == parent and leaf != last and leaf.lower() == last.lower():
                return k.name
    return None
