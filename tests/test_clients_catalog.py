"""The real docker CLIs and docker-py against the image catalog: real configs come through pull, run and
inspect with the shapes clients parse."""

from __future__ import annotations

import json

import docker as dockerpy
import pytest

from mockd.pytest_plugin import MockdServer
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


@pytest.fixture(scope="module")
def strict_server():
    server = MockdServer(["--registry", "strict"]).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.mark.parametrize("cli", cli_params())
def test_strict_registry_gives_docker_hubs_errors(strict_server, cli):
    strict_server.reset()
    docker = DockerCLI("strict", cli, strict_server)
    proc = docker.run("pull", "ngnix", check=False)
    assert proc.returncode == 1
    assert ("Error response from daemon: pull access denied for ngnix, repository does not exist or may require "
            "'docker login': denied: requested access to the resource is denied") in proc.err
    proc = docker.run("pull", "redis:9.9.9", check=False)
    assert proc.returncode == 1
    assert "Error response from daemon: manifest for redis:9.9.9 not found: manifest unknown: manifest unknown" \
        in proc.err
    proc = docker.run("run", "--rm", "ngnix", check=False)
    assert proc.returncode == 125 and "Unable to find image 'ngnix:latest' locally" in proc.err
    assert ("docker: Error response from daemon: pull access denied for ngnix, repository does not exist or may "
            "require 'docker login'") in proc.err
    assert "Digest: sha256:" in docker("pull", "redis:7")
    strict_server.reset()  # the mode outlives a reset
    assert docker.run("pull", "acme/app", check=False).returncode == 1


DENIED = ("pull access denied for {}, repository does not exist or may require 'docker login': denied: requested "
          "access to the resource is denied")


def test_strict_registry_status_on_the_wire_and_through_docker_py(strict_server):
    """dockerd answers a registry's refusal before any progress: a plain 404 with the message (docker-py's
    NotFound); the catalog's images pull by tag, by a fully qualified name and by digest."""
    strict_server.reset()
    for query, message in (("fromImage=ngnix&tag=latest", DENIED.format("ngnix")),
                           ("fromImage=redis&tag=9.9.9",
                            "manifest for redis:9.9.9 not found: manifest unknown: manifest unknown")):
        status, headers, body = strict_server.request("POST", f"/v1.41/images/create?{query}")
        assert (status, json.loads(body)) == (404, {"message": message})
        assert headers["Content-Type"] == "application/json"
    client = dockerpy.DockerClient(base_url=strict_server.host, timeout=30)
    try:
        with pytest.raises(dockerpy.errors.NotFound) as denied:
            client.images.pull("ngnix", tag="latest")
        assert denied.value.status_code == 404 and denied.value.explanation == DENIED.format("ngnix")
        for repo, tag in (("nginx", "1.31-alpine"), ("docker.io/library/postgres", "16"),
                          ("testcontainers/ryuk", "0.14.0")):
            assert client.images.pull(repo, tag=tag).attrs["RepoTags"]
        digest = client.images.get("postgres:16").attrs["RepoDigests"][0]
        client.images.remove("postgres:16")
        assert client.images.pull(digest).attrs["RepoDigests"] == [digest]
    finally:
        client.close()
