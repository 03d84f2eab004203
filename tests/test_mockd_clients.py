"""The real docker CLIs (28.x, API 1.50; Debian's 20.10, API 1.41) and docker-py against mockd."""

from __future__ import annotations

import os
import subprocess

import pytest

CLI28 = "/usr/local/bin/docker"
CLI20 = "/usr/bin/docker"


def cli(path: str) -> str:
    if not (os.path.exists(path) and os.access(path, os.X_OK)):
        pytest.skip(f"no docker CLI at {path}")
    return path


def run(server, binary: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([binary, *args], env=server.env(), capture_output=True, text=True, timeout=60)


def test_cli28_version_and_ps(mockd_server):
    docker = cli(CLI28)
    out = run(mockd_server, docker, "version")
    assert out.returncode == 0, out.stderr
    server_part = out.stdout.split("Server:", 1)[1]
    assert "API version:      1.56 (minimum version 1.24)" in server_part
    ps = run(mockd_server, docker, "ps", "-a")
    assert ps.returncode == 0 and ps.stdout.split() == "CONTAINER ID IMAGE COMMAND CREATED STATUS PORTS NAMES".split()
    insp = run(mockd_server, docker, "inspect", "NOPE")
    assert insp.returncode == 1 and "No such object: NOPE" in insp.stderr


def test_cli28_downgrades_to_1_41(mockd_factory):
    s = mockd_factory("--api-version", "1.41")
    out = run(s, cli(CLI28), "version")
    assert out.returncode == 0, out.stderr
    client_part, server_part = out.stdout.split("Server:", 1)
    assert "API version:       1.41 (downgraded from 1.50)" in client_part
    assert "API version:      1.41 (minimum version 1.24)" in server_part
    assert "Version:          20.10.24" in server_part


def test_cli20_version_against_1_41(mockd_factory):
    s = mockd_factory("--api-version", "1.41")
    out = run(s, cli(CLI20), "version")
    assert out.returncode == 0, out.stderr
    assert "API version:      1.41 (minimum version 1.24)" in out.stdout.split("Server:", 1)[1]


@pytest.mark.parametrize("version", ["1.25", "1.44", "1.52"])
def test_cli28_ps_at_older_daemons(mockd_factory, version):
    s = mockd_factory("--api-version", version)
    out = run(s, cli(CLI28), "ps")
    assert out.returncode == 0, out.stderr
    rec = [f for f in s.findings() if f["severity"] != "info"]
    assert not rec, rec


def test_engine_29_refuses_cli20_accepts_cli28(mockd_factory):
    s = mockd_factory("--engine-version", "29.0")
    old = run(s, cli(CLI20), "ps")
    assert old.returncode != 0
    assert ("Error response from daemon: client version 1.41 is too old. Minimum supported API version is 1.44, "
            "please upgrade your client to a newer version") in old.stderr
    new = run(s, cli(CLI28), "ps")
    assert new.returncode == 0, new.stderr
    version = run(s, cli(CLI28), "version")
    assert "1.52 (minimum version 1.44)" in version.stdout and "Version:          29.0.0" in version.stdout


def test_docker_py_negotiates_via_version(mockd_factory):
    docker = pytest.importorskip("docker")
    s = mockd_factory("--api-version", "1.44")
    client = docker.DockerClient(base_url=s.host, version="auto")
    try:
        assert client.api.api_version == "1.44"
        assert client.containers.list(all=True) == []
        assert client.version()["ApiVersion"] == "1.44"
        assert client.ping() is True
    finally:
        client.close()
    # docker-py's Python-style booleans are wire-profile looseness only.
    assert {f["source"] for f in s.findings()} <= {"wire-profile"}

