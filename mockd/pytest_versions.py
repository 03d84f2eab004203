"""The ``mockd`` fixtures of the pytest plugin: a daemon per test (or per session), at the API
versions a client must support, failing the test when the client sent something that daemon
version does not understand.

    @pytest.mark.mockd(api_version="1.41", fail_on="warning", seed={"images": [{"ref": "busybox"}]})
    def test_list(mockd, mockd_env):          # mockd_env: DOCKER_HOST points at it, for this test only
        client = docker.from_env()
        assert client.containers.list() == []

    pytest --mockd-versions=1.41,1.44,latest  # every test using the fixture, once per version:
                                              # test_list[docker-1.41], test_list[docker-1.44], ...

The fixture object: ``docker_host``, ``api_version``, ``engine_version``, ``reset()``,
``seed(document)``, ``requests`` (the recorded exchanges, ``docs/record-format.md``), ``findings``
(``specs.findings.Finding``: the analysis of ``apicheck traffic`` at this daemon's version: requests
refused by the version check, paths it does not have, parameters, fields and enum values that do
not exist at the version sent, with their history),
``failing(severity)``, ``env()`` (an environment for a subprocess), ``request(...)``, ``inject(faults)``.
``@pytest.mark.mockd(faults=[...])`` starts the daemon with faults (mappings or ``mockd --fault`` strings,
``mockd/faults.py``), e.g. ``faults=["endpoint=ContainerList,kind=error,status=500,first=1"]``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from specs.findings import SEVERITIES, Finding

MARKER = "mockd"
FIXTURES = ("mockd", "mockd_session")
CLIENT_ENV = ("DOCKER_CONTEXT", "DOCKER_TLS_VERIFY", "DOCKER_CERT_PATH", "DOCKER_API_VERSION")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("mockd")
    group.addoption("--mockd-versions", metavar="VERSIONS", default=None,
                    help="run every test using the mockd fixture once per daemon version: "
                         "1.41,1.44,latest or engine:20.10,29.0")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "mockd(api_version=None, engine_version=None, fail_on=None, seed=None, faults=None): the mockd "
                   "fixture's daemon version, seed, injected faults, and the severity of findings that fail the test")


def parse_versions(text: str) -> list[tuple[str, str | None, str | None]]:
    """``"1.41,latest,engine:29.0"`` -> ``[(id, api_version, engine_version), ...]``."""
    out = []
    engines = False
    for item in (x.strip() for x in text.split(",")):
        if not item:
            continue
        if item.startswith("engine:"):
            engines, item = True, item[len("engine:"):]
        if engines:
            out.append((f"docker-engine-{item}", None, item))
        elif item == "latest":
            out.append(("docker-latest", None, None))
        else:
            out.append((f"docker-{item}", item, None))
    if not out:
        raise pytest.UsageError(f"--mockd-versions {text!r}: no versions")
    return out


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    text = metafunc.config.getoption("mockd_versions")
    if not text:
        return
    for name in FIXTURES:
        if name in metafunc.fixturenames:
            versions = parse_versions(text)
            metafunc.parametrize(name, [v[1:] for v in versions], ids=[v[0] for v in versions], indirect=True,
                                 scope="session" if name == "mockd_session" else "function")


class MockdDaemon:
    """One in-process mockd for a test (or a session), recording every exchange."""

    def __init__(self, api_version: str | None = None, engine_version: str | None = None,
                 fail_on: str | None = None, seed: Any = None, faults: Any = None) -> None:
        from mockd.pytest_plugin import MockdServer

        if fail_on is not None and fail_on not in SEVERITIES:
            raise pytest.UsageError(f"mockd marker: fail_on must be one of {SEVERITIES}, not {fail_on!r}")
        self.fail_on = fail_on
        args = []
        if api_version and api_version != "latest":
            args += ["--api-version", api_version]
        if engine_version:
            args += ["--engine-version", engine_version]
        self._server = MockdServer(args)
        self._record = Path(self._server._dir) / "record.jsonl"
        self._server.args += ["--record", str(self._record)]
        self._offset = 0
        self._server.start()
        version = json.loads(self._server.request("GET", "/version")[2])
        self._offset = self._lines()  # the plugin's own /version is not the client's
        self.api_version: str = version["ApiVersion"]
        self.min_api_version: str = version["MinAPIVersion"]
        self.engine_version: str = version["Version"]
        self.docker_host: str = self._server.host
        self.socket: str = self._server.socket
        if seed is not None:
            self.seed(seed)
        if faults:
            self.inject(faults)

    def _lines(self) -> int:
        return len(self._read())

    def _read(self) -> list[dict[str, Any]]:
        if not self._record.exists():
            return []
        return [json.loads(x) for x in self._record.read_text(encoding="utf-8").splitlines() if x.strip()]

    # --- state ------------------------------------------------------------------------------------
    def reset(self) -> None:
        """Back to an empty (or seeded) daemon; ``requests`` and ``findings`` start again."""
        self._server.reset()
        self._offset = self._lines()

    def seed(self, document: Any) -> None:
        """Load a seed: a mapping, YAML/JSON text, or a path to a seed file (``mockd/engine/seed.py``)."""
        if isinstance(document, Path) or (isinstance(document, str) and "\n" not in document
                                          and os.path.exists(document)):
            body: Any = Path(document).read_bytes()
        elif isinstance(document, str):
            body = document.encode()
        else:
            body = json.dumps(document).encode()
        status, _, data = self._server.request("POST", "/_mockd/seed", body, {"Content-Type": "application/json"})
        if status >= 400:
            raise ValueError(f"mockd seed refused: {data.decode(errors='replace')}")

    def inject(self, faults: Any) -> list[dict[str, Any]]:
        """Add faults (``mockd/faults.py``): a mapping, a ``--fault`` string, or a list of them; the created
        faults with their ids. Shown in ``requests`` (each exchange's ``faults``) and the daemon's findings."""
        from mockd.faults import Fault

        items = faults if isinstance(faults, list | tuple) else [faults]
        body = [Fault.from_spec(f).to_dict() if isinstance(f, str) else f for f in items]
        status, _, data = self._server.request("POST", "/_mockd/faults", body)
        if status >= 400:
            raise ValueError(f"mockd faults refused: {data.decode(errors='replace')}")
        return json.loads(data)["faults"]

    def clear_faults(self) -> None:
        self._server.request("DELETE", "/_mockd/faults")

    # --- what the client did ------------------------------------------------------------------------
    @property
    def requests(self) -> list[dict[str, Any]]:
        """The exchanges since start (or the last ``reset()``), one dict per request."""
        return self._read()[self._offset:]

    @property
    def findings(self) -> list[Finding]:
        """What the client sent that this daemon version does not understand: apicheck's analysis
        of the recorded requests (``apicheck traffic``), so a test and ``apicheck client`` agree."""
        from checker.client.analyze import analyze
        from checker.client.model import Exchange
        from checker.client.targets import Target

        target = Target(self.api_version, self.api_version, self.min_api_version, self.engine_version)
        exchanges = [Exchange.from_record(line, n) for n, line in enumerate(self.requests, 1)]
        return analyze(target, exchanges).findings

    def failing(self, severity: str) -> list[Finding]:
        """Findings at ``severity`` or worse (wire-profile looseness is never among them)."""
        return [f for f in self.findings if f.at_least(severity)]  # type: ignore[arg-type]

    # --- talking to it --------------------------------------------------------------------------------
    def env(self) -> dict[str, str]:
        """An environment for a client subprocess: this daemon, nothing inherited that points elsewhere."""
        return self._server.env()

    def request(self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None):
        return self._server.request(method, path, body, headers)

    def stop(self) -> None:
        self._server.stop()

    def __repr__(self) -> str:
        return f"<mockd {self.docker_host} API {self.api_version} (Docker {self.engine_version})>"


_DAEMON = pytest.StashKey["MockdDaemon"]()


def _settings(request: pytest.FixtureRequest, use_marker: bool) -> dict[str, Any]:
    settings: dict[str, Any] = {}
    marker = request.node.get_closest_marker(MARKER) if use_marker else None
    if marker is not None:
        if marker.args:
            raise pytest.UsageError("mockd marker takes keyword arguments: api_version=, engine_version=, fail_on=, "
                                    "seed=, faults=")
        unknown = set(marker.kwargs) - {"api_version", "engine_version", "fail_on", "seed", "faults"}
        if unknown:
            raise pytest.UsageError(f"mockd marker: unknown arguments {sorted(unknown)}")
        settings.update(marker.kwargs)
    param = getattr(request, "param", None)
    if param is not None:  # --mockd-versions decides the version; the marker keeps fail_on and seed
        settings["api_version"], settings["engine_version"] = param
    return settings


@pytest.fixture
def mockd(request: pytest.FixtureRequest) -> Iterator[MockdDaemon]:
    """A fresh mockd for this test (version, seed and fail_on from the marker or --mockd-versions)."""
    daemon = MockdDaemon(**_settings(request, use_marker=True))
    request.node.stash[_DAEMON] = daemon
    try:
        yield daemon
    finally:
        daemon.stop()


@pytest.fixture(scope="session")
def mockd_session(request: pytest.FixtureRequest) -> Iterator[MockdDaemon]:
    """One mockd for the session (per --mockd-versions entry); call ``reset()`` between tests as needed."""
    daemon = MockdDaemon(**_settings(request, use_marker=False))
    try:
        yield daemon
    finally:
        daemon.stop()


@pytest.fixture
def mockd_env(mockd: MockdDaemon, monkeypatch: pytest.MonkeyPatch) -> MockdDaemon:
    """DOCKER_HOST points at this test's mockd (and DOCKER_CONTEXT & co. are unset) for this test only."""
    monkeypatch.setenv("DOCKER_HOST", mockd.docker_host)
    for name in CLIENT_ENV:
        monkeypatch.delenv(name, raising=False)
    return mockd


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    """``fail_on``: after the test body, its findings at that severity or worse fail the test."""
    result = yield
    daemon = item.stash.get(_DAEMON, None)
    if daemon is not None and daemon.fail_on:
        bad = daemon.failing(daemon.fail_on)
        if bad:
            lines = [f"  #{f.extra['request']['seq']} {f.extra['request']['method']} {f.extra['request']['path']}: "
                     f"{f.severity} {f.kind} [{f.location} {f.name}]: {f.detail}" for f in bad]
            pytest.fail(f"mockd (API {daemon.api_version}): the client sent {len(bad)} thing(s) this daemon version "
                        f"does not understand (fail_on={daemon.fail_on!r}):\n" + "\n".join(lines), pytrace=False)
    return result
