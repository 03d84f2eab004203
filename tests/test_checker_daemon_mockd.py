"""apicheck against mockd: mockd conforms to its own documents, and differs from dockerd only deliberately.

- ``apicheck daemon`` and ``apicheck daemon --write`` find no genuine departure (warning or error) on a default
  mockd (API 1.56) checked at 1.25, 1.41, 1.44, 1.52 and 1.56, nor on ``mockd --api-version 1.41`` at 1.41.
  Fields a 1.56 daemon sends that the requested version's document lacks but a newer one defines are the
  newer-server hazard (``newer-field``), reported in their own group: the tests check that they are found
  where expected and that the impersonating 1.41 daemon has none.
- ``apicheck compare`` of dockerd 20.10 (reference) and ``mockd --api-version 1.41`` on the bundled workflow:
  every difference is listed, with its reason, in ``checker/data/mockd_deliberate_differences.yaml``
  (also documented in docs/mockd.md).
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from checker.compare.compare import Difference
from checker.compare.run import run_compare
from checker.daemon.run import DaemonOptions, DaemonRun, run_daemon_check
from checker.daemon.write import LABEL
from mockd.pytest_plugin import MockdServer
from tests.realdaemons import Daemon, import_busybox

VERSIONS = ("1.25", "1.41", "1.44", "1.52", "1.56")
DELIBERATE = Path(__file__).resolve().parent.parent / "checker" / "data" / "mockd_deliberate_differences.yaml"


def departures(run: DaemonRun, mode: str) -> list[str]:
    """Genuine departures (warning or error) as "kind METHOD /path name: detail"; the write mode counts only
    what the write probe itself saw (the read-only part is the other test's)."""
    stages = ("write",) if mode == "write" else ("probe", "negotiation")
    return sorted(f"{f.kind} {f.method} {f.path} {f.name}: {f.detail[:160]}" for f in run.genuine
                  if f.severity != "info" and f.extra.get("stage", "probe") in stages)


def _server(args: list[str]) -> Iterator[MockdServer]:
    server = MockdServer(args)
    server.start()
    try:
        import_busybox(server.socket)
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def mockd_156() -> Iterator[MockdServer]:
    """A default mockd (its newest API, 1.56), shared by the probes at every version."""
    yield from _server([])


@pytest.fixture(scope="module")
def mockd_141() -> Iterator[MockdServer]:
    """mockd impersonating dockerd 20.10 (API 1.41)."""
    yield from _server(["--api-version", "1.41"])


def _newer(run: DaemonRun) -> set[str]:
    return {f"{f.path} {f.name}" for f in run.newer}


@pytest.mark.parametrize("version", VERSIONS)
def test_readonly_probe_against_mockd(mockd_156: MockdServer, version: str) -> None:
    run = run_daemon_check(DaemonOptions(host=mockd_156.host, api_version=version, sweep=False))
    hs = run.handshake
    assert (hs.product, hs.max_version, hs.used_version) == ("mockd", "1.56", version)
    assert not [f for f in run.findings if f.kind == "transport-error"]
    assert sum(1 for p in run.probed if p.status == 200) >= 10
    assert departures(run, "read") == [], f"mockd departs from its {version} document"
    newer = _newer(run)
    if version == "1.41":
        # Defined from 1.43/1.46/1.48: a 1.56 daemon sends them to a 1.41 client (as dockerd 25+ does).
        assert {"/info Containerd", "/images/json Descriptor", "/networks EnableIPv4"} <= newer, sorted(newer)
    if version == "1.56":
        assert newer == set()
    assert all(f.hazard == "newer-server" and f.severity == "info" for f in run.newer)


@pytest.mark.parametrize("version", VERSIONS)
def test_write_probe_against_mockd(mockd_156: MockdServer, version: str) -> None:
    run = run_daemon_check(DaemonOptions(host=mockd_156.host, api_version=version, sweep=False, write=True))
    assert run.write is not None
    assert run.write.leftovers == [] and run.write.cleanup_errors == []
    assert len(run.write.caller.results) >= 20
    status, _, body = mockd_156.request("GET", "/containers/json?all=1")
    assert status == 200 and LABEL.encode() not in body
    assert departures(run, "write") == [], f"mockd departs from its {version} document"
    if version == "1.41":
        newer = _newer(run)
        assert "/containers/{id}/json NetworkSettings.Networks.GwPriority" in newer, sorted(newer)


@pytest.mark.parametrize("write", [False, True], ids=["read", "write"])
def test_mockd_impersonating_dockerd_20_10(mockd_141: MockdServer, write: bool) -> None:
    """A 1.41 daemon only sends what the 1.41 document defines: nothing newer, nothing undocumented."""
    run = run_daemon_check(DaemonOptions(host=mockd_141.host, sweep=False, write=write))
    assert (run.handshake.max_version, run.handshake.used_version) == ("1.41", "1.41")
    assert departures(run, "write" if write else "read") == []
    assert run.newer == []
    assert not [f for f in run.findings if f.kind == "undocumented-field"]


# --- fidelity to the real dockerd -------------------------------------------------------------------------


def deliberate_differences() -> list[dict[str, str]]:
    entries = yaml.safe_load(DELIBERATE.read_text())
    for e in entries:
        assert e.get("what") and e.get("reason"), e
    return entries


def _explained(d: Difference, entries: list[dict[str, str]]) -> bool:
    return any(fnmatch.fnmatchcase(d.step, e.get("step", "*")) and d.what == e["what"]
               and fnmatch.fnmatchcase(d.name, e.get("name", "*")) for e in entries)


def test_deliberate_differences_are_specific() -> None:
    """No catch-all entry: each names what differs (a field, or the one step whose text differs)."""
    for e in deliberate_differences():
        assert e["what"] in ("nullability", "missing-key", "extra-key", "error-text", "type", "status", "header"), e
        assert e.get("name", "*") not in ("*", "**") or e.get("step", "*") != "*", e
    assert not _explained(Difference("container inspect", "extra-key", "HostConfig.Annotations", "-", "null"),
                          deliberate_differences())


@pytest.mark.realdaemon
def test_compare_mockd_with_the_real_dockerd(real_dockerd: Daemon, mockd_141: MockdServer) -> None:
    """The fidelity measure: the bundled workflow at 1.41 against dockerd (reference) and mockd."""
    import_busybox(real_dockerd)
    result = run_compare(real_dockerd.host, mockd_141.host, api_version="1.41")
    assert result.candidate.product == "mockd" and result.reference.product == "Docker"
    assert all(r.response is not None for r in result.reference_run.results), "the workflow must run on dockerd"
    print(f"\n{len(result.differences)} differences (reference dockerd / candidate mockd):")
    print("\n".join(d.line() for d in result.differences))
    steps = {s.name for s in result.workflow.steps}
    assert all(d.step in steps and d.reference != d.candidate for d in result.differences)
    entries = deliberate_differences()
    unexplained = [d.line() for d in result.differences if not _explained(d, entries)]
    assert unexplained == [], "differences from dockerd that are neither fixed nor documented as deliberate"


def _measure() -> dict[str, Any]:
    """Today's figures per version and mode (genuine departures, newer-than-requested fields, looseness)."""
    out: dict[str, Any] = {}
    for args, versions in (([], VERSIONS), (["--api-version", "1.41"], ("1.41",))):
        for server in _server(args):
            for version in versions:
                for mode in ("read", "write"):
                    run = run_daemon_check(DaemonOptions(host=server.host, api_version=version, sweep=False,
                                                         write=mode == "write"))
                    sent = [p for p in run.probed if p.status is not None]
                    key = f"max {run.handshake.max_version} at {version} {mode}"
                    out[key] = {
                        "requests": len(sent) + (len(run.write.caller.results) if run.write else 0),
                        "genuine": len(departures(run, mode)),
                        "genuine_info": sum(1 for f in run.genuine if f.severity == "info"),
                        "newer": len(run.newer), "looseness": len(run.looseness),
                    }
    return out


if __name__ == "__main__":  # python -m tests.test_checker_daemon_mockd: print today's figures
    import json

    print(json.dumps(_measure(), indent=1))
