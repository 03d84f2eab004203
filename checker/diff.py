"""``apicheck diff``: every change between two API versions, one Finding per (endpoint, field, change).

Two views are compared key by key (see ``checker.flatten``). For bundled versions the timeline of
adjacent diffs is built once per process: only keys that change somewhere in 1.25..1.56 need to be
looked at for any pair, and each item of a non-adjacent pair carries its history
(``[{version, change}]``), so a deprecate-then-remove sequence is never lost.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import specs
from checker import rules
from checker.flatten import Key, Rec, View, parent_key, view_for
from specs.findings import SEVERITY_RANK, Finding

LOCATION_ORDER = {loc: i for i, loc in enumerate(("endpoint", "path", "query", "header", "body", "response", "response-header"))}
CHANGE_ORDER = {c: i for i, c in enumerate(rules.CHANGES)}


@dataclass(frozen=True)
class Change:
    """One change of one key, before it becomes a Finding (cheap to keep for the whole matrix)."""

    key: Key
    change: str
    detail: dict
    effects: dict[str, str]  # direction -> severity
    fields: tuple[str, ...] = ()  # added/removed sub-fields folded into this item


@dataclass
class Timeline:
    """Adjacent diffs of the bundled versions: which keys ever change, and when."""

    versions: list[str]
    views: list[View]
    changing: list[Key] = field(default_factory=list)
    events: dict[Key, list[tuple[int, str]]] = field(default_factory=dict)  # key -> [(version index, change)]

    def index(self, version: str) -> int:
        return self.versions.index(specs.normalize(version))

    def history(self, key: Key, i: int, j: int) -> list[dict[str, str]]:
        lo, hi = (i, j) if i < j else (j, i)
        steps = [(idx, ch) for idx, ch in self.events.get(key, ()) if lo < idx <= hi]
        if i > j:  # walking backwards: undo the changes, newest first
            undo = {"added": "removed", "removed": "added"}
            return [{"version": self.versions[idx - 1], "change": undo.get(ch, ch)} for idx, ch in reversed(steps)]
        return [{"version": self.versions[idx], "change": ch} for idx, ch in steps]


@lru_cache(maxsize=1)
def timeline() -> Timeline:
    versions = specs.versions()
    views = [view_for(v) for v in versions]
    tl = Timeline(versions, views)
    changing: dict[Key, None] = {}
    for idx in range(1, len(views)):
        a, b = views[idx - 1].recs, views[idx].recs
        for key in _differing(a, b):
            changing[key] = None
            for change, _detail in _cached_changes(a.get(key), b.get(key)):
                tl.events.setdefault(key, []).append((idx, change))
    tl.changing = list(changing)
    return tl


def _differing(a: dict[Key, Rec], b: dict[Key, Rec]) -> Iterable[Key]:
    for key, rec in a.items():
        if b.get(key) != rec:
            yield key
    for key in b.keys() - a.keys():
        yield key


@lru_cache(maxsize=200_000)
def _cached_changes(a: Rec | None, b: Rec | None) -> tuple[tuple[str, dict], ...]:
    # Records repeat across versions and pairs: compare each distinct pair once.
    return tuple(rules.changes(a, b))


def compare_views(a: View, b: View, keys: Iterable[Key] | None = None, reverse: bool = False) -> list[Change]:
    """The changes from view ``a`` to view ``b`` (``keys``: the only keys that can differ, if known).

    ``reverse``: ``b`` is the older version, so the two hazard directions swap.
    """
    ra, rb = a.recs, b.recs
    found: dict[Key, list[Change]] = {}
    folded: dict[Key, list[str]] = {}
    for key in (keys if keys is not None else _differing(ra, rb)):
        before, after = ra.get(key), rb.get(key)
        if before == after:
            continue
        if before is None or after is None:
            # An added (removed) field whose parent is added (removed) too is part of the parent's item.
            side, other = (ra, rb) if before is None else (rb, ra)
            top = _top_absent(key, side, other)
            if top is not None:
                if top.location != "endpoint":
                    folded.setdefault(top, []).append(key.name)
                continue
        for change, detail in _cached_changes(before, after):
            effects = rules.effects_of(change, key.location, key.name, detail)
            if reverse:
                effects = {_swap(d): s for d, s in effects.items()}
            found.setdefault(key, []).append(Change(key, change, detail, effects))
    out: list[Change] = []
    for key, items in found.items():
        extra = folded.get(key)
        for item in items:
            if extra and item.change in ("added", "removed"):
                item = Change(item.key, item.change, item.detail, item.effects, tuple(sorted(extra)))
            out.append(item)
    out.sort(key=_order)
    return out


def _swap(direction: str) -> str:
    return "newer-server" if direction == "newer-client" else "newer-client"


def _top_absent(key: Key, side: dict[Key, Rec], other: dict[Key, Rec]) -> Key | None:
    """The outermost ancestor missing from ``side`` (and present in ``other``), or None."""
    top = None
    parent = parent_key(key)
    while parent is not None and parent not in side and parent in other:
        top = parent
        parent = parent_key(parent)
    return top


def _order(c: Change) -> tuple:
    k = c.key
    return (k.path, k.method, LOCATION_ORDER.get(k.location, 9), k.status, k.name, CHANGE_ORDER.get(c.change, 9))


def to_finding(c: Change, from_v: str, to_v: str, origin_view: View | None = None,
               history: list[dict[str, str]] | None = None) -> Finding:
    severity = max(c.effects.values(), key=SEVERITY_RANK.__getitem__, default="info")
    extra: dict = {"from": from_v, "to": to_v}
    if c.key.status:
        extra["status"] = c.key.status
    if origin_view is not None:
        origin = origin_view.origins.get(c.key)
        if origin is not None:
            extra["schema"] = origin.schema
            extra["schema_path"] = origin.path
    if c.fields:
        extra["fields"] = list(c.fields)
    extra["effects"] = dict(c.effects)
    if history is not None:
        extra["history"] = history
    return Finding(
        kind=c.change, severity=severity, api_version=to_v, method=c.key.method, path=c.key.path,
        location=c.key.location, name=c.key.name, detail=c.detail, source="spec",
        hazard=rules.hazard_label(c.effects), extra=extra,  # type: ignore[arg-type]
    )


def _bundled(ref: str | Path) -> str | None:
    try:
        version = specs.normalize(str(ref))
    except specs.InvalidVersion:
        return None
    return version if version in specs.versions() else None


def diff(from_ref: str | Path, to_ref: str | Path) -> list[Finding]:
    """Every change from one version (or spec file) to another, as Findings."""
    va, vb = view_for(from_ref), view_for(to_ref)
    fa, fb = _bundled(from_ref), _bundled(to_ref)
    from_v, to_v = va.version, vb.version
    if fa and fb:
        tl = timeline()
        i, j = tl.index(fa), tl.index(fb)
        reverse = i > j
        changes = compare_views(va, vb, tl.changing, reverse=reverse)
        adjacent = abs(i - j) == 1
        return [
            to_finding(c, from_v, to_v, vb if c.change != "removed" else va,
                       None if adjacent else tl.history(c.key, i, j))
            for c in changes
        ]
    changes = compare_views(va, vb)
    return [to_finding(c, from_v, to_v, vb if c.change != "removed" else va) for c in changes]


@lru_cache(maxsize=2048)
def pair_changes(i: int, j: int) -> list[Change]:
    """Changes between bundled versions by timeline index (cached per process for the matrix).

    The same answer as ``compare_views(views[i], views[j], changing, reverse=i > j)``, computed from the
    timeline's per-key table: a key's contribution to a pair depends only on its state (record, and which
    of its ancestors exist) at the two versions, and each key has few distinct states, so it is worked out
    once per (key, state, state) and reused by every pair with those states."""
    contributions = _forward_pairs()[(i, j)] if i < j else _pair_contributions(i, j)
    folded: dict[Key, list[str]] = {}
    for key, changes, top in contributions:
        if not changes:
            folded.setdefault(top, []).append(key.name)  # type: ignore[arg-type]
    if not folded:
        return [c for _key, changes, _top in contributions for c in changes]
    out: list[Change] = []
    for key, changes, _top in contributions:
        extra = folded.get(key)
        if extra:
            fields = tuple(sorted(extra))
            out += [Change(c.key, c.change, c.detail, c.effects, fields) if c.change in ("added", "removed") else c
                    for c in changes]
        else:
            out += changes
    return out


_Contribution = tuple[Key, tuple[Change, ...], Key | None]  # a key's changes, or the ancestor it folds into


def _contributes(result: tuple[tuple[Change, ...], Key | None]) -> bool:
    changes, top = result
    return bool(changes) or (top is not None and top.location != "endpoint")


@lru_cache(maxsize=1)
def _forward_pairs() -> dict[tuple[int, int], list[_Contribution]]:
    """Every pair (older, newer) of the timeline at once, key by key: each (state, state) of a key is worked
    out once and handed to the pairs with those states; keys that contribute nothing cost nothing further."""
    rows, _ = _pair_table()
    n = len(rows[0].states) if rows else 0
    by_older: list[list[list[_Contribution]]] = [[[] for _j in range(n)] for _i in range(n)]
    for row in rows:
        versions: dict[int, list[int]] = {}
        for t, state in enumerate(row.states):
            versions.setdefault(state, []).append(t)
        if len(versions) == 1:
            continue
        for a, olders in versions.items():
            for b, newers in versions.items():
                if a == b or newers[-1] < olders[0]:
                    continue
                result = row.results.get((a, b, False))
                if result is None:
                    i = olders[0]
                    j = next(t for t in newers if t > i) if newers[-1] > i else None
                    if j is None:
                        continue
                    result = row.results[(a, b, False)] = _key_result(row, i, j, False)
                if not _contributes(result):
                    continue
                item = (row.key, *result)
                for i in olders:
                    lists = by_older[i]
                    for j in newers:
                        if j > i:
                            lists[j].append(item)  # type: ignore[arg-type]
    return {(i, j): by_older[i][j] for i in range(n) for j in range(i + 1, n)}


def _pair_contributions(i: int, j: int) -> list[_Contribution]:
    """One pair (any direction), from the two state columns."""
    rows, columns = _pair_table()
    reverse = i > j
    si, sj = columns[i], columns[j]
    out: list[_Contribution] = []
    for n in [n for n, (a, b) in enumerate(zip(si, sj, strict=True)) if a != b]:
        row = rows[n]
        state = (si[n], sj[n], reverse)
        result = row.results.get(state)
        if result is None:
            result = row.results[state] = _key_result(row, i, j, reverse)
        if _contributes(result):
            out.append((row.key, *result))  # type: ignore[arg-type]
    return out


@dataclass
class _KeyRow:
    """One changing key across the timeline: its record and state (record + ancestors present) per version."""

    key: Key
    ancestors: tuple[Key, ...]
    recs: tuple[Rec | None, ...]
    presence: tuple[tuple[bool, ...], ...]  # per ancestor: present in each version
    states: tuple[int, ...]  # per version: an id of (record, ancestors present)
    results: dict[tuple[int, int, bool], tuple[tuple[Change, ...], Key | None]] = field(default_factory=dict)


@lru_cache(maxsize=1)
def _pair_table() -> tuple[list[_KeyRow], list[tuple[int, ...]]]:
    """The changing keys in output order (:func:`_order`), each with its per-version states; and the
    states by version (one column per version, a row's state at index n: a pair compares two columns)."""
    tl = timeline()
    rows = []
    present: dict[Key, tuple[bool, ...]] = {}  # ancestors are shared by many keys
    for key in sorted(tl.changing, key=_key_order):
        ancestors = []
        parent = parent_key(key)
        while parent is not None:
            ancestors.append(parent)
            parent = parent_key(parent)
        recs = tuple(v.recs.get(key) for v in tl.views)
        presence = []
        for ancestor in ancestors:
            known = present.get(ancestor)
            if known is None:
                known = present[ancestor] = tuple(ancestor in v.recs for v in tl.views)
            presence.append(known)
        ids: dict[tuple, int] = {}
        states = tuple(ids.setdefault(state, len(ids)) for state in zip(recs, *presence, strict=True))
        rows.append(_KeyRow(key, tuple(ancestors), recs, tuple(presence), states))
    columns = [tuple(row.states[t] for row in rows) for t in range(len(tl.views))]
    return rows, columns


def _key_result(row: _KeyRow, i: int, j: int, reverse: bool) -> tuple[tuple[Change, ...], Key | None]:
    """What ``compare_views`` does with one key of a pair: its changes (in output order), or none and the
    ancestor it is folded into (see :func:`_top_absent`)."""
    before, after = row.recs[i], row.recs[j]
    if before == after:  # another ancestor, same record: no change
        return (), None
    if before is None or after is None:
        side, other = (i, j) if before is None else (j, i)
        top = None
        for ancestor, present in zip(row.ancestors, row.presence, strict=True):
            if present[side] or not present[other]:
                break
            top = ancestor
        if top is not None:
            return (), top
    out = []
    for change, detail in _cached_changes(before, after):
        effects = rules.effects_of(change, row.key.location, row.key.name, detail)
        if reverse:
            effects = {_swap(d): s for d, s in effects.items()}
        out.append(Change(row.key, change, detail, effects))
    out.sort(key=_order)
    return tuple(out), None


def _key_order(k: Key) -> tuple:
    return (k.path, k.method, LOCATION_ORDER.get(k.location, 9), k.status, k.name)
