"""docker-compose 1.29 (Debian package) against mockd: up -d, ps, logs, exec, down -v, depends_on healthy."""

from __future__ import annotations

import json
import os
import subprocess
import time

import pytest

from tests.clients_support import eventually, module_server

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


STACK_FILE = """
version: "2.4"
services:
  cache:
    image: redis:7
    healthcheck:
      test: ["CMD", "redis-cli", "-h", "cache", "ping"]
      interval: 500ms
      retries: 40
  db:
    image: postgres:16
    environment:
      POSTGRES_PASSWORD: example
    volumes:
      - pgdata:/var/lib/postgresql/data
    healthcheck:
      test: ["CMD-SHELL", "pg_isready -U postgres"]
      interval: 500ms
      retries: 40
  web:
    image: nginx:1.31
    depends_on:
      cache:
        condition: service_healthy
      db:
        condition: service_healthy
    healthcheck:
      test: ["CMD", "curl", "-fsS", "http://web/"]
      interval: 500ms
      retries: 40
volumes:
  pgdata: {}
"""


def _inspect(server, name: str) -> dict:
    status, _, body = server.request("GET", f"/containers/{name}/json")
    assert status == 200, body
    return json.loads(body)


def test_compose_stack_of_catalog_services_comes_up_healthy_and_down_cleans(server, tmp_path):
    """nginx + redis + postgres from the catalog, no seed: each health check is the image's own client (redis-cli,
    pg_isready, curl of its own service name), web starts once both others are healthy; down -v leaves nothing."""
    server.reset()
    (tmp_path / "docker-compose.yml").write_text(STACK_FILE)
    compose(server, tmp_path, "up", "-d")  # returns once web is started: after cache and db were healthy

    def all_healthy() -> str:
        ps = compose(server, tmp_path, "ps").stdout.decode()
        assert ps.count("Up (healthy)") == 3, ps
        return ps

    eventually(all_healthy, seconds=30)
    # The daemon's event order: both dependencies reported healthy before web was started.
    status, _, body = server.request("GET", f"/events?since=0&until={time.time():.9f}")
    assert status == 200
    order = [(e["Actor"]["Attributes"].get("name"), e["Action"]) for e in map(json.loads, body.splitlines())
             if e.get("Type") == "container"]
    started = order.index(("demo_web_1", "start"))
    for dep in ("demo_cache_1", "demo_db_1"):
        assert order.index((dep, "health_status: healthy")) < started, order
    assert "Welcome to nginx!" in _inspect(server, "demo_web_1")["State"]["Health"]["Log"][-1]["Output"]
    assert compose(server, tmp_path, "exec", "-T", "db", "pg_isready", "-h", "db").stdout.decode() == \
        "db:5432 - accepting connections\n"
    compose(server, tmp_path, "stop")
    ps = compose(server, tmp_path, "ps").stdout.decode()
    assert ps.count("Exit 0") == 3, ps  # nginx on SIGQUIT, redis on SIGTERM, postgres on SIGINT: all 0
    down = compose(server, tmp_path, "down", "-v").stderr.decode()
    assert "Removing network demo_default" in down and "Removing volume demo_pgdata" in down, down
    for path in ("/containers/json?all=1", "/volumes", "/networks"):
        status, _, body = server.request("GET", path)
        assert status == 200
        answer = json.loads(body)
        if path == "/volumes":
            assert answer["Volumes"] in (None, []), answer
        elif path == "/networks":
            assert sorted(n["Name"] for n in answer) == ["bridge", "host", "none"]
        else:
            assert answer == []
