"""apicheck matrix: every client x daemon cell agrees with apicheck skew for that pairing."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

import specs
from checker.cli import main
from checker.matrix import build
from checker.rules import CHANGES
from checker.skew import skew


@pytest.fixture(scope="module")
def small():
    return build("1.40", "1.45")


def test_matrix_covers_every_pair(small) -> None:
    assert small.versions == ["1.40", "1.41", "1.42", "1.43", "1.44", "1.45"]
    assert len(small.cells) == 36
    assert all(not small.cells[(v, v)].items for v in small.versions)


@pytest.mark.parametrize("client,server", [("1.44", "1.42"), ("1.42", "1.44"), ("1.40", "1.45"), ("1.45", "1.40"), ("1.43", "1.44")])
def test_cells_match_skew(small, client: str, server: str) -> None:
    """Cells are composed from the cached adjacent timeline; skew computes the pair directly."""
    cell = small.cells[(client, server)]
    direct = skew(client, server)
    assert len(cell.items) == len(direct)
    assert cell.by_kind == Counter(f.kind if f.kind in CHANGES else "behaviour" for f in direct)
    assert cell.by_severity == Counter(f.severity for f in direct)
    rows = {(small.items[i][0], small.items[i][1], small.items[i][3]) for i in cell.items}
    assert rows == {(f.method, f.path, f.kind) for f in direct}


def test_matrix_json_and_text(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["matrix", "--min", "1.42", "--max", "1.44", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["versions"] == ["1.42", "1.43", "1.44"]
    cells = {(c["client"], c["server"]): c for c in data["cells"]}
    assert cells[("1.44", "1.42")]["direction"] == "newer-client" and cells[("1.42", "1.44")]["direction"] == "newer-server"
    assert cells[("1.42", "1.44")]["by_kind"]["removed"] >= 3  # VirtualSize x3
    assert cells[("1.43", "1.43")]["total"] == 0
    assert main(["matrix", "--min", "1.42", "--max", "1.44"]) == 0
    text = capsys.readouterr().out
    assert text.splitlines()[1].split() == ["1.42", "1.43", "1.44"]
    out = tmp_path / "m.html"
    assert main(["matrix", "--min", "1.42", "--max", "1.44", "--html", str(out)]) == 0
    page = out.read_text()
    assert page.startswith("<!doctype html>") and "matrix-data" in page and "<script src" not in page


def test_matrix_takes_a_users_spec_file(tmp_path: Path) -> None:
    """A file declaring 1.44 sits next to 1.44 and has the same hazards against 1.43."""
    mine = tmp_path / "mine.json.gz"
    mine.write_bytes((specs.SPEC_DIR / "v1.44.json.gz").read_bytes())
    m = build("1.43", "1.44", spec_files=[str(mine)])
    assert m.versions == ["1.43", "1.44", "1.44 (mine.json.gz)"]
    for other in ("1.43",):
        assert len(m.cells[("1.44 (mine.json.gz)", other)].items) == len(m.cells[("1.44", other)].items) > 0
        assert len(m.cells[(other, "1.44 (mine.json.gz)")].items) == len(m.cells[(other, "1.44")].items) > 0
    assert not m.cells[("1.44", "1.44 (mine.json.gz)")].items
    assert main(["matrix", "--min", "1.43", "--max", "1.44", "--spec", str(mine), "--format", "json"]) == 0
