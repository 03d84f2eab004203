"""apicheck daemon against the real dockerd 20.10 and Podman: it completes, and what it reports is true.

Every genuine finding of the read-only probe is re-checked here with plain HTTP (tests/realdaemons.unix_http)
and an independent reading of the document; skew verdicts are reproduced by hand.
"""

from __future__ import annotations

import dataclasses
import json
import os
import select
import signal
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Iterator
from typing import Any

import pytest

import specs
from checker.daemon.client import DaemonClient
from checker.daemon.fuzz import run_fuzz
from checker.daemon.handshake import handshake
from checker.daemon.negotiation import check_negotiation
from checker.daemon.run import DaemonOptions, run_daemon_check
from checker.daemon.write import LABEL, PAUSE_ENV, run_write_probe
from tests.realdaemons import Daemon, import_busybox, parse_json_stream, unix_http

pytestmark = pytest.mark.realdaemon

USER_LABEL = {"owner": "someone-else"}


def _create_user_container(daemon: Daemon, name: str) -> str:
    status, _, body = unix_http(daemon.socket, "POST", f"/containers/create?name={name}", body={
        "Image": "busybox:latest", "Cmd": ["sleep", "600"], "Labels": USER_LABEL,
        "HostConfig": {"NetworkMode": "none"},
    })
    assert status == 201, body
    cid = json.loads(body)["Id"]
    status, _, body = unix_http(daemon.socket, "POST", f"/containers/{cid}/start")
    assert status == 204, body
    return cid


@pytest.fixture(scope="module")
def dockerd(real_dockerd: Daemon) -> Iterator[Daemon]:
    """The session's dockerd with busybox and a running container that is not apicheck's."""
    import_busybox(real_dockerd)
    cid = _create_user_container(real_dockerd, "user-owned-dockerd")
    yield real_dockerd
    unix_http(real_dockerd.socket, "DELETE", f"/containers/{cid}?force=1")


@pytest.fixture(scope="module")
def dockerd_run(dockerd: Daemon) -> Any:
    return run_daemon_check(DaemonOptions(host=dockerd.host))


# Where each kind of object is listed, the key of its list, and how one is removed (image tags: untagged only).
_SANDBOX_KINDS = (
    ("/containers/json?all=1", None, lambda item, name: f"/containers/{item['Id']}?force=1&v=1"),
    ("/volumes", "Volumes", lambda item, name: f"/volumes/{item['Name']}"),
    ("/networks", None, lambda item, name: f"/networks/{item['Id']}"),
    ("/images/json", None, lambda item, name: f"/images/{name or item['Id']}?noprune=1"),
)


def _sandbox_items(daemon: Daemon) -> list[tuple[str, list[str], str]]:
    """Everything apicheck may have created: labelled objects and apicheck-* names (containers, volumes,
    networks, image tags), as (listing path, names, path that removes it)."""
    found = []
    for path, key, removal in _SANDBOX_KINDS:
        status, _, body = unix_http(daemon.socket, "GET", path)
        assert status == 200
        items = json.loads(body)
        items = (items.get(key) or []) if key else items
        for item in items or []:
            names = item.get("Names") or [item.get("Name") or ""]
            names += item.get("RepoTags") or []
            labels = item.get("Labels") or {}
            ours = [n for n in names if str(n).lstrip("/").startswith("apicheck-")]
            if LABEL in labels or ours:
                found.append((path, names, removal(item, ours[0] if ours else "")))
    return found


def _sandbox_objects(daemon: Daemon) -> list[str]:
    return [f"{path}: {names}" for path, names, _ in _sandbox_items(daemon)]


@pytest.fixture(autouse=True)
def _no_leftovers_for_the_next_test(request: pytest.FixtureRequest) -> Iterator[None]:
    """A test that fails half-way may leave apicheck objects on the shared dockerd: removed after it, so that its
    failure does not become the failure of the tests after it."""
    yield
    if "dockerd" in request.fixturenames:
        daemon = request.getfixturevalue("dockerd")
        for _, _, removal in _sandbox_items(daemon):
            unix_http(daemon.socket, "DELETE", removal)


# --- read-only ---------------------------------------------------------------------------------------------


def test_readonly_probe_completes_within_60s(dockerd_run: Any) -> None:
    run = dockerd_run
    hs = run.handshake
    assert (hs.product, hs.max_version, hs.min_version, hs.used_version) == ("Docker", "1.41", "1.12", "1.41")
    assert run.timings["read-only"] < 60, run.timings
    assert run.swept == [v for v in specs.versions() if specs.compare(v, "1.41") < 0]
    sent = {(p.template, p.status) for p in run.probed if p.version == "1.41" and not p.bogus_id}
    # Real ids were used: the running container's top, stats and logs answered 200.
    for template in ("/containers/{id}/top", "/containers/{id}/stats", "/containers/{id}/logs",
                     "/containers/{id}/json", "/images/{name}/json", "/networks/{id}"):
        assert (template, 200) in sent, template
    skipped = {p.template: p.skipped for p in run.probed if p.skipped and p.version == "1.41"}
    assert "secret" in skipped["/swarm/unlockkey"]
    assert "registry" in skipped["/images/search"]
    assert not [f for f in run.findings if f.kind == "transport-error"]


def test_readonly_probe_fetches_no_secret_and_no_follow(dockerd_run: Any) -> None:
    urls = [p.url for p in dockerd_run.probed if p.url]
    assert not any("unlockkey" in u or "/images/search" in u or "/distribution/" in u for u in urls)
    assert not any("follow=1" in u or "follow=true" in u for u in urls)
    assert all("until=" in u for u in urls if "/events" in u)


def _schema_at(spec: specs.ApiSpec, schema: Any, dotted: str) -> tuple[bool, Any]:
    """Walk a flattened response schema along a dotted field name (array items and map values are
    transparent, as in the findings' names): (documented?, sub-schema)."""

    def unwrap(node: Any) -> Any:
        while isinstance(node, dict):
            if "items" in node and "properties" not in node:
                node = node["items"]
            elif "anyOf" in node and "properties" not in node:
                node = next((b for b in node["anyOf"] if isinstance(b, dict) and ("properties" in b or "items" in b)), {})
            else:
                return node
        return node

    node = spec.flatten(schema)
    for part in dotted.split("."):
        node = unwrap(node)
        while isinstance(node, dict) and part not in node.get("properties", {}) and isinstance(node.get("additionalProperties"), dict):
            node = unwrap(node["additionalProperties"])
        props = node.get("properties", {}) if isinstance(node, dict) else {}
        if part not in props:
            return False, None
        node = props[part]
    return True, node


def _present(value: Any, dotted: str) -> bool:
    parts = dotted.split(".")
    if not parts:
        return True
    if isinstance(value, list):
        return any(_present(v, dotted) for v in value)
    if not isinstance(value, dict):
        return False
    head, rest = parts[0], ".".join(parts[1:])
    if head not in value:
        return any(_present(v, dotted) for v in value.values() if isinstance(v, dict))  # a map level (by name)
    return True if not rest else _present(value[head], rest)


def _values_at(value: Any, dotted: str) -> list[Any]:
    """Every value a dotted name reaches (array items and map values are transparent)."""
    if not dotted:
        return [value]
    if isinstance(value, list):
        return [v for item in value for v in _values_at(item, dotted)]
    if not isinstance(value, dict):
        return []
    head, _, rest = dotted.partition(".")
    if head in value:
        return _values_at(value[head], rest)
    return [v for item in value.values() if isinstance(item, dict) for v in _values_at(item, dotted)]


_JSON_TYPES = {"string": str, "integer": int, "number": (int, float), "boolean": bool, "array": list, "object": dict}


def _mismatch(value: Any, schema: Any) -> bool:
    """The value is not of the schema's type, here or in the items of (nested) arrays."""
    declared = schema.get("type") if isinstance(schema, dict) else None
    if declared not in _JSON_TYPES:
        return False
    expected = _JSON_TYPES[declared]
    if not isinstance(value, expected) or (declared in ("integer", "number") and isinstance(value, bool)):
        return True
    return declared == "array" and any(_mismatch(item, schema.get("items")) for item in value)


def test_every_genuine_finding_reproduces_with_plain_http(dockerd: Daemon, dockerd_run: Any) -> None:
    checked = 0
    reproducible = ("undocumented-field", "undocumented-status", "optional-header-absent", "null-value", "wrong-type",
                    "known-daemon-extra")
    known = [f for f in dockerd_run.looseness if f.kind == "known-daemon-extra"]
    # Findings newer than the requested version (dockerd answers old versions with its own fields) reproduce as
    # what they were found as: the field is absent from, or mistyped in, the requested version's document.
    newer = [dataclasses.replace(f, kind=f.extra["was"]) for f in dockerd_run.newer]
    assert newer, "dockerd 20.10 sends fields newer than 1.25 at /v1.25/ (CgroupVersion...)"
    for f in [*dockerd_run.genuine, *known, *newer]:
        url = f.extra.get("url")
        if not url or f.kind not in reproducible:
            continue
        method = "HEAD" if f.method == "HEAD" else "GET"
        status, headers, body = unix_http(dockerd.socket, method, url)
        spec = specs.load(f.api_version)
        op = spec.operation(f.method, f.path)
        assert op is not None
        if f.kind == "undocumented-status":
            assert status == f.extra["status"], (url, status)
            assert str(status) not in op.responses and "default" not in op.responses, f
        elif f.kind == "optional-header-absent":
            for name in f.name.split(","):
                assert name.lower() not in {h.lower() for h in headers}, f
        elif f.kind in ("undocumented-field", "known-daemon-extra"):
            values = parse_json_stream(body) if f.path == "/events" else [json.loads(body)]
            assert any(_present(v, f.name) for v in values), f"{url}: {f.name} not in the answer"
            documented, _ = _schema_at(spec, op.response_schema(status), f.name)
            assert not documented, f"{f.name} is documented at {f.api_version}: {f}"
        else:  # null-value, wrong-type: the document's type for the field, and what dockerd sends there
            documented, schema = _schema_at(spec, op.response_schema(status), f.name)
            assert documented, f
            found = _values_at(json.loads(body), f.name)
            if f.kind == "null-value":
                assert None in found, (url, f.name, found)
            else:
                assert any(v is not None and _mismatch(v, schema) for v in found), (url, f.name, found, schema)
        checked += 1
    # dockerd 20.10 really does send these undocumented fields: known (checker/data/daemon_extras.csv), so
    # reported with the wire profile, not among the genuine departures.
    kinds = {(f.kind, f.path, f.name) for f in known}
    assert ("known-daemon-extra", "/system/df", "BuilderSize") in kinds
    assert ("known-daemon-extra", "/events", "status") in kinds
    assert not [f for f in dockerd_run.genuine if f.kind == "undocumented-field" and f.path in ("/events", "/system/df")]
    assert checked >= 10


def test_negotiation_of_the_reference_daemon_has_no_departures(dockerd: Daemon) -> None:
    client = DaemonClient(dockerd.host)
    findings, answers = check_negotiation(client, handshake(client))
    assert [f for f in findings if f.severity != "info"] == []
    by_version = {a.version: a.status for a in answers}
    assert by_version["1.12"] == 200 and by_version["1.41"] == 200
    assert by_version["1.42"] == 400 and by_version["1.11"] == 400


# --- write, cleanup, skew -------------------------------------------------------------------------------


def test_write_probe_runs_the_lifecycle_and_leaves_nothing(dockerd: Daemon) -> None:
    result = run_write_probe(DaemonClient(dockerd.host), "1.41", "busybox:latest")
    assert result.steps[-1] == "remove"
    assert result.leftovers == [] and result.cleanup_errors == []
    errors = [f for f in result.findings if f.source != "wire-profile" and f.severity == "error"]
    assert errors == []
    statuses = {(p.method, p.template, p.status) for p in result.caller.results}
    assert ("POST", "/containers/create", 201) in statuses and ("DELETE", "/containers/{id}", 204) in statuses
    assert _sandbox_objects(dockerd) == []
    # The container apicheck did not create is still there, still running.
    status, _, body = unix_http(dockerd.socket, "GET", "/containers/user-owned-dockerd/json")
    assert status == 200 and json.loads(body)["State"]["Running"]


@pytest.mark.parametrize("step", ["network", "container-start", "exec"])
def test_write_probe_cleans_up_after_a_failure(dockerd: Daemon, step: str) -> None:
    with pytest.raises(RuntimeError, match="injected"):
        run_write_probe(DaemonClient(dockerd.host), "1.41", "busybox:latest", fail_at=step)
    assert _sandbox_objects(dockerd) == []


def _stderr_until(proc: subprocess.Popen[bytes], marker: bytes, seconds: float) -> bytes:
    """The child's stderr up to the line holding ``marker`` (or all of it when time runs out or it exits)."""
    assert proc.stderr is not None
    seen = b""
    deadline = time.monotonic() + seconds
    while marker not in seen and time.monotonic() < deadline:
        ready, _, _ = select.select([proc.stderr], [], [], 0.5)
        if ready:
            chunk = os.read(proc.stderr.fileno(), 4096)
            if not chunk:
                break
            seen += chunk
    return seen


@pytest.mark.slow
def test_write_probe_cleans_up_on_ctrl_c(dockerd: Daemon) -> None:
    assert _sandbox_objects(dockerd) == [], "an earlier test left apicheck objects"
    env = {**dockerd.env(), PAUSE_ENV: "exec:60"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "checker.cli", "daemon", "-H", dockerd.host, "--write", "--no-sweep"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=os.path.dirname(os.path.dirname(__file__)),
    )
    try:
        # Interrupted while it holds a volume, a network, an image tag and a running container.
        said = _stderr_until(proc, b"paused at exec", 120)
        assert b"paused at exec" in said, said.decode(errors="replace")
        assert any("/containers" in o for o in _sandbox_objects(dockerd))
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 130, proc.stderr.read() if proc.stderr else ""
    assert _sandbox_objects(dockerd) == []


def _create_and_read(daemon: Daemon, version: str, host_config: dict[str, Any]) -> dict[str, Any]:
    name = f"apicheck-test-{version.replace('.', '')}-{time.monotonic_ns()}"
    status, _, body = unix_http(daemon.socket, "POST", f"/v{version}/containers/create?name={name}", body={
        "Image": "busybox:latest", "Cmd": ["true"], "HostConfig": {"NetworkMode": "none", **host_config},
    })
    assert status == 201, body
    cid = json.loads(body)["Id"]
    try:
        status, _, body = unix_http(daemon.socket, "GET", f"/v1.41/containers/{cid}/json")
        return json.loads(body)["HostConfig"]
    finally:
        unix_http(daemon.socket, "DELETE", f"/containers/{cid}?force=1")


def test_skew_probe_verdicts_reproduce_by_hand(dockerd: Daemon) -> None:
    run = run_daemon_check(DaemonOptions(host=dockerd.host, write=True, sweep=False))
    verdicts = {(r.operation, r.name): r.classification for r in run.skew}
    assert run.write is not None and run.write.leftovers == []
    assert verdicts[("POST /containers/create", "HostConfig.KernelMemoryTCP")] == "ignored"
    assert verdicts[("POST /containers/create", "HostConfig.Init")] == "honoured"
    # By hand: dockerd drops KernelMemoryTCP below 1.40 but keeps Init at 1.25.
    assert _create_and_read(dockerd, "1.25", {"KernelMemoryTCP": 209715200})["KernelMemoryTCP"] == 0
    assert _create_and_read(dockerd, "1.41", {"KernelMemoryTCP": 209715200})["KernelMemoryTCP"] == 209715200
    assert _create_and_read(dockerd, "1.25", {"Init": True})["Init"] is True
    for r in run.skew:
        assert r.classification in ("rejected", "honoured", "ignored", "unobservable")
        if r.classification == "ignored":
            assert r.read_back != r.sent
    assert _sandbox_objects(dockerd) == []


def test_fuzz_is_bounded_and_its_server_errors_are_real(dockerd: Daemon) -> None:
    client = DaemonClient(dockerd.host)
    from checker.daemon.discovery import discover

    started = time.monotonic()
    result = run_fuzz(client, "1.41", discover(client, "1.41"), max_examples=3, time_limit=20)
    assert time.monotonic() - started < 45
    assert result.requests > 0 and result.operations > 10
    server_errors = [f for f in result.findings if f.kind == "server-error"]
    for f in server_errors[:10]:
        status, _, _ = unix_http(dockerd.socket, f.method, f.extra["url"])
        assert status >= 500, f


@pytest.mark.slow
def test_write_fuzz_stays_in_the_sandbox(dockerd: Daemon) -> None:
    before = json.loads(unix_http(dockerd.socket, "GET", "/containers/user-owned-dockerd/json")[2])
    run = run_daemon_check(DaemonOptions(host=dockerd.host, write=True, fuzz=True, sweep=False, max_examples=3,
                                         time_limit=30, skew_from="1.41"))
    assert run.fuzz is not None and run.fuzz.requests > 0
    fuzzed = {(p.method, p.template) for p in run.fuzz.probed if p.status is not None}
    assert ("POST", "/containers/{id}/kill") in fuzzed and ("POST", "/networks/create") in fuzzed
    # Every fuzzed write named a sandbox object or a made-up one, never the user's container.
    user_id = before["Id"]
    assert not any(user_id[:12] in p.url or "user-owned" in p.url for p in run.fuzz.probed if p.method not in ("GET", "HEAD"))
    assert run.write is not None and run.write.leftovers == []
    assert _sandbox_objects(dockerd) == []
    after = json.loads(unix_http(dockerd.socket, "GET", "/containers/user-owned-dockerd/json")[2])
    assert after["State"]["Running"] and after["State"]["StartedAt"] == before["State"]["StartedAt"]
    assert after["HostConfig"] == before["HostConfig"] and after["Name"] == before["Name"]


# --- podman ------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def podman(real_podman: Daemon) -> Daemon:
    import_busybox(real_podman)
    return real_podman


def test_podman_departures_are_found_and_real(podman: Daemon) -> None:
    run = run_daemon_check(DaemonOptions(host=podman.host, sweep=False))
    assert run.handshake.product == "Podman"
    kinds = {f.kind for f in run.genuine}
    assert {"error-shape", "out-of-range-version", "unknown-path-answer"} <= kinds, kinds
    # By hand: podman serves /v1.99/ and adds cause/response to its errors.
    status, _, _ = unix_http(podman.socket, "GET", "/v1.99/version")
    assert status == 200
    status, _, body = unix_http(podman.socket, "GET", "/v1.41/containers/apicheck-no-such-container-0/json")
    assert status == 404 and {"cause", "response"} <= set(json.loads(body))
    status, headers, body = unix_http(podman.socket, "GET", "/v1.41/apicheck-no-such-path")
    assert status == 404 and not headers.get("Content-Type", "").startswith("application/json")


def test_url_quoting_of_ids_is_plain() -> None:
    # ids go into paths verbatim (image references keep their slashes and colons, like dockerd's {name:.*}).
    assert DaemonClient.url("/images/library/busybox:latest/json", "1.41") == "/v1.41/images/library/busybox:latest/json"
    assert urllib.parse.quote("a:b", safe=":/") == "a:b"


# --- the command ---------------------------------------------------------------------------------------------


def test_daemon_command_outputs_and_exit_status(dockerd: Daemon, tmp_path: Any, capsys: pytest.CaptureFixture[str]) -> None:
    from checker.cli import main

    details = tmp_path / "details.json"
    rc = main(["daemon", "-H", dockerd.host, "--no-sweep", "--format", "json", "--details", str(details)])
    captured = capsys.readouterr()
    items = json.loads(captured.out)
    # dockerd 20.10 at its own version: its undocumented fields are known extras (wire profile), what is left is
    # info (an optional header it does not send): nothing at the default --fail-on warning.
    assert rc == 0
    assert items and all(i["source"] != "wire-profile" and i["severity"] == "info" for i in items)
    assert main(["daemon", "-H", dockerd.host, "--no-sweep", "--fail-on", "info"]) == 1
    capsys.readouterr()
    assert "genuine departures" in captured.err and "Go-encoding looseness" in captured.err
    data = json.loads(details.read_text())
    assert data["handshake"]["product"] == "Docker" and data["requests"] and data["looseness"]
    assert main(["daemon", "-H", dockerd.host, "--no-sweep", "--fail-on", "error"]) == 0
    text = capsys.readouterr().out
    assert text.startswith("daemon ") and "Docker 20.10" in text
    junit = tmp_path / "out.xml"
    assert main(["daemon", "-H", dockerd.host, "--no-sweep", "--format", "junit", "-o", str(junit), "--fail-on", "none"]) == 0
    assert junit.read_text().lstrip().startswith("<?xml")
    # DOCKER_HOST is honoured when -H is not given; an unreachable daemon is a clean error (2).
    env_host = os.environ.get("DOCKER_HOST")
    try:
        os.environ["DOCKER_HOST"] = "unix:///nonexistent/apicheck.sock"
        assert main(["daemon"]) == 2
        assert "cannot reach" in capsys.readouterr().err
    finally:
        if env_host is None:
            os.environ.pop("DOCKER_HOST", None)
        else:
            os.environ["DOCKER_HOST"] = env_host
