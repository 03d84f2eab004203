"""What runs behind the API, seen by the real clients (docker CLI 28 and 20.10, aiodocker): published ports that
listen, opaque processes that keep running, and the finding that says a program is not simulated."""

from __future__ import annotations

import asyncio
import socket
import time

import aiodocker
import pytest

from mockd.pytest_plugin import MockdServer
from tests.clients_support import CLIS, DockerCLI, cli_params

SEED = """
images:
  - {ref: "python:3.12", cmd: ["python3"], files: {/usr/local/bin/python3: "\\u007fELF opaque",
                                                   /usr/local/bin/python: "\\u007fELF opaque"}}
  - {ref: "nginx:1", cmd: ["nginx", "-g", "daemon off;"], files: {/usr/sbin/nginx: "\\u007fELF opaque"},
     exposed_ports: [80]}
rules:
  - {image: "nginx*", command: "nginx*", scope: start, listen: [80]}
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    seed = tmp_path_factory.mktemp("seed") / "seed.yaml"
    seed.write_text(SEED)
    with MockdServer(["--seed", str(seed)]) as mock:  # default --publish-ports=loopback
        yield mock


@pytest.fixture(params=cli_params())
def docker(request, server) -> DockerCLI:
    server.reset()
    name = next(n for n, p in CLIS.items() if p == request.param)
    return DockerCLI(name, request.param, server)


def connect(port: int, timeout: float = 5) -> socket.socket:
    return socket.create_connection(("127.0.0.1", port), timeout=timeout)


def port_of(docker: DockerCLI, name: str) -> int:
    lines = docker("port", name, "80/tcp").splitlines()
    assert lines[0].startswith("0.0.0.0:"), lines
    return int(lines[0].rsplit(":", 1)[1])


def test_port_zero_gets_a_unique_listening_port_and_conflicts_are_dockerds(docker):
    docker("run", "-d", "--name", "web1", "-p", "0:80", "nginx:1")
    docker("run", "-d", "--name", "web2", "-p", "0:80", "nginx:1")
    first, second = port_of(docker, "web1"), port_of(docker, "web2")
    assert first != second and first >= 1024 and second >= 1024
    with connect(first) as conn:  # accepted and held by the program listening on 80 in the container
        conn.settimeout(0.2)
        with pytest.raises(TimeoutError):
            conn.recv(1)
    proc = docker.run("run", "-d", "--name", "web3", "-p", f"{first}:80", "nginx:1", check=False)
    assert proc.returncode == 125
    assert ("Error response from daemon: driver failed programming external connectivity on endpoint web3 ("
            in proc.err)
    assert f"): Bind for 0.0.0.0:{first} failed: port is already allocated" in proc.err
    assert docker("inspect", "-f", "{{.State.Status}}", "web3") == "created\n"
    docker("stop", "-t", "1", "web1")
    with pytest.raises(ConnectionRefusedError):
        connect(first)
    six = "[::]" if docker.name == "cli28" else "::"  # how each CLI writes the IPv6 binding
    assert docker("port", "web2") == f"80/tcp -> 0.0.0.0:{second}\n80/tcp -> {six}:{second}\n"
    listing = docker("ps", "--format", "{{.Names}} {{.Ports}}", "--filter", "name=web2")
    assert listing == f"web2 0.0.0.0:{second}->80/tcp, {six}:{second}->80/tcp\n"
    docker("rm", "-f", "web2", "web3")


def test_a_host_process_port_gets_the_userland_proxy_error(docker):
    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    holder.listen()
    port = holder.getsockname()[1]
    try:
        proc = docker.run("run", "-d", "--name", "held", "-p", f"{port}:80", "nginx:1", check=False)
    finally:
        holder.close()
    assert proc.returncode == 125
    assert f"Error starting userland proxy: listen tcp4 0.0.0.0:{port}: bind: address already in use" in proc.err


def test_proc_net_tcp_readiness_as_pytest_docker_tools_checks_it(docker):
    docker("run", "-d", "--name", "ready", "-p", "0:80", "nginx:1")
    text = docker("exec", "ready", "cat", "/proc/net/tcp")
    listening = [str(int(line.split()[1].split(":", 1)[1], 16)) for line in text.strip().split("\n")
                 if line.split()[3] == "0A"]
    assert listening == ["80"]
    docker("rm", "-f", "ready")


def test_an_opaque_server_stops_with_sigkill_or_with_init_sigterm(docker, server):
    docker("run", "-d", "--name", "plain", "python:3.12", "python", "app.py")
    docker("run", "-d", "--name", "inited", "--init", "python:3.12", "python", "app.py")
    started = time.monotonic()
    docker("stop", "-t", "1", "plain", "inited")
    assert time.monotonic() - started >= 1  # PID 1 ignored SIGTERM: the timeout passed
    assert docker("inspect", "-f", "{{.State.ExitCode}}", "plain", "inited") == "137\n143\n"
    assert docker("logs", "plain") == ""
    found = [f for f in server.findings() if f["kind"] == "unsimulated-program"]
    assert [(f["name"], f["detail"]) for f in found] == [("python", "program python is not simulated; script it "
                                                                    "with a rule")]
    proc = docker.run("run", "--rm", "python:3.12", "ruby", check=False)
    assert proc.returncode == 127 and 'exec: "ruby": executable file not found in $PATH' in proc.err
    assert docker("run", "--rm", "python:3.12") == ""  # the REPL reads a closed stdin: it ends, 0
    assert docker("run", "--rm", "-i", "python:3.12", input="print('x')\n") == ""  # ends with its input


async def test_aiodockers_python_fixture_keeps_running(server):
    server.reset()
    async with aiodocker.Docker(url=server.host) as client:
        # aiodocker's own test fixture (`shell_container`): python with stdin open and a tty.
        c = await client.containers.create({"Cmd": ["python"], "Image": "python:3.12", "AttachStdin": False,
                                            "AttachStdout": False, "AttachStderr": False, "Tty": True,
                                            "OpenStdin": True})
        await c.start()
        await asyncio.sleep(0.1)
        assert (await c.show())["State"]["Status"] == "running"
        ex = await c.exec(["python", "-c", "print(1)"])
        async with ex.start(detach=False) as stream:
            while await stream.read_out() is not None:
                pass
        assert (await ex.inspect())["ExitCode"] == 0
        await c.resize(h=40, w=120)
        await c.pause()
        assert (await c.show())["State"]["Status"] == "paused"
        await c.unpause()
        await c.restart(timeout=1)
        info = await c.show()
        assert info["State"]["Status"] == "running" and info["RestartCount"] == 0
        await c.stop(t=1)
        assert (await c.show())["State"]["ExitCode"] == 137
        await c.delete(force=True)
