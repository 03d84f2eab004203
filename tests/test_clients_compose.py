"""docker-compose 1.29 (Debian package) against mockd: up -d, ps, logs, exec, down -v, depends_on healthy."""

from __future__ import annotations

import os
import subprocess

import pytest

from tests.clients_support import module_server

COMPOSE = "/usr/bin/docker-compose"
pytestmark = pytest.mark.skipif(not os.path.exists(COMPOSE), reason=f"{COMPOSE} is not installed")
server = pytest.fixture(scope="module")(module_server)

COMPOSE_FILE = """
version: "3.7"
services:
  web:
    image: busybox
    command: ["sh", "-c", "echo web up; echo $$GREETING; sleep 1000"]
    environment:
      GREETING: hello-compose
    volumes:
      - data:/data
    networks: [back]
    labels:
      tier: front
  worker:
    image: busybox
    command: ["sh", "-c", "echo worker ready; sleep 1000"]
    networks: [back]
volumes:
  data: {}
networks:
  back: {}
"""


def compose(server, project_dir, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    env = server.env()
    proc = subprocess.run([COMPOSE, "-p", "demo", *args], cwd=project_dir, env=env, capture_output=True,
                          timeout=120, stdin=subprocess.DEVNULL)
    if check and proc.returncode != 0:
        raise AssertionError(f"docker-compose {' '.join(args)} -> {proc.returncode}\n{proc.stdout.decode()}\n"
                             f"{proc.stderr.decode()}")
    return proc


def test_compose_up_ps_logs_exec_down(server, tmp_path):
    server.reset()
    (tmp_path / "docker-compose.yml").write_text(COMPOSE_FILE)
    up = compose(server, tmp_path, "up", "-d")
    assert "Creating demo_web_1" in up.stderr.decode() and "Creating demo_worker_1" in up.stderr.decode()
    ps = compose(server, tmp_path, "ps").stdout.decode()
    assert "demo_web_1" in ps and "demo_worker_1" in ps and ps.count(" Up ") == 2
    logs = compose(server, tmp_path, "logs", "--no-color", "web").stdout.decode()
    assert "web up" in logs and "hello-compose" in logs
    out = compose(server, tmp_path, "exec", "-T", "web", "sh", "-c", "echo saved > /data/f; cat /data/f")
    assert out.stdout.decode() == "saved\n"
    status, _, body = server.request("GET", "/volumes/demo_data")
    assert status == 200
    status, _, body = server.request("GET", "/networks/demo_back")
    assert status == 200 and b'"Name":"demo_back"' in body.replace(b" ", b"")
    down = compose(server, tmp_path, "down", "-v", "-t", "1")
    err = down.stderr.decode()
    assert "Removing demo_web_1" in err and "Removing network demo_back" in err and "Removing volume demo_data" in err
    status, _, body = server.request("GET", "/containers/json?all=1")
    assert status == 200 and body.strip() == b"[]"
    assert server.request("GET", "/volumes/demo_data")[0] == 404


HEALTH_FILE = """
version: "2.4"
services:
  db:
    image: busybox
    command: ["sh", "-c", "sleep 0.5; touch /ready; sleep 1000"]
    healthcheck:
      test: ["CMD", "test", "-f", "/ready"]
      interval: 200ms
      retries: 10
  app:
    image: busybox
    command: ["echo", "app-started"]
    depends_on:
      db:
        condition: service_healthy
"""


def test_compose_depends_on_service_healthy(server, tmp_path):
    """Regression: healthchecks were not run, so `condition: service_healthy` could never be met."""
    (tmp_path / "docker-compose.yml").write_text(HEALTH_FILE)
    compose(server, tmp_path, "up", "-d")
    ps = compose(server, tmp_path, "ps").stdout.decode()
    assert "Up (healthy)" in ps and "Exit 0" in ps, ps
    assert compose(server, tmp_path, "logs", "--no-color", "app").stdout.decode().rstrip().endswith("app-started")
    compose(server, tmp_path, "down", "-t", "0")
