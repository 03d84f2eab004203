"""The pytest plugin's version-aware fixtures: --mockd-versions parametrization, the marker,
fail_on, the fixture object and the DOCKER_HOST helper (run in pytester sandboxes)."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _sandbox(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each sandbox runs in a subprocess (an inline run would re-import mockd's modules and leave two
    copies of its classes behind) with this tree's plugin first on the path."""
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")


CLIENT = '''
import http.client, json, os, socket

def call(method, path, body=None):
    class C(http.client.HTTPConnection):
        def connect(self):
            self.sock = socket.socket(socket.AF_UNIX)
            self.sock.connect(os.environ["DOCKER_HOST"][len("unix://"):])
    c = C("localhost")
    c.request(method, path, json.dumps(body) if body is not None else None,
              {"Content-Type": "application/json"} if body is not None else {})
    r = c.getresponse()
    return r.status, r.read()
'''


def test_versions_option_parametrizes_with_readable_ids(pytester: pytest.Pytester):
    pytester.makepyfile(CLIENT + '''
def test_x(mockd, mockd_env):
    status, body = call("GET", "/version")
    assert status == 200 and json.loads(body)["ApiVersion"] == mockd.api_version

def test_not_using_it():
    pass
''')
    result = pytester.runpytest_subprocess("-v", "--mockd-versions=1.41,1.44,latest,engine:29.0", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=5)
    result.stdout.fnmatch_lines(["*test_x[[]docker-1.41[]] PASSED*", "*test_x[[]docker-1.44[]] PASSED*",
                                 "*test_x[[]docker-latest[]] PASSED*", "*test_x[[]docker-engine-29.0[]] PASSED*",
                                 "*test_not_using_it PASSED*"])


def test_marker_sets_version_seed_and_the_object(pytester: pytest.Pytester):
    pytester.makepyfile(CLIENT + '''
import pytest

@pytest.mark.mockd(api_version="1.41", seed={"volumes": [{"name": "seeded"}]})
def test_object(mockd, mockd_env):
    assert (mockd.api_version, mockd.engine_version) == ("1.41", "20.10.24")
    assert os.environ["DOCKER_HOST"] == mockd.docker_host and mockd.docker_host.startswith("unix:///")
    status, body = call("GET", "/v1.41/volumes")
    assert [v["Name"] for v in json.loads(body)["Volumes"]] == ["seeded"]
    call("POST", "/v1.41/volumes/create", {"Name": "mine", "Bogus": 1})
    assert [r["path"] for r in mockd.requests] == ["/v1.41/volumes", "/v1.41/volumes/create"]
    assert [(f.kind, f.name) for f in mockd.findings] == [("unknown-field", "Bogus")]
    mockd.reset()
    assert mockd.requests == [] and mockd.findings == []
    status, body = call("GET", "/v1.41/volumes")
    assert [v["Name"] for v in json.loads(body)["Volumes"]] == ["seeded"]  # reset returns to the seed
    mockd.seed({"volumes": [{"name": "later"}]})

@pytest.mark.mockd(engine_version="29.0")
def test_engine(mockd):
    assert (mockd.api_version, mockd.min_api_version) == ("1.52", "1.44")

def test_env_is_not_left_behind():
    assert os.environ.get("DOCKER_HOST") != "set-by-a-test"
''')
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=3)


def test_fail_on_fails_the_test_listing_the_findings(pytester: pytest.Pytester):
    pytester.makepyfile(CLIENT + '''
import pytest

@pytest.mark.mockd(api_version="1.41", fail_on="warning")
def test_skewed(mockd_env):
    # 1.44-only field under /v1.41/, an unknown query parameter, a version above the daemon's.
    call("POST", "/v1.41/containers/create",
         {"Image": "busybox", "HostConfig": {"Mounts": [{"Type": "bind", "Source": "/a", "Target": "/b",
                                                         "BindOptions": {"ReadOnlyNonRecursive": True}}]}})
    call("GET", "/v1.41/containers/json?bogus=1")
    call("GET", "/v1.44/info")

@pytest.mark.mockd(api_version="1.41", fail_on="warning")
def test_clean(mockd_env):
    call("GET", "/v1.41/containers/json?all=1")

@pytest.mark.mockd(api_version="1.41", fail_on="error")
def test_warnings_below_the_bar(mockd_env):
    call("GET", "/v1.41/containers/json?bogus=1")

@pytest.mark.mockd(api_version="1.41")
def test_no_fail_on(mockd_env):
    call("GET", "/v1.41/containers/json?bogus=1")
''')
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=3, failed=1)
    result.stdout.fnmatch_lines([
        "*mockd (API 1.41): the client sent 3 thing(s) this daemon version does not understand (fail_on='warning')*",
        "*#1 POST /v1.41/containers/create: warning newer-than-prefix [[]body HostConfig.Mounts.BindOptions.ReadOnlyNonRecursive[]]*"
        "documented from 1.44*",
        "*#2 GET /v1.41/containers/json: warning unknown-query-parameter [[]query bogus[]]*",
        "*#3 GET /v1.44/info: error refused-version*too new. Maximum supported API version is 1.41*",
    ])


def test_session_fixture_is_shared_and_parametrized(pytester: pytest.Pytester):
    pytester.makepyfile('''
seen = []

def test_a(mockd_session):
    seen.append(mockd_session)

def test_b(mockd_session):
    seen.append(mockd_session)

def test_check():
    assert len(seen) == 4 and seen[0] is seen[1] and seen[2] is seen[3] and seen[0] is not seen[2]
    assert {s.api_version for s in seen} == {"1.30", "1.50"}
''')
    result = pytester.runpytest_subprocess("--mockd-versions=1.30,1.50", "-p", "no:cacheprovider", "-p", "no:randomly")
    result.assert_outcomes(passed=5)


def test_bad_marker_is_a_usage_error(pytester: pytest.Pytester):
    pytester.makepyfile('''
import pytest

@pytest.mark.mockd(fail_on="loud")
def test_x(mockd):
    pass
''')
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    assert result.ret != 0
    result.stdout.fnmatch_lines(["*fail_on must be one of*"])
