"""The listening BusyBox applets (mockd/engine/shell/builtins/servers.py) through the real docker CLIs: `httpd -f -p`
and `nc -l -p` behind published ports, compared with the real BusyBox httpd run on this host."""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request

import pytest

from mockd.pytest_plugin import MockdServer
from tests.clients_support import CLIS, DockerCLI, cli_params

BUSYBOX = shutil.which("busybox")


@pytest.fixture(scope="module")
def server():
    with MockdServer([]) as mock:
        yield mock


@pytest.fixture(params=cli_params())
def docker(request, server) -> DockerCLI:
    server.reset()
    name = next(n for n, p in CLIS.items() if p == request.param)
    cli = DockerCLI(name, request.param, server)
    cli("pull", "-q", "busybox")
    return cli


def host_port(docker: DockerCLI, name: str, port: str) -> int:
    first = docker("port", name, port).splitlines()[0]
    assert first.startswith("0.0.0.0:"), first
    return int(first.rsplit(":", 1)[1])


def http_get(port: int, path: str = "/") -> tuple[int, dict[str, str], bytes]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as resp:
            return resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers), err.read()


def until(check, seconds: float = 5.0):
    deadline = time.monotonic() + seconds
    while True:
        try:
            return check()
        except (ConnectionError, urllib.error.URLError, AssertionError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


SITE = "mkdir -p /www && echo hello-httpd > /www/index.html && echo plain > /www/a.txt && exec httpd -f -p 80 -h /www"


def test_httpd_serves_the_container_files_on_a_unique_published_port(docker):
    docker("run", "-d", "--name", "site1", "-p", "0:80", "busybox", "sh", "-c", SITE)
    docker("run", "-d", "--name", "site2", "-p", "0:80", "busybox", "httpd", "-f", "-p", "80")
    first, second = host_port(docker, "site1", "80/tcp"), host_port(docker, "site2", "80/tcp")
    assert first != second and first > 0 and second > 0
    status, headers, body = until(lambda: http_get(first))
    assert (status, body) == (200, b"hello-httpd\n")
    assert headers["Content-type"] == "text/html" and headers["Content-Length"] == "12"
    assert re.fullmatch(r'"[0-9a-f]+-c"', headers["ETag"])
    assert http_get(first, "/a.txt")[:1] == (200,) and http_get(first, "/a.txt")[2] == b"plain\n"
    assert http_get(first, "/missing")[0] == 404
    listening = [int(line.split()[1].split(":")[1], 16)
                 for line in docker("exec", "site1", "cat", "/proc/net/tcp").splitlines()[1:] if line.split()[3] == "0A"]
    assert listening == [80]
    proc = docker.run("run", "-d", "--name", "site3", "-p", f"{first}:80", "busybox", "httpd", "-f", "-p", "80",
                      check=False)
    assert proc.returncode == 125 and f"Bind for 0.0.0.0:{first} failed: port is already allocated" in proc.err
    docker("stop", "-t", "1", "site1")
    assert docker("inspect", "-f", "{{.State.ExitCode}}", "site1") == "137\n"  # PID 1 without a SIGTERM handler
    with pytest.raises((ConnectionError, urllib.error.URLError)):
        http_get(first)
    docker("rm", "-f", "site1", "site2", "site3")


def test_httpd_without_f_goes_to_the_background_and_keeps_serving(docker):
    docker("run", "-d", "--name", "bg", "-p", "0:8080", "busybox", "sleep", "1000")
    assert docker("exec", "bg", "sh", "-c", "echo bg-site > /index.html; httpd -p 8080 -h /; echo $?") == "0\n"
    port = host_port(docker, "bg", "8080/tcp")
    assert until(lambda: http_get(port))[2] == b"bg-site\n"
    assert docker("exec", "bg", "wget", "-qO-", "http://localhost:8080/") == "bg-site\n"
    proc = docker.run("exec", "bg", "httpd", "-f", "-p", "8080", check=False)
    assert proc.returncode == 1 and "httpd: bind: Address already in use" in proc.err
    docker("rm", "-f", "bg")


def test_nc_listen_pipes_one_connection_and_ends(docker):
    docker("run", "-d", "--name", "ncl", "-p", "0:9000", "busybox", "nc", "-l", "-p", "9000")
    port = host_port(docker, "ncl", "9000/tcp")
    conn = until(lambda: socket.create_connection(("127.0.0.1", port), timeout=5))
    conn.sendall(b"hello over nc\n")
    conn.close()
    def exited() -> None:
        assert docker("inspect", "-f", "{{.State.Status}} {{.State.ExitCode}}", "ncl") == "exited 0\n"

    until(exited)
    assert docker("logs", "ncl") == "hello over nc\n"
    docker("rm", "-f", "ncl")


@pytest.mark.skipif(BUSYBOX is None, reason="no busybox on this host to compare httpd with")
def test_httpd_answers_as_the_real_busybox_httpd(tmp_path, server):
    """The same requests to the host's BusyBox httpd and to mockd's: status lines, header names in order,
    bodies (dates and ETag/Last-Modified values aside)."""
    site = tmp_path / "www"
    site.mkdir()
    (site / "index.html").write_text("same page\n")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        real_port = s.getsockname()[1]
    real = subprocess.Popen([BUSYBOX, "httpd", "-f", "-p", f"127.0.0.1:{real_port}", "-h", str(site)])
    try:
        server.reset()
        cli = DockerCLI("cli28", next(iter(CLIS.values())), server)
        cli("pull", "-q", "busybox")
        cli("run", "-d", "--name", "cmp", "-p", "0:80", "busybox", "sh", "-c",
            "mkdir /www && echo same page > /www/index.html && exec httpd -f -p 80 -h /www")
        mock_port = host_port(cli, "cmp", "80/tcp")

        def exchange(port: int, request: bytes) -> tuple[list[str], bytes]:
            with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
                conn.sendall(request)
                data = b""
                while chunk := conn.recv(65536):
                    data += chunk
            head, _, body = data.partition(b"\r\n\r\n")
            lines = head.decode().split("\r\n")
            return [lines[0], *[line.split(":", 1)[0] for line in lines[1:]]], body

        for request in (b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", b"HEAD / HTTP/1.1\r\nHost: x\r\n\r\n",
                        b"GET /nope HTTP/1.1\r\nHost: x\r\n\r\n", b"POST / HTTP/1.1\r\nHost: x\r\n\r\n"):
            expected = until(lambda request=request: exchange(real_port, request))
            assert until(lambda request=request: exchange(mock_port, request)) == expected, request
    finally:
        real.terminate()
        real.wait(5)


def test_pytest_docker_tools_readiness_passes_once_httpd_listens(server):
    """pytest-docker-tools' own readiness check (`Container.ready()`: running, an IP on each network, every
    published port LISTENing in `cat /proc/net/tcp /proc/net/tcp6`), on a container that starts listening late."""
    docker_sdk = pytest.importorskip("docker")
    wrappers = pytest.importorskip("pytest_docker_tools.wrappers")
    server.reset()
    client = docker_sdk.DockerClient(base_url=server.host)
    try:
        client.images.pull("busybox", tag="latest")
        raw = client.containers.run("busybox", ["sh", "-c", "sleep 0.5; exec httpd -f -p 80"], detach=True,
                                    ports={"80/tcp": None})
        container = wrappers.Container(raw)
        assert container.ready() is False  # not listening yet
        until(lambda: _asserted(container.ready()), seconds=10)
        assert "80" in container.get_open_tcp_ports()
        raw.remove(force=True)
    finally:
        client.close()


def _asserted(value: bool) -> bool:
    assert value
    return value
