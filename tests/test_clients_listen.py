"""Issue 11's acceptance through real clients: `docker run -p 0:80 busybox httpd` reached from the host,
pytest-docker-tools' own readiness wait, aiodocker's python fixture container from python:3.13-alpine."""

from __future__ import annotations

import asyncio
import os
import socket
import textwrap
import urllib.error
import urllib.request
from pathlib import Path

import aiodocker
import pytest

from mockd.pytest_plugin import MockdServer
from tests.clients_support import CLIS, DockerCLI

CLI28 = CLIS["cli28"]
SITE = "mkdir -p /www && echo hello-from-httpd > /www/index.html && exec httpd -f -p 80 -h /www"


@pytest.fixture(scope="module")
def server():
    with MockdServer([]) as mock:  # default --publish-ports=loopback: published ports listen on 127.0.0.1
        yield mock


@pytest.fixture
def docker(server) -> DockerCLI:
    if not os.path.exists(CLI28):
        pytest.skip(f"{CLI28} (docker CLI 28) is not installed")
    server.reset()
    return DockerCLI("cli28", CLI28, server)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_of(docker: DockerCLI, name: str) -> int:
    first = docker("port", name, "80/tcp").splitlines()[0]
    assert first.startswith("0.0.0.0:"), first
    return int(first.rsplit(":", 1)[1])


def fetch(port: int, path: str = "/") -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


def test_busybox_httpd_on_port_zero_is_reached_from_the_host(docker):
    docker("run", "-d", "--name", "web1", "-p", "0:80", "busybox", "httpd", "-f", "-p", "80")
    docker("run", "-d", "--name", "web2", "-p", "0:80", "busybox", "sh", "-c", SITE)
    first, second = port_of(docker, "web1"), port_of(docker, "web2")
    assert first != second and 0 not in (first, second)
    # web1 serves its cwd (/), which has no index.html: busybox's 404 page, from the program in the container.
    status, body = fetch(first)
    assert status == 404 and b"<H1>404 Not Found</H1>" in body
    assert fetch(second) == (200, b"hello-from-httpd\n")
    listening = docker("exec", "web2", "cat", "/proc/net/tcp")
    assert [int(line.split()[1].split(":")[1], 16) for line in listening.splitlines()[1:]] == [80]
    fixed = free_port()
    docker("run", "-d", "--name", "web3", "-p", f"{fixed}:80", "busybox", "httpd", "-f", "-p", "80")
    proc = docker.run("run", "-d", "--name", "web4", "-p", f"{fixed}:80", "busybox", "httpd", "-f", "-p", "80",
                      check=False)
    assert proc.returncode == 125
    assert f"): Bind for 0.0.0.0:{fixed} failed: port is already allocated" in proc.err
    docker("stop", "-t", "0", "web2")
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", second), timeout=5)
    docker("rm", "-f", "web1", "web2", "web3", "web4")


def test_pytest_docker_tools_waits_for_a_listening_program(pytester: pytest.Pytester, server, monkeypatch):
    """Its `container` fixture factory, as its users write it: the fixture returns once `ready()` (which reads
    /proc/net/tcp through an exec) sees the exposed port listening."""
    pytest.importorskip("pytest_docker_tools")
    server.reset()
    for key, value in server.env().items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("PYTHONPATH", str(Path(__file__).resolve().parent.parent))
    pytester.makepyfile(textwrap.dedent('''
        from pytest_docker_tools import container, fetch

        image = fetch(repository="busybox:latest")
        web = container(image="{image.id}", command=["sh", "-c", "sleep 2; exec nc -lk -p 8000"],
                        ports={"8000/tcp": None}, timeout=30)

        def test_ready(web):
            assert web.status == "running"
            assert "8000" in web.get_open_tcp_ports()
            assert web.ports["8000/tcp"][0] != "0"
    '''))
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-s")
    result.assert_outcomes(passed=1)
    assert "Waiting for container to be ready.." in result.stdout.str()  # it did wait: not ready at first


async def test_aiodockers_python_fixture_container_from_python_alpine(server):
    server.reset()
    async with aiodocker.Docker(url=server.host) as client:
        await client.images.pull("python:3.13-alpine")
        # aiodocker's own test fixture (`shell_container`): python with stdin open and a tty.
        config = {"Cmd": ["python"], "Image": "python:3.13-alpine", "AttachStdin": False, "AttachStdout": False,
                  "AttachStderr": False, "Tty": True, "OpenStdin": True}
        c = await client.containers.create(config)
        await c.start()
        await asyncio.sleep(0.2)
        assert (await c.show())["State"]["Status"] == "running"
        ex = await c.exec(["echo", "in-exec"])
        async with ex.start(detach=False) as stream:
            out = b""
            while (msg := await stream.read_out()) is not None:
                out += msg.data
        assert out.replace(b"\r", b"") == b"in-exec\n" and (await ex.inspect())["ExitCode"] == 0
        await c.resize(h=40, w=120)
        await c.pause()
        assert (await c.show())["State"]["Status"] == "paused"
        await c.unpause()
        await c.restart(timeout=1)
        assert (await c.show())["State"]["Status"] == "running"
        await c.stop(t=1)
        assert (await c.show())["State"]["ExitCode"] == 137  # PID 1 ignored SIGTERM: killed after the timeout
        inited = await client.containers.create({**config, "HostConfig": {"Init": True}})
        await inited.start()
        await inited.stop(t=5)
        assert (await inited.show())["State"]["ExitCode"] == 143  # the init forwarded SIGTERM
        await c.delete(force=True)
        await inited.delete(force=True)
