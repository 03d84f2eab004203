"""docs/catalog.md is what `python -m mockd.catalog_doc --write` makes of the catalog and the simulation today."""

from __future__ import annotations

import difflib

from mockd import catalog_doc


async def test_catalog_doc_is_up_to_date():
    expected = await catalog_doc.render()
    actual = catalog_doc.DOC.read_text() if catalog_doc.DOC.exists() else ""
    diff = "".join(list(difflib.unified_diff(actual.splitlines(True), expected.splitlines(True), "docs/catalog.md",
                                             "generated"))[:60])
    assert actual == expected, f"run `python -m mockd.catalog_doc --write`:\n{diff}"


def test_placeholders_cover_the_stamps_programs_log():
    lines = {
        "2026-12-03 16:41:34.045 UTC [1] LOG:  ready": "<time> [1] LOG:  ready",  # postgres
        "1:M 03 Dec 2026 16:36:23.889 * Ready": "1:M <time> * Ready",  # redis
        "[Thu Dec 03 16:51:26.784297 2026] [core:notice]": "[<time>] [core:notice]",  # apache
        "2026/12/03 16:41:34 [notice] 1#1: start": "<time> [notice] 1#1: start",  # nginx
        "time=2026-12-03T16:36:23.870Z level=INFO": "time=<time> level=INFO",  # ryuk
        "<0.505.0> node : rabbit@a0b0caef0e4f": "<pid> node : rabbit@<id>",  # rabbitmq
        "nginx/1.31.4 HTTP/1.1 200 OK": "nginx/1.31.4 HTTP/1.1 200 OK",  # versions stay
    }
    for line, shown in lines.items():
        assert catalog_doc.normalise(line) == shown
