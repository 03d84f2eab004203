"""Node clients against mockd (issue 12): testcontainers for Node with its reaper Ryuk on (GenericContainer("redis:7")
with its default wait, used over RESP and exec, stopped; Ryuk reaping what a SIGKILLed node process left behind; the
HTTP, health-check and log waits, network aliases, copied content) and
a dockerode workflow. The packages are tests/node/package-lock.json's, installed by `.ci/run` (`npm ci`)."""

from __future__ import annotations

import base64
import json
import shutil
import signal
import struct
import subprocess
import time
from pathlib import Path

import pytest

from mockd.pytest_plugin import MockdServer
from tests.clients_support import DockerCLI, eventually, fresh_cli, serving_server

NODE_DIR = Path(__file__).parent / "node"
NODE = shutil.which("node")


def _missing() -> str | None:
    if NODE is None:
        return "node is not installed"
    for package in ("testcontainers", "dockerode"):
        if not (NODE_DIR / "node_modules" / package / "package.json").exists():
            return f"tests/node/node_modules/{package} is missing (run `npm ci --prefix tests/node`)"
    return None


pytestmark = pytest.mark.skipif(_missing() is not None, reason=_missing() or "")


server = pytest.fixture(scope="module")(serving_server)


@pytest.fixture
def docker(server) -> DockerCLI:
    return fresh_cli(server)  # a fresh daemon: no Ryuk of an earlier test for testcontainers to reuse


def node_env(server: MockdServer, tmp_path: Path) -> dict[str, str]:
    env = server.env()
    for name in [k for k in env if k.startswith(("TESTCONTAINERS_", "RYUK_"))]:
        del env[name]
    # mockd publishes on 127.0.0.1 and fakes no bridge gateway: testcontainers must dial loopback (README).
    env["TESTCONTAINERS_HOST_OVERRIDE"] = "127.0.0.1"
    # Ryuk's default is 10 s after its last client went; testcontainers-node passes this on as RYUK_RECONNECTION_TIMEOUT.
    env["TESTCONTAINERS_RYUK_RECONNECTION_TIMEOUT"] = "1s"
    env["HOME"] = str(tmp_path)  # no ~/.testcontainers.properties of the machine
    return env


def run_node(server: MockdServer, tmp_path: Path, script: str, *args: str) -> dict:
    proc = subprocess.run([NODE, script, *args], cwd=NODE_DIR, env=node_env(server, tmp_path), capture_output=True,
                          text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_testcontainers_node_generic_redis_with_ryuk(server, docker, tmp_path):
    since = docker("system", "info", "-f", "{{.SystemTime}}").strip()
    result = run_node(server, tmp_path, "testcontainers_redis.js")
    assert result["host"] == "127.0.0.1"
    assert result["resp"] == "+PONG\r\n"
    assert result["exec"] == {"exitCode": 0, "output": "PONG\n"}
    # Stopped cleanly: a stop (testcontainers sends t=0, so dockerd's SIGKILL follows the SIGTERM at once, and the
    # exit code is whichever came first) and its removal; Ryuk (of this session) stays up.
    until = f"{time.time():.9f}"  # not "0s": the CLI turns a duration into whole seconds, maybe before `since`
    actions = docker("events", "--since", since, "--until", until, "--filter", f"container={result['id']}",
                     "--format", "{{.Action}}").split()
    assert actions[:2] == ["create", "start"] and actions[-3:] == ["die", "stop", "destroy"], actions
    names = docker("ps", "-a", "--format", "{{.Names}}").split()
    assert len(names) == 1 and names[0].startswith("testcontainers-ryuk-"), names


def test_ryuk_reaps_what_a_killed_node_process_left(server, docker, tmp_path):
    proc = subprocess.Popen([NODE, "testcontainers_redis.js", "kill-me"], cwd=NODE_DIR,
                            env=node_env(server, tmp_path), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            stdin=subprocess.DEVNULL)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        if not line.startswith("{"):
            proc.kill()
            pytest.fail(f"node: {line}{proc.stdout.read()}{proc.stderr.read() if proc.stderr else ''}")
        started = json.loads(line)
        assert proc.stdout.readline() == "started\n"
        session = docker("inspect", "-f", '{{index .Config.Labels "org.testcontainers.session-id"}}',
                         started["left"]).strip()
        label = f"label=org.testcontainers.session-id={session}"
        assert len(docker("ps", "-q", "--filter", label).split()) == 3  # redis, left-behind, Ryuk
        assert docker("network", "ls", "-q", "--filter", label).split() != []
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait(10)

    def reaped() -> None:
        assert docker("ps", "-aq", "--filter", label).split() == []
        assert docker("network", "ls", "-q", "--filter", label).split() == []

    eventually(reaped, seconds=15)
    assert docker("ps", "-aq").split() == []


def test_testcontainers_node_wait_strategies_networks_and_copies(server, docker, tmp_path):
    result = run_node(server, tmp_path, "testcontainers_features.js")
    assert result == {"hi": "hello from node\n", "peer": "hello from node\n", "peerRedis": "PONG\n", "logLines": True,
                      "pg": "/var/run/postgresql:5432 - accepting connections\n", "restarted": "PONG\n"}
    names = docker("ps", "-a", "--format", "{{.Names}}").split()
    assert len(names) == 1 and names[0].startswith("testcontainers-ryuk-"), names  # all stopped and removed
    assert docker("network", "ls", "--format", "{{.Name}}").split() == ["bridge", "host", "none"]


def _demux(frames: bytes) -> list[tuple[int, bytes]]:
    out, at = [], 0
    while at < len(frames):
        stream, size = struct.unpack(">BxxxL", frames[at:at + 8])
        out.append((stream, frames[at + 8:at + 8 + size]))
        at += 8 + size
    return out


def test_dockerode_workflow(server, docker, tmp_path):
    result = run_node(server, tmp_path, "dockerode_workflow.js")
    assert _demux(base64.b64decode(result["logs"])) == [(1, b"out-line\n"), (2, b"err-line\n")]
    assert result["exec"] == {"stdout": "42\n", "stderr": ""}
    assert result["execInspect"] == {"ExitCode": 3, "Running": False}
    assert result["inspect"] == {"Name": "/dockerode-box", "Running": True, "Labels": {"by": "dockerode"},
                                 "Image": "busybox:latest"}
    assert result["listed"] == [["/dockerode-box"]]
    # `exec sleep` as PID 1 has no SIGTERM handler: the stop's 1 s runs out and SIGKILL ends it (137).
    assert result["stopped"]["Status"] == "exited" and result["stopped"]["ExitCode"] == 137
    assert result["afterRemove"]["statusCode"] == 404
    assert result["afterRemove"]["message"].startswith("No such container: ")
    assert docker("ps", "-aq") == ""
