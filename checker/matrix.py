"""``apicheck matrix``: every client x daemon pair of bundled versions, hazards counted by kind.

The matrix reuses the timeline of adjacent diffs (``checker.diff.timeline``): each pair compares
only the keys that ever change, and each unordered pair is computed once and read in both
directions (newer client / newer daemon).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import specs
from checker import diff as diffmod
from checker import skew as skewmod
from checker.flatten import View, view_for
from checker.report.common import detail_text, where
from specs.findings import Finding

KINDS = (*diffmod.rules.CHANGES, "behaviour")


@dataclass
class Cell:
    client: str
    server: str
    direction: str = "same"  # newer-client, newer-server or same
    items: list[int] = field(default_factory=list)  # indexes into Matrix.items
    by_kind: Counter = field(default_factory=Counter)
    by_severity: Counter = field(default_factory=Counter)


@dataclass
class Matrix:
    versions: list[str]  # labels: bundled versions, and spec files by the version they declare
    cells: dict[tuple[str, str], Cell]
    # Distinct hazards: (method, path, where, kind, severity, text, source)
    items: list[tuple[str, str, str, str, str, str, str]]
    # The heatmap is reused for other row sets (apicheck client: one row per client): rows, the
    # kind filters and the page's explanation then come from here.
    rows: list[str] | None = None
    kinds: tuple[str, ...] | None = None
    description: str | None = None
    kinds_off: tuple[str, ...] = ()  # kind filters unticked when the page opens

    def to_json(self) -> dict[str, Any]:
        return {
            "versions": self.versions,
            "cells": [
                {"client": c.client, "server": c.server, "direction": c.direction, "total": len(c.items),
                 "by_kind": dict(sorted(c.by_kind.items())), "by_severity": dict(sorted(c.by_severity.items()))}
                for c in self.cells.values()
            ],
        }


def _kind(kind: str) -> str:
    return kind if kind in diffmod.rules.CHANGES else "behaviour"


@dataclass
class _Entry:
    label: str
    version: str  # the API version it declares (orders the axis, picks changelog facts)
    view: View
    index: int | None  # timeline index of a bundled version


def _file_entry(path: str, taken: set[str]) -> _Entry:
    view = view_for(path)
    try:
        version = specs.normalize(view.version)
    except specs.InvalidVersion:
        raise ValueError(f"{path}: the document declares no API version (info.version)") from None
    label = version if version not in taken else f"{version} ({Path(path).name})"
    return _Entry(label, version, view, None)


def build(min_version: str | None = None, max_version: str | None = None, behaviour: bool = True,
          spec_files: Sequence[str] = ()) -> Matrix:
    """Every pairing of the bundled versions between ``min_version`` and ``max_version``, and of
    the given spec files (placed on the axis by the version they declare)."""
    tl = diffmod.timeline()
    lo = tl.index(min_version) if min_version else 0
    hi = tl.index(max_version) if max_version else len(tl.versions) - 1
    if lo > hi:
        lo, hi = hi, lo
    entries = [_Entry(v, v, tl.views[i], i) for i, v in enumerate(tl.versions) if lo <= i <= hi]
    for path in spec_files:
        entries.append(_file_entry(path, {e.label for e in entries}))
    entries.sort(key=lambda e: (specs.version_key(e.version), e.index is None))
    versions = [e.label for e in entries]
    cells = {(c.label, s.label): Cell(c.label, s.label) for c in entries for s in entries}
    items: list[tuple[str, str, str, str, str, str, str]] = []
    index: dict[tuple, int] = {}
    texts: dict[tuple, tuple[str, str]] = {}

    def add(cell: Cell, ident: tuple, make) -> None:
        n = index.get(ident)
        if n is None:
            n = index[ident] = len(items)
            items.append(make())
        cell.items.append(n)
        row = items[n]
        cell.by_kind[_kind(row[3])] += 1
        cell.by_severity[row[4]] += 1

    # Per Change: the item numbers it adds to the newer-client cell and to the newer-server cell, worked out
    # on its first pairing. Keyed by the object (kept alive here): pairs share their Change objects.
    plans: dict[int, tuple[diffmod.Change, tuple[int, ...], tuple[int, ...]]] = {}

    def plan_of(ch: diffmod.Change, older: _Entry, newer: _Entry) -> tuple[diffmod.Change, tuple[int, ...], tuple[int, ...]]:
        tk = (ch.key, ch.change, id(ch.detail), ch.fields)
        if tk not in texts:
            f = diffmod.to_finding(ch, older.version, newer.version)
            texts[tk] = (where(f), detail_text(f))
        w, text = texts[tk]
        to_client: list[int] = []
        to_server: list[int] = []
        for direction, severity in ch.effects.items():
            ident = (*tk, severity)
            n = index.get(ident)
            if n is None:
                n = index[ident] = len(items)
                items.append((ch.key.method, ch.key.path, w, ch.change, severity, text, "spec"))
            (to_client if direction == "newer-client" else to_server).append(n)
        return ch, tuple(to_client), tuple(to_server)

    kinds: list[str] = []  # per item number: its kind and severity (the cells' counters)
    severities: list[str] = []
    for a, older in enumerate(entries):
        for newer in entries[a + 1:]:
            if specs.compare(older.version, newer.version) == 0 and older.index is not None and newer.index is not None:
                continue
            to_client = cells[(newer.label, older.label)]
            to_server = cells[(older.label, newer.label)]
            to_client.direction = "newer-client"
            to_server.direction = "newer-server"
            if older.index is not None and newer.index is not None:
                changes = diffmod.pair_changes(older.index, newer.index)
            else:
                changes = diffmod.compare_views(older.view, newer.view)
            client_items, server_items = to_client.items, to_server.items
            for ch in changes:
                known = plans.get(id(ch))
                if known is None or known[0] is not ch:
                    known = plans[id(ch)] = plan_of(ch, older, newer)
                client_items += known[1]
                server_items += known[2]
            for row in items[len(kinds):]:
                kinds.append(_kind(row[3]))
                severities.append(row[4])
            for cell in (to_client, to_server):
                # Counting the finished list in order gives the counters the same keys in the same order.
                cell.by_kind.update(map(kinds.__getitem__, cell.items))
                cell.by_severity.update(map(severities.__getitem__, cell.items))
    if behaviour:
        for c in entries:
            for s in entries:
                if specs.compare(c.version, s.version) == 0:
                    continue
                for f in skewmod.behaviour_hazards(c.version, s.version):
                    add(cells[(c.label, s.label)], ("changelog", f.method, f.path, f.name, f.extra["changed_in"], f.detail),
                        lambda f=f: _row(f))
    return Matrix(versions, cells, items)


def _row(f: Finding) -> tuple[str, str, str, str, str, str, str]:
    return (f.method, f.path, where(f), f.kind, f.severity, f.extra.get("message", str(f.detail)), f.source)
