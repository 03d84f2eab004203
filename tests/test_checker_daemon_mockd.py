"""apicheck against mockd: the probes run cleanly, and mockd's departures from its own documents are known.

The issue's goal is that mockd shows no genuine departure at 1.25, 1.41, 1.44, 1.52 and 1.56. mockd's engine
is still being filled in, so ``KNOWN_DEPARTURES`` lists what the probes find today (reported to the mockd
engineers): a departure that is not listed fails the test (a regression, or a new finding to look at), and
a listed one that disappeared is printed so that the list can shrink.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from checker.compare.run import run_compare
from checker.daemon.run import DaemonOptions, run_daemon_check
from checker.daemon.write import LABEL
from tests.realdaemons import Daemon, import_busybox

VERSIONS = ("1.25", "1.41", "1.44", "1.52", "1.56")

# version -> mode -> "kind METHOD /path" entries (genuine departures, severity warning or error), as measured
# on mockd (generated with the probes themselves; see the report of issue 6).
KNOWN_DEPARTURES: dict[str, dict[str, set[str]]] = {
    "1.25": {
        "read": {
            "undocumented-field GET /images/json",
            "undocumented-field GET /images/{name}/json",
            "undocumented-field GET /info",
            "undocumented-field GET /networks",
            "undocumented-field GET /networks/{id}",
            "undocumented-field GET /system/df",
            "undocumented-field GET /version",
            "undocumented-status GET /nodes",
            "undocumented-status GET /secrets",
            "undocumented-status GET /services",
            "undocumented-status GET /swarm",
            "undocumented-status GET /tasks",
        },
        "write": {
            "enum-mismatch GET /containers/{id}/json",
            "null-value GET /containers/{id}/json",
            "undocumented-content-type GET /containers/{id}/logs",
            "undocumented-field GET /containers/{id}/json",
            "undocumented-field GET /exec/{id}/json",
            "undocumented-field GET /images/{name}/json",
            "undocumented-field GET /networks/{id}",
            "undocumented-field GET /volumes",
            "undocumented-field GET /volumes/{name}",
            "undocumented-field POST /volumes/create",
            "wrong-type GET /containers/{id}/json",
        },
    },
    "1.41": {
        "read": {
            "undocumented-field GET /images/json",
            "undocumented-field GET /images/{name}/json",
            "undocumented-field GET /networks",
            "undocumented-field GET /networks/{id}",
            "undocumented-field GET /system/df",
        },
        "write": {
            "undocumented-content-type GET /containers/{id}/logs",
            "undocumented-field GET /containers/{id}/json",
            "undocumented-field GET /images/{name}/json",
            "undocumented-field GET /networks/{id}",
        },
    },
    "1.44": {
        "read": {
            "undocumented-field GET /images/json",
            "undocumented-field GET /images/{name}/json",
            "undocumented-field GET /networks",
            "undocumented-field GET /networks/{id}",
            "undocumented-field GET /system/df",
        },
        "write": {
            "undocumented-field GET /containers/{id}/json",
            "undocumented-field GET /images/{name}/json",
            "undocumented-field GET /networks/{id}",
        },
    },
    "1.52": {
        "read": {
            "undocumented-content-type GET /events",
            "undocumented-field GET /images/{name}/json",
            "undocumented-field GET /networks",
            "undocumented-field GET /system/df",
        },
        "write": {
            "undocumented-field GET /containers/{id}/json",
            "undocumented-field GET /images/{name}/json",
        },
    },
    "1.56": {
        "read": {
            "undocumented-content-type GET /events",
            "undocumented-field GET /images/{name}/json",
            "undocumented-field GET /networks",
            "undocumented-field GET /system/df",
        },
        "write": {
            "undocumented-field GET /containers/{id}/json",
            "undocumented-field GET /images/{name}/json",
        },
    },
}


def departures(run: Any, mode: str) -> set[str]:
    """Genuine departures (warning or error) as "kind METHOD /path"; the write mode counts only what the
    write probe itself saw (the read-only part is the other test's)."""
    stages = ("write",) if mode == "write" else ("probe", "negotiation")
    return {f"{f.kind} {f.method} {f.path}".rstrip() for f in run.genuine
            if f.severity != "info" and f.extra.get("stage", "probe") in stages}


@pytest.fixture
def mockd_at(mockd_factory: Callable[..., Any]) -> Callable[[str], Any]:
    def start(version: str) -> Any:
        server = mockd_factory("--api-version", version)
        import_busybox(server.socket)
        return server

    return start


def _check_against_known(version: str, mode: str, run: Any) -> None:
    found = departures(run, mode)
    known = KNOWN_DEPARTURES.get(version, {}).get(mode, set())
    fixed = sorted(known - found)
    if fixed:
        print(f"mockd {version} {mode}: no longer departs: {fixed}")
    new = sorted(found - known)
    assert new == [], f"mockd {version} ({mode}) departs from its document: {new}"


@pytest.mark.parametrize("version", VERSIONS)
def test_readonly_probe_against_mockd(mockd_at: Callable[[str], Any], version: str) -> None:
    server = mockd_at(version)
    run = run_daemon_check(DaemonOptions(host=server.host, sweep=False))
    hs = run.handshake
    assert (hs.product, hs.max_version, hs.used_version) == ("mockd", version, version)
    assert not [f for f in run.findings if f.kind == "transport-error"]
    assert any(p.status == 200 for p in run.probed)
    _check_against_known(version, "read", run)


@pytest.mark.parametrize("version", VERSIONS)
def test_write_probe_against_mockd(mockd_at: Callable[[str], Any], version: str) -> None:
    server = mockd_at(version)
    run = run_daemon_check(DaemonOptions(host=server.host, sweep=False, write=True))
    assert run.write is not None
    assert run.write.leftovers == [] and run.write.cleanup_errors == []
    # Whatever mockd answered, apicheck removed what it created: nothing labelled is left.
    status, _, body = server.request("GET", "/containers/json?all=1")
    assert status == 200 and LABEL.encode() not in body
    _check_against_known(version, "write", run)


@pytest.mark.realdaemon
def test_compare_mockd_with_the_real_dockerd(real_dockerd: Daemon, mockd_at: Callable[[str], Any]) -> None:
    """The fidelity measure: the bundled workflow at 1.41 against dockerd (reference) and mockd."""
    import_busybox(real_dockerd)
    server = mockd_at("1.41")
    result = run_compare(real_dockerd.host, server.host, api_version="1.41")
    assert result.candidate.product == "mockd" and result.reference.product == "Docker"
    assert all(r.response is not None for r in result.reference_run.results), "the workflow must run on dockerd"
    print(f"\n{len(result.differences)} differences (reference dockerd / candidate mockd):")
    print("\n".join(d.line() for d in result.differences))
    # Every difference names a step of the workflow and says what differs on each side.
    steps = {s.name for s in result.workflow.steps}
    assert all(d.step in steps and d.reference != d.candidate for d in result.differences)


def _measure() -> dict[str, dict[str, list[str]]]:
    """The departures mockd shows now, per version and mode (to refresh KNOWN_DEPARTURES)."""
    from mockd.pytest_plugin import MockdServer

    out: dict[str, dict[str, list[str]]] = {}
    for version in VERSIONS:
        server = MockdServer(["--api-version", version])
        server.start()
        try:
            import_busybox(server.socket)
            for mode in ("read", "write"):
                run = run_daemon_check(DaemonOptions(host=server.host, sweep=False, write=mode == "write"))
                out.setdefault(version, {})[mode] = sorted(departures(run, mode))
        finally:
            server.stop()
    return out


if __name__ == "__main__":  # python -m tests.test_checker_daemon_mockd: print today's departures
    import json

    print(json.dumps(_measure(), indent=1))
