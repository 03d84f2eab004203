"""``apicheck client`` and ``apicheck traffic``: a deliberately skewed client is caught at the right
versions with the right findings, a clean one reports none; injected skews in copies of the wire
fixtures are found, and nothing else."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest

from checker.client.targets import parse

ROOT = Path(__file__).resolve().parent.parent
SKEWED = [sys.executable, str(ROOT / "tests" / "skewed_client.py")]
WIRE = ROOT / "tests" / "fixtures" / "wire"
# Boundaries of every skew below: 1.30/1.31 (build prune), 1.40/1.41 (the pin), 1.47/1.48 and
# 1.51/1.52 (keep-storage deprecated, removed; Engine 29's floor 1.44).
EDGES = "1.25,1.30,1.31,1.40,1.41,1.47,1.48,1.51,1.52,1.56"


def apicheck(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("DOCKER_HOST", None)
    return subprocess.run([sys.executable, "-m", "checker.cli", *args], capture_output=True, text=True, env=env,
                          timeout=timeout, cwd="/tmp")


def client_json(versions: str, *command: str, extra: tuple[str, ...] = ()) -> tuple[int, dict]:
    proc = apicheck("client", "--server-version", versions, "--format", "json", *extra, "--", *command)
    assert proc.stdout, proc.stderr
    return proc.returncode, json.loads(proc.stdout)


def kinds(result: dict) -> set[tuple[str, str, str]]:
    return {(f["kind"], f["location"], f["name"]) for f in result["findings"]}


def by_server(report: dict) -> dict[str, dict]:
    return {r["server"]: r for r in report["results"]}


def test_server_version_lists():
    assert [t.api for t in parse("1.41,1.44")] == ["1.41", "1.44"]
    assert len(parse("all")) == len(parse("1.25..1.56")) == 32
    assert [t.api for t in parse("1.30..1.32")] == ["1.30", "1.31", "1.32"]
    engines = parse("engine:20.10,25.0,29.0")
    assert [(t.api, t.min_api, t.engine) for t in engines] == [
        ("1.41", "1.12", "20.10.24"), ("1.44", "1.24", "25.0.5"), ("1.52", "1.44", "29.0.0")]
    # An API version is the newest release speaking it: its floor and engine string.
    assert (parse("1.52")[0].min_api, parse("1.47")[0].engine) == ("1.44", "27.5.1")
    for bad in ("1.99", "x", "1.44..1.30", "engine:3.0", ""):
        with pytest.raises(ValueError):
            parse(bad)


@pytest.mark.parametrize("args, message", [
    (["--server-version", "1.99", "--", "true"], "1.99"),
    (["--server-version", "1.41", "--", "no-such-command-here"], "command not found: no-such-command-here"),
    (["--server-version", "1.41"], "no COMMAND"),
])
def test_usage_errors_exit_2_with_one_line(args, message):
    proc = apicheck("client", *args)
    assert proc.returncode == 2 and message in proc.stderr and len(proc.stderr.strip().splitlines()) == 1, proc.stderr


def test_clean_client_reports_nothing_anywhere():
    code, report = client_json("all", *SKEWED, "clean")
    assert code == 0, report
    assert len(report["results"]) == 32
    for r in report["results"]:
        assert r["command"]["succeeded"] and r["findings"] == [], r["server"]
        # What the responses of newer daemons hold that a 1.44 client does not know: possible, never observed.
        if int(r["api_version"].split(".")[1]) <= 44:
            assert r["possible"] == [], r["server"]
        assert all(f["possible"] is True and f["location"].startswith("response") for f in r["possible"])
        assert r["version_choice"]["how"] == "negotiated" and r["version_choice"]["via"] == "GET /version"
        assert r["version_choice"]["prefixes"] == [min(r["api_version"], "1.44", key=lambda v: int(v.split(".")[1]))]


def test_newer_field_under_an_older_prefix():
    code, report = client_json(EDGES, *SKEWED, "field")
    assert code == 3  # the command fails where its 1.41 is too old (Engine 29's floor)
    results = by_server(report)
    for server, r in results.items():
        if server in ("1.52", "1.56"):
            assert kinds(r) == {("refused-version", "endpoint", "")} and not r["command"]["succeeded"]
            assert "client version 1.41 is too old. Minimum supported API version is 1.44" in r["findings"][0]["detail"]
            continue
        [f] = r["findings"]
        assert (f["kind"], f["name"], f["added_in"], f["severity"]) == (
            "newer-than-prefix", "HostConfig.Mounts.BindOptions.ReadOnlyNonRecursive", "1.44", "warning"), server
        assert f["request"]["template"] == "/containers/create" and f["request"]["method"] == "POST"
        assert f["sent_version"] == min(server, "1.41", key=lambda v: int(v.split(".")[1]))


def test_endpoint_missing_at_old_daemons():
    code, report = client_json(EDGES, *SKEWED, "endpoint")
    assert code == 3  # 404 at 1.25..1.30, success elsewhere
    for server, r in by_server(report).items():
        if server in ("1.25", "1.30"):
            [f] = r["findings"]
            assert (f["kind"], f["method"], f["path"], f["severity"]) == ("missing-endpoint", "POST", "/build/prune", "error")
            assert "added in 1.31" in f["detail"] and not r["command"]["succeeded"]
        else:
            assert r["findings"] == [] and r["command"]["succeeded"], server


def test_pinned_client_is_refused_outside_its_range():
    code, report = client_json(EDGES, *SKEWED, "pin")
    assert code == 3
    for server, r in by_server(report).items():
        assert r["version_choice"] == {"how": "pinned", "prefixes": ["1.41"], "via": None}
        refused = {f["detail"] for f in r["findings"]}
        if server in ("1.25", "1.30", "1.31", "1.40"):
            assert refused == {f"400: client version 1.41 is too new. Maximum supported API version is {server}"}
        elif server in ("1.52", "1.56"):
            assert all("too old" in d for d in refused) and refused
        else:
            assert r["findings"] == [] and r["command"]["succeeded"], server


def test_removed_query_parameter_with_its_history():
    code, report = client_json(EDGES, *SKEWED, "query")
    assert code == 1  # warnings at 1.52+, the command succeeds everywhere
    for server, r in by_server(report).items():
        if server in ("1.48", "1.51"):
            [f] = r["findings"]
            assert (f["kind"], f["severity"], f["name"]) == ("deprecated", "info", "keep-storage")
            assert "deprecated in 1.48, removed in 1.52" in f["detail"]
        elif server in ("1.52", "1.56"):
            [f] = r["findings"]
            assert (f["kind"], f["severity"], f["location"], f["name"]) == ("removed-field", "warning", "query", "keep-storage")
            assert "deprecated in 1.48, removed in 1.52" in f["detail"]
        else:
            assert r["findings"] == [], server


def test_environment_working_directory_and_timeout(tmp_path):
    script = ('test -n "$DOCKER_HOST" && test -z "$DOCKER_CONTEXT$DOCKER_TLS_VERIFY$DOCKER_CERT_PATH$DOCKER_API_VERSION" '
              f'&& test "$(pwd)" != {tmp_path} && test -z "$(ls -A)" && case "$DOCKER_HOST" in unix:///tmp/*) ;; *) exit 9;; esac')
    env = {"DOCKER_CONTEXT": "prod", "DOCKER_TLS_VERIFY": "1", "DOCKER_CERT_PATH": "/x", "DOCKER_API_VERSION": "1.30",
           "DOCKER_HOST": "tcp://example.invalid:2376"}
    os.environ.update(env)
    try:
        code, report = client_json("1.41,1.44", "sh", "-c", script)
        assert code == 0, report
        # --keep-api-version keeps the pin: the same check now fails.
        code, report = client_json("1.41", "sh", "-c", script, extra=("--keep-api-version",))
        assert code == 3 and report["results"][0]["command"]["exit_code"] == 1
    finally:
        for k in env:
            os.environ.pop(k, None)
    code, report = client_json("1.41", "sleep", "30", extra=("--timeout", "1"))
    assert code == 3 and report["results"][0]["command"]["timed_out"] is True


def test_setup_traffic_is_not_checked():
    # The setup creates the container with the skewed field; only the command's own requests count.
    setup = f"{sys.executable} {ROOT / 'tests' / 'skewed_client.py'} field"
    code, report = client_json("1.44", *SKEWED, "clean", extra=("--setup", setup))
    assert code == 0 and report["results"][0]["findings"] == []
    assert report["results"][0]["exchanges"] == 3  # GET /version, containers, volumes


def test_every_format_renders_one_result(tmp_path):
    base = ("client", "--server-version", "1.30,1.44", "--", *SKEWED, "endpoint")
    junit = apicheck(*base[:3], "--format", "junit", *base[3:])
    root = ET.fromstring(junit.stdout)
    cases = root.findall(".//testcase")
    assert [c.get("name") for c in cases] == ["daemon 1.30", "daemon 1.44"]
    assert cases[0].find("failure") is not None and cases[1].find("failure") is None
    md = apicheck(*base[:3], "--format", "markdown", *base[3:]).stdout
    assert "| 1.30 |" in md and "missing-endpoint" in md
    page = apicheck(*base[:3], "--format", "html", *base[3:]).stdout
    assert page.startswith("<!doctype html>") and '"rows":[' in page and "missing-endpoint" in page
    text = apicheck(*base).stdout
    assert "== 1.30" in text and "matrix (one row per daemon version)" in text
    assert "the command failed at 1.30 and succeeded at 1.44" in text


# --- apicheck traffic over the wire fixtures -----------------------------------------------------


def wire_record() -> list[dict]:
    """The client exchanges of tests/fixtures/wire (dockerd 20.10, API 1.41) as record lines."""
    lines = []
    for path in sorted(WIRE.glob("*.json")):
        data = json.loads(path.read_text())
        if "method" not in data or path.name.startswith("dockerd-"):
            continue  # sessions, and exchanges kept for dockerd's response
        prefix = data.get("path_prefix_version")
        query = {k: v if isinstance(v, list) else [v] for k, v in (data.get("query") or {}).items()}
        lines.append({"fixture": path.name, "method": data["method"],
                      "path": (f"/v{prefix}" if prefix else "") + data["path"], "query": query,
                      "body": {"json": data["body"]} if data.get("body_length") else None,
                      "status": (data.get("response") or {}).get("status")})
    return lines


def traffic(lines: list[dict], tmp_path: Path, versions: str = "1.41") -> tuple[int, dict]:
    record = tmp_path / "rec.jsonl"
    record.write_text("".join(json.dumps(x) + "\n" for x in lines))
    proc = apicheck("traffic", str(record), "--server-version", versions, "--format", "json")
    return proc.returncode, json.loads(proc.stdout)


def findings_of(report: dict) -> set[tuple[str, str, str, str, int]]:
    return {(f["kind"], f["path"], f["location"], f["name"], f["request"]["seq"])
            for r in report["results"] for f in r["findings"]}


def _with(name: str, fn):
    def inject(lines: list[dict]) -> int:
        index = next(i for i, x in enumerate(lines) if x["fixture"] == name)
        fn(lines[index])
        return index + 1
    return inject


INJECTIONS = {
    "newer body field": (
        _with("cli20-container-create.json", lambda x: x["body"]["json"]["HostConfig"].update(
            Mounts=[{"Type": "bind", "Source": "/a", "Target": "/b", "BindOptions": {"ReadOnlyNonRecursive": True}}])),
        ("newer-than-prefix", "/containers/create", "body", "HostConfig.Mounts.BindOptions.ReadOnlyNonRecursive")),
    "newer enum value": (
        _with("cli28-container-create.json", lambda x: x["body"]["json"]["HostConfig"].update(
            Mounts=[{"Type": "image", "Source": "busybox", "Target": "/img"}])),
        ("newer-enum-value", "/containers/create", "body", "HostConfig.Mounts.Type")),
    "removed query parameter (changelog)": (
        _with("cli28-images-list.json", lambda x: x["query"].update(filter=["busy*"])),
        ("removed-field", "/images/json", "query", "filter")),
    "unknown query parameter": (
        _with("dockerpy-volumes-list.json", lambda x: x["query"].update(dangling_only=["1"])),
        ("unknown-query-parameter", "/volumes", "query", "dangling_only")),
    "version above the daemon's": (
        _with("cli20-containers-list.json", lambda x: x.update(path=x["path"].replace("/v1.41/", "/v1.43/"))),
        ("refused-version", "/containers/json", "endpoint", "")),
    "endpoint older than its prefix": (
        _with("cli28-info.json", lambda x: x.update(path="/v1.29/distribution/busybox/json", method="GET")),
        ("unknown-endpoint", "/distribution/{name}/json", "endpoint", "")),
    "endpoint the daemon lacks": (
        _with("cli28-volume-create.json", lambda x: x.update(path="/v1.41/volumes/vol1", method="PUT")),
        ("missing-endpoint", "/volumes/vol1", "endpoint", "")),
    "unknown body field": (
        _with("dockerpy-network-create.json", lambda x: x["body"]["json"].update(Colour="blue")),
        ("unknown-field", "/networks/create", "body", "Colour")),
}


def test_untouched_wire_fixtures_report_only_true_deprecations(tmp_path):
    code, report = traffic(wire_record(), tmp_path)
    assert code == 0
    [r] = report["results"]
    # CLI 20 sends HostConfig.KernelMemory (as 0), which the 1.41 document marks deprecated: true, info.
    assert {(f["kind"], f["name"], f["severity"]) for f in r["findings"]} == {
        ("deprecated", "HostConfig.KernelMemory", "info"), ("deprecated", "KernelMemory", "info")}
    assert all(f["source"] == "wire-profile" for f in r["looseness"])


@pytest.mark.parametrize("name", sorted(INJECTIONS))
def test_each_injected_skew_is_found_and_nothing_else(name, tmp_path):
    inject, expected = INJECTIONS[name]
    clean = wire_record()
    _, before = traffic(clean, tmp_path)
    skewed = copy.deepcopy(clean)
    seq = inject(skewed)
    code, after = traffic(skewed, tmp_path)
    assert code == 1
    new = findings_of(after) - findings_of(before)
    assert new == {(*expected, seq)}, new


def test_client_version_lists_possible_response_hazards_apart(tmp_path):
    record = tmp_path / "rec.jsonl"
    record.write_text("".join(json.dumps(x) + "\n" for x in wire_record()))
    proc = apicheck("traffic", str(record), "--server-version", "1.44", "--client-version", "1.41", "--format", "json")
    [r] = json.loads(proc.stdout)["results"]
    possible = {(f["kind"], f["method"], f["path"], f["name"]) for f in r["possible"]}
    # docker CLIs and docker-py read GET /images/json; 1.44 no longer returns VirtualSize (1.43 deprecated it).
    assert ("removed", "GET", "/images/json", "VirtualSize") in possible
    assert all(f["possible"] is True and f["location"].startswith("response") for f in r["possible"])
    assert all(f["severity"] == "info" for f in r["findings"])  # the requests themselves are fine at 1.44
    assert proc.returncode == 0  # possible hazards never count for --fail-on
    # Without --client-version the highest prefix used (1.41) is the client's version: the same list.
    again = apicheck("traffic", str(record), "--server-version", "1.44", "--format", "json")
    assert {(f["kind"], f["method"], f["path"], f["name"]) for f in json.loads(again.stdout)["results"][0]["possible"]} == possible


def test_version_choice_kinds():
    from checker.client.analyze import version_choice
    from checker.client.model import Exchange
    from specs.validation import NO_BODY

    def run(*paths: str):
        return version_choice([Exchange(n, "GET", p, {}, NO_BODY) for n, p in enumerate(paths, 1)])

    assert (run("/_ping", "/v1.44/info").how, run("/_ping", "/v1.44/info").via) == ("negotiated", "GET /_ping")
    assert run("/v1.41/info", "/version", "/v1.44/info").how == "pinned"  # a prefix came first
    choice = run("/info", "/containers/json")
    assert (choice.how, choice.prefixes) == ("unprefixed", [])
    assert run().how == "none"
    assert run("/version", "/v1.41/info", "/v1.44/info").prefixes == ["1.41", "1.44"]
