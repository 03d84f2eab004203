"""Seeding (POST /_mockd/seed, mockd --seed, MOCKD_SEED), process rules, registry refusals and logins, seen by the real CLIs."""

from __future__ import annotations

import subprocess
import sys

import pytest

from mockd.pytest_plugin import MockdServer
from tests.clients_support import CLIS, DockerCLI, cli_params, module_server

server = pytest.fixture(scope="module")(module_server)

SEED = """
images:
  - ref: acme/app:1.0
    cmd: ["/app/run.sh"]
    env: ["MODE=prod"]
    files:
      /app/run.sh: "#!/bin/sh\\necho app in $MODE mode\\n"
registry:
  refusals:
    - {pattern: "private/*", kind: denied}
    - {pattern: "busybox:nope", kind: manifest-unknown}
  credentials: {alice: secret}
rules:
  - {image: "acme/*", command: "migrate*", stdout: "migrated 3 tables\\n", exit_code: 0}
  - {image: "*", command: "flaky", stderr: "boom\\n", exit_code: 42}
volumes:
  - {name: appdata, files: {/seeded.txt: "from seed\\n"}}
networks:
  - {name: backend, subnet: 10.50.0.0/24}
containers:
  - {name: web, image: "acme/app:1.0", state: running, cmd: "sleep 1000", network: backend,
     volumes: ["appdata:/data"], logs: "old line\\n"}
  - {name: old, image: "acme/app:1.0", state: exited, exit_code: 3}
"""


@pytest.fixture(params=cli_params())
def docker(request, server) -> DockerCLI:
    status, _, body = server.request("POST", "/_mockd/seed", body=SEED, headers={"Content-Type": "application/yaml"})
    assert status == 200, body
    name = next(n for n, p in CLIS.items() if p == request.param)
    return DockerCLI(name, request.param, server)


def test_seeded_objects(docker):
    assert sorted(docker("ps", "-a", "--format", "{{.Names}} {{.State}}").splitlines()) == ["old exited",
                                                                                             "web running"]
    assert docker("inspect", "-f", "{{.State.ExitCode}}", "old") == "3\n"
    assert docker("logs", "web") == "old line\n"
    assert docker("exec", "web", "cat", "/data/seeded.txt") == "from seed\n"
    assert docker("inspect", "-f", "{{.NetworkSettings.Networks.backend.IPAddress}}", "web") == "10.50.0.2\n"
    assert docker("run", "--rm", "acme/app:1.0") == "app in prod mode\n"  # a seeded script run by the shell


def test_rules_script_the_app(docker):
    assert docker("run", "--rm", "acme/app:1.0", "migrate", "--all") == "migrated 3 tables\n"
    proc = docker.run("run", "--rm", "busybox", "flaky", check=False)
    assert (proc.returncode, proc.err.splitlines()[-1]) == (42, "boom")


def test_registry_refusals_and_login(docker):
    proc = docker.run("pull", "private/thing", check=False)
    assert proc.returncode == 1
    assert ("pull access denied for private/thing, repository does not exist or may require 'docker login': "
            "denied: requested access to the resource is denied") in proc.err
    proc = docker.run("pull", "busybox:nope", check=False)
    assert "manifest for busybox:nope not found: manifest unknown: manifest unknown" in proc.err
    proc = docker.run("run", "--rm", "private/thing", check=False)
    assert proc.returncode == 125 and "pull access denied for private/thing" in proc.err
    proc = docker.run("login", "-u", "alice", "--password-stdin", "localhost:5000", input="wrong\n", check=False)
    assert proc.returncode == 1 and "unauthorized: incorrect username or password" in proc.err
    assert "Login Succeeded" in docker("login", "-u", "alice", "--password-stdin", "localhost:5000",
                                       input="secret\n")


def test_reset_returns_to_the_seed(docker, server):
    docker("run", "--name", "extra", "busybox", "true")
    docker("rm", "-f", "web")
    server.reset()
    assert sorted(docker("ps", "-a", "--format", "{{.Names}}").split()) == ["old", "web"]


def test_seed_file_at_startup(tmp_path, monkeypatch):
    seed = tmp_path / "seed.yaml"
    seed.write_text(SEED)
    monkeypatch.setenv("MOCKD_SEED", str(seed))
    with MockdServer([], subprocess_mode=True) as mock:
        cli = DockerCLI("cli28", CLIS["cli28"], mock)
        assert cli("ps", "--format", "{{.Names}}") == "web\n"
        assert cli("volume", "ls", "-q") == "appdata\n"


def test_seed_flag(tmp_path, monkeypatch):
    """`mockd --seed FILE`: the CLI sees the seeded objects, and POST /_mockd/reset returns to them."""
    monkeypatch.delenv("MOCKD_SEED", raising=False)  # the flag alone does it
    seed = tmp_path / "seed.yaml"
    seed.write_text(SEED)
    with MockdServer(["--seed", str(seed)], subprocess_mode=True) as mock:
        cli = DockerCLI("cli28", CLIS["cli28"], mock)
        assert cli("images", "--format", "{{.Repository}}:{{.Tag}}") == "acme/app:1.0\n"
        cli("pull", "busybox")
        cli("rm", "-f", "web")
        cli("volume", "create", "extra")
        assert mock.control("POST", "reset") is not None
        assert cli("images", "--format", "{{.Repository}}:{{.Tag}}") == "acme/app:1.0\n"
        assert sorted(cli("ps", "-a", "--format", "{{.Names}}").split()) == ["old", "web"]
        assert cli("volume", "ls", "-q") == "appdata\n"


def test_seed_flag_refuses_a_bad_file(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("bogus: 1\n")
    proc = subprocess.run([sys.executable, "-m", "mockd.cli", "-H", f"unix://{tmp_path}/d.sock", "--seed", str(bad)],
                          capture_output=True, text=True, timeout=30)
    assert proc.returncode == 2
    assert "--seed" in proc.stderr and "unknown sections ['bogus']" in proc.stderr
    assert not (tmp_path / "d.sock").exists()
