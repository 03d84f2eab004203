"""The README's pytest-plugin examples, run for real: docker-py, aiodocker and the docker CLI in a
subprocess against the ``mockd`` fixture, with ``fail_on`` on."""

from __future__ import annotations

import asyncio
import shutil
import subprocess

import pytest


@pytest.mark.mockd(api_version="1.41", fail_on="warning")
def test_dockerpy(mockd, mockd_env):
    docker = pytest.importorskip("docker")
    client = docker.from_env()
    client.images.pull("busybox", tag="latest")
    out = client.containers.run("busybox", ["echo", "hi"], remove=True)
    assert out == b"hi\n"
    assert client.volumes.create("data").name == "data"
    assert mockd.failing("warning") == []  # what fail_on="warning" checks after the test, too


@pytest.mark.mockd(api_version="1.44", fail_on="warning")
def test_aiodocker(mockd, mockd_env):
    aiodocker = pytest.importorskip("aiodocker")

    async def workflow() -> list[str]:
        async with aiodocker.Docker() as client:
            await client.images.pull("busybox:latest")
            await client.volumes.create({"Name": "data"})
            return [v["Name"] for v in (await client.volumes.list())["Volumes"]]

    assert asyncio.run(workflow()) == ["data"]
    assert any(r["path"].startswith("/v1.44/") for r in mockd.requests)


@pytest.mark.mockd(engine_version="25.0", fail_on="warning")
def test_docker_cli(mockd):
    docker = shutil.which("docker")
    if docker is None:
        pytest.skip("no docker CLI on PATH")
    run = subprocess.run([docker, "run", "--rm", "busybox", "echo", "hi"], env=mockd.env(), capture_output=True,
                         text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert run.stdout == "hi\n"
