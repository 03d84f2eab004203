"""Smoke tests of the real-daemon infrastructure (tests/realdaemons.py): private dockerd / podman, busybox image."""

from __future__ import annotations

import io
import os
import tarfile

import pytest

from tests.realdaemons import (
    CLI20,
    CLI28,
    Daemon,
    DaemonUnavailable,
    busybox_rootfs_tar,
    client_env,
    import_busybox,
    run_cli,
    unix_http,
)


def _need_cli(cli: str) -> None:
    if not os.access(cli, os.X_OK):
        pytest.skip(f"{cli} is not installed")


def test_busybox_rootfs_is_deterministic_and_complete() -> None:
    try:
        data = busybox_rootfs_tar()
    except DaemonUnavailable as exc:  # no busybox-static
        pytest.skip(exc.reason)
    assert busybox_rootfs_tar() == data
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        members = {m.name: m for m in tar.getmembers()}
    assert members["bin/busybox"].isfile() and members["bin/busybox"].mode == 0o755
    for applet in ("sh", "echo", "cat", "sleep", "true", "env", "id", "printf"):
        assert members[f"bin/{applet}"].issym() and members[f"bin/{applet}"].linkname == "busybox"
    assert members["tmp"].mode == 0o1777


def test_client_env_ignores_inherited_docker_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCKER_HOST", "tcp://must-not-be-used:2375")
    monkeypatch.setenv("DOCKER_CONTEXT", "elsewhere")
    env = client_env("unix:///tmp/x.sock", config_dir="/tmp/nowhere")
    assert env["DOCKER_HOST"] == "unix:///tmp/x.sock"
    assert "DOCKER_CONTEXT" not in env
    assert env["DOCKER_CONFIG"] == "/tmp/nowhere"


@pytest.mark.realdaemon
def test_dockerd_ping_and_version(real_dockerd: Daemon) -> None:
    status, headers, body = unix_http(real_dockerd.socket, "GET", "/_ping")
    assert (status, body) == (200, b"OK")
    assert headers["Api-Version"] == "1.41"
    assert headers["Server"].startswith("Docker/20.10")
    assert real_dockerd.api_version == "1.41"
    assert real_dockerd.startup_seconds < 30


@pytest.mark.realdaemon
@pytest.mark.parametrize("cli", [CLI28, CLI20], ids=["cli28", "cli20"])
def test_dockerd_runs_busybox(real_dockerd: Daemon, cli: str) -> None:
    _need_cli(cli)
    image_id = import_busybox(real_dockerd)
    assert image_id.startswith("sha256:")
    result = run_cli(real_dockerd, "run", "--rm", "--network", "none", "busybox", "echo", "hi", cli=cli)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "hi\n"


@pytest.mark.realdaemon
def test_podman_runs_busybox(real_podman: Daemon) -> None:
    _need_cli(CLI28)
    import_busybox(real_podman)
    result = run_cli(real_podman, "run", "--rm", "--network", "none", "busybox", "echo", "hi")
    if result.returncode != 0:
        pytest.skip(f"podman cannot run containers here: {result.stderr.strip()[-500:]}")
    assert result.stdout == "hi\n"
