"""The real docker CLIs and docker-py against the image catalog: real configs come through pull, run and
inspect with the shapes clients parse."""

from __future__ import annotations

import json

import docker as dockerpy
import pytest

from tests.clients_support import DockerCLI, cli_params, docker_for, module_server

server = pytest.fixture(scope="module")(module_server)


@pytest.fixture(params=cli_params())
def docker(request, server) -> DockerCLI:
    return docker_for(request, server)


def test_run_alpine_prints_alpines_os_release(docker):
    out = docker("run", "--rm", "alpine", "cat", "/etc/os-release")
    assert out.splitlines()[:3] == ['NAME="Alpine Linux"', "ID=alpine", "VERSION_ID=3.24.1"]
    assert "Debian GNU/Linux 13 (trixie)" in docker("run", "--rm", "debian", "cat", "/etc/os-release")


def test_inspect_shows_the_published_config(docker):
    docker("pull", "nginx")
    cfg = json.loads(docker("image", "inspect", "nginx"))[0]["Config"]
    assert cfg["Entrypoint"] == ["/docker-entrypoint.sh"] and cfg["Cmd"] == ["nginx", "-g", "daemon off;"]
    assert cfg["ExposedPorts"] == {"80/tcp": {}} and cfg["StopSignal"] == "SIGQUIT"
    docker("create", "--name", "web", "nginx")
    container = json.loads(docker("inspect", "web"))[0]
    assert container["Config"]["Entrypoint"] == ["/docker-entrypoint.sh"]
    assert container["Config"]["StopSignal"] == "SIGQUIT"
    assert docker("image", "inspect", "-f", "{{.Os}}/{{.Architecture}}", "nginx") == "linux/amd64\n"


def test_docker_py_sees_the_catalog_image(server):
    server.reset()
    client = dockerpy.DockerClient(base_url=server.host, timeout=30)
    try:
        image = client.images.pull("postgres", tag="16")
        assert image.tags == ["postgres:16"]
        assert image.attrs["Config"]["Volumes"] == {"/var/lib/postgresql/data": {}}
        assert any(e.startswith("PGDATA=") for e in image.attrs["Config"]["Env"])
        again = client.images.pull("postgres", tag="16.15")
        assert again.id == image.id  # one build, several tags
    finally:
        client.close()
