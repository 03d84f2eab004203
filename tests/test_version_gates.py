"""The API changelog's version-gated behaviour changes (mockd/data/version_gates.csv) and mockd's rows for them.

Each line of the list is one change from 1.25 to 1.56 that no spec diff shows. Its ``behaviour`` column names
what in mockd implements it:

- ``behaviour:NAME``: a row of ``mockd.behaviours.BEHAVIOURS``; it must switch exactly at the line's version;
- ``rule:ROOT:FIELD``: a row of the serializer's ``RULES``; it must switch exactly at the line's version;
- ``n/a: why``: mockd does not simulate what the change is about;
- ``todo``: not implemented yet. Those are reported as xfail, one per line, so the gap stays visible.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

import specs
from mockd.behaviours import BEHAVIOURS, behaves
from mockd.serializer import RULES

ROOT = Path(__file__).resolve().parent.parent
GATES = ROOT / "mockd" / "data" / "version_gates.csv"
CHECKER_BEHAVIOUR = ROOT / "checker" / "data" / "changelog_behaviour.csv"
VERSIONS = specs.versions()


def read(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as fh:
        return list(csv.DictReader(fh))


ROWS = read(GATES)


def previous(version: str) -> str:
    """The API version before ``version`` (1.24 before the oldest document, 1.25)."""
    index = VERSIONS.index(version)
    return VERSIONS[index - 1] if index else "1.24"


def row_id(row: dict[str, str]) -> str:
    return f"{row['version']} {row['method']} {row['path']} {row['name'] or row['location']}"


def test_every_line_names_a_version_an_endpoint_and_a_change():
    assert len(ROWS) >= 40
    seen = set()
    for row in ROWS:
        assert row["version"] in VERSIONS, row_id(row)
        assert row["judged_by"] in ("request", "daemon"), row_id(row)
        assert row["what"] and row["change"], row_id(row)
        documented = [v for v in VERSIONS if row["method"].lower() in specs.load(v).doc["paths"].get(row["path"], {})]
        assert documented, f"{row_id(row)}: no document has this endpoint"
        key = (row["version"], row["method"], row["path"], row["location"], row["name"])
        assert key not in seen, f"listed twice: {row_id(row)}"
        seen.add(key)


def test_the_list_extends_apichecks_changelog_rows():
    """checker/data/changelog_behaviour.csv (apicheck's findings) is a subset: the two lists cannot drift."""
    gates = {(r["version"], r["method"], r["path"], r["location"], r["name"]) for r in ROWS}
    missing = [r for r in read(CHECKER_BEHAVIOUR)
               if (r["version"], r["method"], r["path"], r["location"], r["name"]) not in gates]
    assert not missing, f"apicheck knows changes this list lacks: {missing}"


def _switches_at(applies, row: dict[str, str]) -> bool:
    return applies(previous(row["version"])) != applies(row["version"])


def _params() -> list:
    params = []
    for row in ROWS:
        marks = ()
        if row["behaviour"] == "todo":
            marks = pytest.mark.xfail(reason=f"todo: mockd has no row for {row['what']}", strict=True)
        params.append(pytest.param(row, id=row_id(row), marks=marks))
    return params


@pytest.mark.parametrize("row", _params())
def test_each_gate_maps_to_a_mockd_row_that_switches_at_its_version(row):
    kind, _, ref = row["behaviour"].partition(":")
    if kind == "n/a":
        assert ref.strip(), f"{row_id(row)}: n/a needs a reason"
        return
    if kind == "behaviour":
        assert ref in BEHAVIOURS, f"{row_id(row)}: no behaviour row {ref!r}"
        daemon_judged = BEHAVIOURS[ref].judged_by == "daemon"
        assert daemon_judged == (row["judged_by"] == "daemon"), row_id(row)

        def applies(version: str) -> bool:
            # A daemon-judged row: a daemon whose newest version is `version`, asked at the oldest version.
            return behaves(ref, "1.24", version) if daemon_judged else behaves(ref, version)

        assert _switches_at(applies, row), f"{ref} does not switch at {row['version']}"
        return
    if kind == "rule":
        root, _, field = ref.partition(":")
        rules = [r for r in RULES if r.root == root and r.field == field]
        assert rules, f"{row_id(row)}: no serializer rule {ref!r}"
        assert any(_switches_at(r.applies, row) for r in rules), f"rule {ref} does not switch at {row['version']}"
        return
    pytest.fail(f"{row_id(row)}: behaviour is {row['behaviour']!r}; expected behaviour:, rule:, n/a: or todo")
