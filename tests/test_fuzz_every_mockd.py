"""Every-operation fuzzing of mockd (issue 9): ``apicheck daemon --fuzz --every-operation`` at 1.25, 1.41, 1.44
and 1.56, bounded in time, finds no 5xx but the ones dockerd gives too (``checker/data/fuzz_server_errors.yaml``)
and no response-schema violation beyond the wire profile's Go nulls.

The longer run (thousands of cases per version) and its figures: docs/fuzz-run.md.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

import specs
from checker.daemon.client import DaemonClient
from checker.daemon.fuzz_allow import Allowed, AllowList, AllowListError
from checker.daemon.fuzz_every import FuzzSetupError, run_fuzz_every
from checker.daemon.run import DaemonOptions, run_daemon_check
from mockd.pytest_plugin import MockdServer
from specs.findings import Finding

VERSIONS = ("1.25", "1.41", "1.44", "1.56")
MAX_EXAMPLES = 4  # cases per operation and version at most (half valid, half invalid on average)
# Seconds for the four versions together. Every operation gets one case whatever the clock says (~420 cases,
# 80-170 s on 2 cores, the slower figure with a load of 16); further cases only while time is left.
TIME_LIMIT = 90.0
# CI draws the same cases each run (a failure there is a mockd change, not the dice); new cases are the long
# run's job (docs/fuzz-run.md), whose finds become rows of the unit tables. Override to explore: MOCKD_FUZZ_SEED.
FUZZ_SEED = int(os.environ.get("MOCKD_FUZZ_SEED", "20261203"))

def line(f: Finding) -> str:
    return f"{f.extra.get('url_version')} {f.method} {f.path} {f.kind} {f.name} {f.detail!s:.200} <- body {f.extra.get('body')}"


@pytest.fixture(scope="module")
def mockd() -> Iterator[MockdServer]:
    """A throwaway mockd (its newest API; the run resets it before each version)."""
    with MockdServer(["--log-level", "warning"]) as server:
        yield server


@pytest.mark.slow
def test_every_operation_at_four_versions(mockd: MockdServer) -> None:
    run = run_daemon_check(DaemonOptions(host=mockd.host, fuzz=True, every_operation=True, fuzz_versions=list(VERSIONS),
                                         max_examples=MAX_EXAMPLES, time_limit=TIME_LIMIT,
                                         fuzz_seed=FUZZ_SEED))
    assert [v.version for v in run.fuzz_every] == list(VERSIONS)
    print()
    for v in run.fuzz_every:
        print(f"fuzz {v.version}: {v.operations} operations, {v.cases} cases in {v.elapsed:.1f}s, "
              f"{len(v.server_errors(True))} 5xx dockerd gives too, {len(v.server_errors(False))} unexpected 5xx, "
              f"{len(v.schema_violations())} schema violations")
        assert v.not_reached == [] and v.operations == len(specs.for_request(v.version).operations), v.not_reached
        assert v.cases >= v.operations  # every operation got at least one case
        assert not [f for f in v.findings if f.kind == "transport-error"]
    unexpected = [line(f) for v in run.fuzz_every for f in v.server_errors(False) + v.schema_violations()]
    assert unexpected == []
    status, _, body = mockd.request("GET", "/_ping")
    assert status == 200


def test_a_planted_server_error_is_caught() -> None:
    """The run can fail: a 500 mockd is told to give (a fault) on GET /info is an unexpected 5xx; /version,
    fuzzed alongside, stays clean; the fault outlives the reset before each version."""
    with MockdServer(["--log-level", "warning", "--fault", "endpoint=GET /info,kind=error,status=500"]) as server:
        results = run_fuzz_every(DaemonClient(server.host), "mockd", ["1.41"], max_examples=3, time_limit=30,
                                 only=frozenset({"GET /info", "GET /version"}))
    (v,) = results
    assert v.operations == 2 and v.cases >= 2
    bad = v.server_errors(False)
    assert bad and {(f.method, f.path, f.severity) for f in bad} == {("GET", "/info", "error")}
    assert all(f.extra["status"] == 500 for f in bad)


def test_only_a_mock_is_fuzzed_with_every_operation() -> None:
    with pytest.raises(FuzzSetupError, match="only against a throwaway mockd"):
        run_fuzz_every(DaemonClient("unix:///nonexistent.sock"), "Docker", ["1.41"])


# --- the allow-list -----------------------------------------------------------------------------------------


def test_every_allowed_5xx_has_a_reason_and_is_narrow() -> None:
    allow = AllowList.load()
    assert allow.entries
    for entry in allow.entries:
        assert entry.reason and entry.source, entry
        assert entry.message or entry.path != ("*",), f"a catch-all entry allows any 5xx: {entry}"
    # A 500 of mockd's own is never dockerd's way.
    assert allow.reason_for("1.41", "POST", "/volumes/create", 500, "mockd internal error: TypeError: x") is None
    assert allow.reason_for("1.41", "GET", "/containers/json", 500, "Internal Server Error") is None


@pytest.mark.parametrize(("version", "method", "path", "status", "message", "query", "allowed"), [
    ("1.41", "GET", "/nodes", 503, "This node is not a swarm manager. Use ...", (), True),
    ("1.41", "GET", "/nodes", 500, "This node is not a swarm manager. Use ...", (), False),
    ("1.41", "POST", "/swarm/leave", 503, "This node is not part of a swarm", (), True),
    ("1.56", "GET", "/networks", 500, "invalid character 'x' looking for beginning of value", ("filters",), True),
    ("1.56", "GET", "/networks", 500, "invalid character 'x' looking for beginning of value", (), False),
    ("1.41", "POST", "/images/create", 500, 'Get "http:": http: no Host in request URL', (), True),
    ("1.41", "POST", "/containers/create", 500, "json: cannot unmarshal number into Go struct field", (), True),
    ("1.42", "POST", "/containers/create", 500, "json: cannot unmarshal number into Go struct field", (), False),
    ("1.41", "PUT", "/volumes/{name}", 503, "volume update only valid for cluster volumes, but swarm is unavailable", (), False),
    ("1.44", "PUT", "/volumes/{name}", 503, "volume update only valid for cluster volumes, but swarm is unavailable", (), True),
    ("1.41", "DELETE", "/containers/{id}", 500, "Conflict, cannot remove the default link name of the container",
     ("link",), True),
    ("1.25", "GET", "/containers/{id}/logs", 500, 'strconv.ParseInt: parsing "x": invalid syntax', (), True),
])  # fmt: skip
def test_allow_list_rows(version: str, method: str, path: str, status: int, message: str, query: tuple[str, ...],
                         allowed: bool) -> None:
    assert (AllowList.load().reason_for(version, method, path, status, message, query) is not None) is allowed


@pytest.mark.parametrize("entry", [
    {"path": "/x", "status": 500},  # no reason
    {"path": "/x", "status": 404, "reason": "r"},  # not a 5xx
    {"path": "/x", "status": 500, "reason": "r", "colour": "red"},  # unknown key
    {"path": "/x", "status": 500, "reason": "r", "message": "("},  # not a regular expression
])  # fmt: skip
def test_bad_allow_list_entries_are_refused(entry: dict[str, object]) -> None:
    with pytest.raises(AllowListError):
        Allowed.from_dict(entry)


def test_a_subprocess_mockd_does_not_stall_on_its_own_log() -> None:
    """Found by the long run: MockdServer's subprocess mode piped the daemon's output and never read it, so
    after 64 KB of log lines (a few hundred requests) the daemon blocked in a log write, every client with it."""
    server = MockdServer([], subprocess_mode=True).start()
    try:
        for _ in range(800):  # ~180 bytes of log line each: well past a pipe's 64 KB
            status, _, _ = server.request("GET", "/v1.41/containers/json?all=1&filters=%7B%22label%22%3A%5B%22"
                                          + "x" * 60 + "%22%5D%7D", timeout=10)
            assert status == 200
    finally:
        server.stop()
    assert len(server.output) > 65536 and "listening on" in server.output
