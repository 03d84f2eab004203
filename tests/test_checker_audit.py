"""Regression tests for the bugs found by the apicheck audit (error messages, report wording, layout)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from checker.cli import main
from checker.flatten import view_for
from checker.report import text
from checker.report.common import version_ranges
from checker.skew import skew
from specs.findings import Finding

# --- a missing spec file is named as such, not as a bad version --------------------------------------


def test_missing_spec_file_is_reported_as_a_missing_file(tmp_path: Path) -> None:
    missing = tmp_path / "mine.yaml"
    with pytest.raises(FileNotFoundError, match="no such spec file"):
        view_for(str(missing))
    with pytest.raises(FileNotFoundError, match="no such spec file"):
        view_for("mine.json")  # no separator, but a document suffix: meant as a file
    with pytest.raises(IsADirectoryError, match="is a directory"):
        view_for(str(tmp_path))


@pytest.mark.parametrize("argv", [
    ["diff", "{missing}", "1.40"],
    ["skew", "--client", "{missing}", "--server", "1.41"],
    ["diff", "{dir}", "1.40"],
])
def test_cli_names_the_missing_file_and_exits_2(argv: list[str], tmp_path: Path, capsys) -> None:
    args = [a.format(missing=tmp_path / "nope.yaml", dir=tmp_path) for a in argv]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "invalid API version" not in err and "Traceback" not in err
    assert "no such spec file" in err or "is a directory" in err


def test_a_mistyped_version_is_still_a_bad_version(capsys) -> None:
    assert main(["diff", "1.4x", "1.40"]) == 2
    assert "invalid API version '1.4x'" in capsys.readouterr().err


# --- matrix page: the sentence matches the row order --------------------------------------------------


def test_matrix_page_explains_the_diagonal_as_drawn(tmp_path: Path) -> None:
    out = tmp_path / "m.html"
    assert main(["matrix", "--min", "1.40", "--max", "1.44", "--html", str(out)]) == 0
    html = out.read_text()
    rows = re.findall(r"<tr><th scope=row>([0-9.]+)</th>", html)
    assert rows == ["1.44", "1.43", "1.42", "1.41", "1.40"]  # newest client on top ...
    # ... so the newer-client cells (row > column) are above the diagonal, at the top left.
    assert "above the diagonal (top left) the client is newer" in html
    assert "Below the diagonal the client is newer" not in html


# --- daemon reports: which probed versions a finding stands for ------------------------------------


def test_version_ranges_collapse_runs() -> None:
    assert version_ranges(["1.25", "1.26", "1.27", "1.30", "1.31", "1.41"]) == "1.25-1.27, 1.30-1.31, 1.41"
    assert version_ranges(["1.41", "1.25"]) == "1.25, 1.41"
    assert version_ranges([]) == ""


def test_text_line_names_the_versions_a_daemon_finding_was_seen_at() -> None:
    f = Finding(kind="null-value", severity="info", api_version="1.41", method="GET", path="/info",
                location="response", name="Warnings", detail="null is not of type \"array\"",
                source="wire-profile", extra={"versions": ["1.35", "1.36", "1.37", "1.41"]})
    out = text.render([f], title="t")
    assert "(at 1.35-1.37, 1.41)" in out
    plain = Finding(kind="added", severity="info", api_version="1.41", method="GET", path="/info",
                    location="response", name="X", detail={"before": None, "after": {"type": "string"}})
    assert "(at " not in text.render([plain], title="t")


def test_daemon_summary_collapses_the_swept_versions() -> None:
    from checker.daemon.handshake import Handshake
    from checker.daemon.run import DaemonRun

    hs = Handshake("Docker", "20.10", "1.41", "1.12", "1.41", "1.41")
    run = DaemonRun(hs, swept=[f"1.{n}" for n in range(25, 41)])
    rows = dict(run.summary_rows())
    assert rows["versions swept"] == "1.25-1.40"


# --- skew: endpoints are called, not sent -------------------------------------------------------------


def test_skew_phrases_a_missing_endpoint_as_a_404() -> None:
    items = [f for f in skew("1.42", "1.41", behaviour=False)
             if f.location == "endpoint" and f.path == "/volumes/{name}" and f.method == "PUT"]
    assert len(items) == 1
    msg = items[0].extra["message"]
    assert msg == "client 1.42 may call PUT /volumes/{name}, which daemon 1.41 does not have (404)"
    # The older client on the newer daemon is not hurt by an added endpoint.
    assert not [f for f in skew("1.41", "1.42", behaviour=False)
                if f.location == "endpoint" and f.path == "/volumes/{name}" and f.method == "PUT"]


@pytest.mark.browser
@pytest.mark.slow
async def test_matrix_page_does_not_overflow_a_1400px_window(tmp_path: Path) -> None:
    """The full grid plus the list panel used to be wider than 1400 px: the page scrolled sideways and
    the panel was cut off. The grid now scrolls inside its own card."""
    from tests.test_checker_matrix_browser import chromium

    out = tmp_path / "matrix.html"
    assert main(["matrix", "--html", str(out)]) == 0
    async with chromium(tmp_path) as page:
        await page.send("Page.enable")
        await page.send("Emulation.setDeviceMetricsOverride", width=1400, height=1000, deviceScaleFactor=1, mobile=False)
        await page.send("Page.navigate", url=out.as_uri())
        await page.wait_event("Page.loadEventFired")
        overflow = await page.eval("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0
        right = await page.eval("document.getElementById('panel').getBoundingClientRect().right")
        assert right <= 1400


def test_matrix_refuses_reversed_bounds(capsys):
    from checker.cli import main

    assert main(["matrix", "--min", "1.50", "--max", "1.30"]) == 2
    assert "--min 1.50 is newer than --max 1.30" in capsys.readouterr().err
