"""The shell corpus (tests/shell_corpus/cases.yaml): every script run through mockd's built-in shell the way a
container runs `sh -c SCRIPT`, compared with what the real busybox `sh` printed when the case was recorded;
and the recorded expectations re-checked against the installed busybox, so they cannot go stale.

Cases mockd's shell still gets wrong are listed in KNOWN_DIFFERENCES with the reason; they are strict xfails,
so a fix that makes one pass must also take it off the list.
"""

from __future__ import annotations

import pytest

from tests.shell_corpus.corpus import busybox_available, load, mismatch, run_busybox, run_mockd

CASES = load()


KNOWN_DIFFERENCES: dict[str, str] = {}


def _param(case: dict):
    reason = KNOWN_DIFFERENCES.get(case["name"])
    marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
    return pytest.param(case, id=case["name"], marks=marks)


def test_corpus_is_large_and_well_formed():
    names = [c["name"] for c in CASES]
    assert len(names) == len(set(names)) and len(names) >= 120
    assert set(KNOWN_DIFFERENCES) <= set(names), set(KNOWN_DIFFERENCES) - set(names)
    assert all({"script", "stdout", "stderr", "status"} <= set(c) for c in CASES)


@pytest.mark.parametrize("case", [_param(c) for c in CASES])
def test_mockd_shell_matches_busybox(case):
    problem = mismatch(case, run_mockd(case["script"]))
    assert problem is None, problem


@pytest.mark.skipif(not busybox_available(), reason="/bin/busybox is not installed (busybox-static)")
@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_recorded_expectations_are_busyboxs(case):
    problem = mismatch(case, run_busybox(case["script"]))
    assert problem is None, f"re-record with `python -m tests.shell_corpus.record`: {problem}"
