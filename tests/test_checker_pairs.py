"""The matrix's fast pair table answers exactly what a plain key-by-key comparison of two views answers."""

from __future__ import annotations

import pytest

from checker import diff

# Adjacent, distant and reversed pairs, and pairs across the big document changes (1.25, 1.44, 1.52, 1.56).
PAIRS = [(0, 1), (1, 0), (0, 31), (31, 0), (15, 16), (16, 19), (18, 27), (27, 18), (2, 30), (26, 31), (10, 11)]


@pytest.mark.parametrize(("i", "j"), PAIRS)
def test_pair_changes_match_a_plain_comparison(i: int, j: int) -> None:
    tl = diff.timeline()
    expected = diff.compare_views(tl.views[i], tl.views[j], tl.changing, reverse=i > j)
    assert expected, "a pair without changes would prove nothing"
    assert diff.pair_changes(i, j) == expected


def test_folded_fields_survive_the_pair_table() -> None:
    # An endpoint-level addition folds its fields away; a body/response addition lists them in ``fields``.
    tl = diff.timeline()
    with_fields = [c for c in diff.pair_changes(0, 31) if c.fields]
    assert with_fields
    plain = {(c.key, c.change): c.fields for c in diff.compare_views(tl.views[0], tl.views[31], tl.changing)}
    assert all(plain[(c.key, c.change)] == c.fields for c in with_fields)
