"""The catalog's service programs through real clients (issue 12): nginx's page on a published port, redis answering
redis-cli (in the container, from a peer container by name) and a real redis client from the host, postgres'
pg_isready, and testcontainers for Python with its reaper Ryuk on, including Ryuk reaping what a killed test
process left behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
import urllib.request

import pytest

from mockd.pytest_plugin import MockdServer
from tests.clients_support import DockerCLI, eventually, fresh_cli, serving_server

server = pytest.fixture(scope="module")(serving_server)


@pytest.fixture
def docker(server) -> DockerCLI:
    return fresh_cli(server)


def host_port(docker: DockerCLI, name: str, port: str) -> int:
    return int(docker("port", name, port).splitlines()[0].rsplit(":", 1)[1])


def test_nginx_serves_its_page_logs_its_start_and_stops_at_once(docker):
    docker("run", "-d", "--name", "web", "-p", "0:80", "nginx")
    port = host_port(docker, "web", "80/tcp")
    page = eventually(lambda: urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5).read())
    assert b"<title>Welcome to nginx!</title>" in page
    logs = docker.run("logs", "web")
    assert "Configuration complete; ready for start up" in logs.out + logs.err
    started = time.monotonic()
    docker("stop", "web")
    assert time.monotonic() - started < 1.5 and docker("inspect", "-f", "{{.State.ExitCode}}", "web") == "0\n"


def test_redis_answers_its_cli_a_peer_and_a_host_client(docker):
    redis = pytest.importorskip("redis")
    docker("network", "create", "svc")
    docker("run", "-d", "--name", "cache", "--network", "svc", "-p", "0:6379", "redis:7")
    assert eventually(lambda: docker("exec", "cache", "redis-cli", "ping")) == "PONG\n"
    assert docker("run", "--rm", "--network", "svc", "redis:7", "redis-cli", "-h", "cache", "ping") == "PONG\n"
    client = redis.Redis(host="127.0.0.1", port=host_port(docker, "cache", "6379/tcp"))
    assert client.ping() is True
    client.set("k", "v")
    assert client.get("k") == b"v" and client.incr("n") == 1
    client.close()
    docker("stop", "cache")
    assert docker("inspect", "-f", "{{.State.ExitCode}}", "cache") == "0\n"


def test_postgres_is_ready_for_pg_isready(docker):
    docker("run", "-d", "--name", "db", "-e", "POSTGRES_PASSWORD=pw", "postgres:16")
    out = eventually(lambda: docker("exec", "db", "pg_isready", "-U", "postgres"))
    assert "accepting connections" in out
    logs = docker.run("logs", "db")
    assert (logs.out + logs.err).count("database system is ready to accept connections") == 2


def test_database_probes_reach_a_peer_by_name(docker):
    """pg_isready and mysqladmin ping over TCP: the server's own service name and a peer's, refused and unknown."""
    docker("network", "create", "dbs")
    docker("run", "-d", "--name", "pg", "--network", "dbs", "-e", "POSTGRES_PASSWORD=pw", "postgres:16")
    docker("run", "-d", "--name", "my", "--network", "dbs", "-e", "MYSQL_ROOT_PASSWORD=pw", "mysql:8.4")
    assert eventually(lambda: docker("exec", "pg", "pg_isready", "-h", "pg")) == "pg:5432 - accepting connections\n"
    probe = ("run", "--rm", "--network", "dbs", "postgres:16")
    assert docker(*probe, "pg_isready", "-h", "pg", "-p", "5432") == "pg:5432 - accepting connections\n"
    refused = docker.run(*probe, "pg_isready", "-h", "pg", "-p", "5433", check=False)
    assert (refused.returncode, refused.out) == (2, "pg:5433 - no response\n")
    unknown = docker.run(*probe, "pg_isready", "-h", "nosuch", check=False)
    assert (unknown.returncode, unknown.out) == (2, "nosuch:5432 - no response\n")
    ping = ("run", "--rm", "--network", "dbs", "mysql:8.4", "mysqladmin", "ping")
    assert eventually(lambda: docker(*ping, "-h", "my", "-ppw"), seconds=30) == "mysqld is alive\n"
    refused = docker.run(*ping, "-h", "my", "-P", "3307", check=False)
    assert refused.returncode == 1 and "Can't connect to MySQL server on 'my:3307' (111)" in refused.err
    unknown = docker.run(*ping, "-h", "nosuch", check=False)
    assert unknown.returncode == 1 and "Unknown MySQL server host 'nosuch' (-2)" in unknown.err


TC_SCRIPT = textwrap.dedent("""
    import sys
    from testcontainers.core.container import DockerContainer
    from testcontainers.redis import RedisContainer
    with RedisContainer("redis:7") as r:
        client = r.get_client()
        client.set("a", "1")
        assert client.get("a") == b"1"
    left = DockerContainer("busybox").with_command("sleep 1000").with_name("left-behind")
    left.start()
    print("started", flush=True)
    if sys.argv[1] == "kill-me":
        import time
        time.sleep(60)  # killed here: only Ryuk cleans up
""")


def _tc_env(server: MockdServer) -> dict[str, str]:
    env = {**os.environ, "DOCKER_HOST": server.host, "RYUK_RECONNECTION_TIMEOUT": "1s",
           # mockd publishes on 127.0.0.1; inside a container (these machines have /.dockerenv) testcontainers
           # would otherwise connect to the bridge gateway, an address mockd does not have (README).
           "TESTCONTAINERS_HOST_OVERRIDE": "127.0.0.1", "TESTCONTAINERS_CONNECTION_MODE": "docker_host"}
    env.pop("TESTCONTAINERS_RYUK_DISABLED", None)
    return env


def test_testcontainers_python_with_ryuk_runs_and_ryuk_reaps_a_killed_session(server, docker, tmp_path):
    pytest.importorskip("testcontainers.redis")
    script = tmp_path / "tc.py"
    script.write_text(TC_SCRIPT)
    proc = subprocess.Popen([sys.executable, str(script), "kill-me"], env=_tc_env(server), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    try:
        assert proc.stdout is not None and proc.stdout.readline() == b"started\n", proc.stderr.read() if proc.stderr else b""
        names = docker("ps", "--format", "{{.Names}}").split()
        assert "left-behind" in names and any(n.startswith("testcontainers-ryuk-") for n in names)
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait(10)

    def reaped() -> None:
        assert docker("ps", "-a", "--format", "{{.Names}}").split() == []  # the session's container and Ryuk

    eventually(reaped, seconds=15)


MYSQL_SCRIPT = textwrap.dedent("""
    from testcontainers.mysql import MySqlContainer
    with MySqlContainer("mysql:8.4") as mysql:  # waits for "ready for connections" twice: temporary server, server
        print(mysql.exec(["mysqladmin", "ping", "-h", "localhost"]).output.decode(), end="")
""")


def test_testcontainers_python_mysql_container_starts(server, docker, tmp_path):
    pytest.importorskip("testcontainers.mysql")
    script = tmp_path / "tc_mysql.py"
    script.write_text(MYSQL_SCRIPT)
    proc = subprocess.run([sys.executable, "-W", "ignore::DeprecationWarning", str(script)], env=_tc_env(server),
                          capture_output=True, text=True, timeout=120)
    assert (proc.returncode, proc.stdout) == (0, "mysqld is alive\n"), proc.stderr
