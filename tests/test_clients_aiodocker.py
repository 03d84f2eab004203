"""aiodocker driving mockd: run, logs, exec (hijacked), attach over the websocket, archives, images, events."""

from __future__ import annotations

import asyncio
import io
import tarfile

import aiodocker
import pytest

from tests.clients_support import module_server

server = pytest.fixture(scope="module")(module_server)


@pytest.fixture
async def docker(server):
    server.reset()
    client = aiodocker.Docker(url=server.host)
    await client.images.pull("busybox:latest")
    yield client
    await client.close()


async def test_run_wait_logs(docker):
    c = await docker.containers.run({"Image": "busybox", "Cmd": ["sh", "-c", "echo out; echo err >&2; exit 4"]},
                                    name="job")
    assert (await c.wait())["StatusCode"] == 4
    assert await c.log(stdout=True) == ["out\n"]
    assert await c.log(stderr=True) == ["err\n"]
    info = await c.show()
    assert info["State"]["ExitCode"] == 4 and info["Name"] == "/job"
    await c.delete()
    with pytest.raises(aiodocker.DockerError) as err:
        await docker.containers.get("job")
    assert err.value.status == 404 and err.value.message == "No such container: job"


async def test_exec_hijacked(docker):
    c = await docker.containers.run({"Image": "busybox", "Cmd": ["sleep", "100"]})
    ex = await c.exec(["sh", "-c", "read x; echo got $x; echo e >&2"], stdin=True)
    async with ex.start(detach=False) as stream:
        await stream.write_in(b"value\n")
        frames = []
        while (msg := await stream.read_out()) is not None:
            frames.append((msg.stream, msg.data))
    assert frames == [(1, b"got value\n"), (2, b"e\n")]
    assert (await ex.inspect())["ExitCode"] == 0
    await c.delete(force=True)


async def test_attach_websocket(docker):
    c = await docker.containers.create({"Image": "busybox", "Cmd": ["cat"], "OpenStdin": True,
                                        "AttachStdin": True, "AttachStdout": True})
    ws = await c.websocket(stdin=True, stdout=True, stream=True)
    await c.start()
    await ws.send_bytes(b"over websocket\n")
    msg = await asyncio.wait_for(ws.receive(), 5)
    assert msg.data == b"over websocket\n"
    await ws.close()
    await c.kill()
    await c.delete(force=True)


async def test_attach_websocket_to_a_tty_goes_through_the_terminal(docker):
    """dockerd's websocket attach feeds a TTY container's terminal: the input is echoed, CR ends the line, and
    the detach keys end the session (aiodocker's test_stdio_stdin looks for the echo)."""
    c = await docker.containers.run({"Image": "busybox", "Cmd": ["cat"], "OpenStdin": True, "Tty": True})
    ws = await c.websocket(stdin=True, stdout=True, stream=True)
    await ws.send_bytes(b"typed\r")
    received = b""
    while received.count(b"typed\r\n") < 2:  # the terminal's echo, then cat's copy
        received += (await asyncio.wait_for(ws.receive(), 5)).data
    assert received == b"typed\r\ntyped\r\n"
    for key in (b"\x10", b"\x11"):  # ctrl-p ctrl-q, one read each (moby's escape proxy matches per read)
        await ws.send_bytes(key)
    assert (await asyncio.wait_for(ws.receive(), 5)).type.name in ("CLOSE", "CLOSED", "CLOSING")
    assert (await c.show())["State"]["Running"]  # detached: the container runs on
    await c.delete(force=True)


async def test_archive_and_lifecycle(docker):
    c = await docker.containers.run({"Image": "busybox", "Cmd": ["sleep", "100"]}, name="box")
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        info = tarfile.TarInfo("a.txt")
        info.size = 2
        tar.addfile(info, io.BytesIO(b"a\n"))
    await c.put_archive("/tmp", buf.getvalue())
    archive = await c.get_archive("/tmp/a.txt")
    assert archive.extractfile("a.txt").read() == b"a\n"
    await c.pause()
    assert (await c.show())["State"]["Status"] == "paused"
    await c.unpause()
    await c.rename("box2")
    await c.stop(t=1)
    assert (await c.show())["State"]["ExitCode"] == 137  # PID 1 ignores SIGTERM
    await c.restart(timeout=1)
    assert (await c.show())["State"]["Running"] is True
    await c.kill(signal="SIGKILL")
    await c.delete()


async def test_images_volumes_networks_events(docker):
    assert "busybox:latest" in (await docker.images.inspect("busybox"))["RepoTags"]
    await docker.images.tag("busybox", repo="me/aio", tag="v1")
    assert any("me/aio:v1" in (i["RepoTags"] or []) for i in await docker.images.list())
    vol = await docker.volumes.create({"Name": "aiovol"})
    assert (await vol.show())["Name"] == "aiovol"
    net = await docker.networks.create({"Name": "aionet"})
    assert (await net.show())["Name"] == "aionet"
    await net.delete()
    await vol.delete()
    events = docker.events.subscribe(filters={"type": ["volume"]})
    await asyncio.sleep(0.3)  # the subscription's GET /events is sent by a background task
    await docker.volumes.create({"Name": "live"})
    event = await asyncio.wait_for(events.get(), 5)
    assert (event["Type"], event["Action"], event["Actor"]["ID"]) == ("volume", "create", "live")
    await docker.events.stop()


async def test_platform_refusals_and_build_cache_prune(docker):
    """dockerd 20.10's answers (aiodocker's own suite checks them): a bad platform is a 400 before a pull or a
    build starts; the build cache prune deletes nothing and says so with null."""
    with pytest.raises(aiodocker.DockerError) as err:
        await docker.images.pull("hello-world", platform="foo")
    assert err.value.status == 400
    assert err.value.message == '"foo": unknown operating system or architecture: invalid argument'
    context = io.BytesIO()
    with tarfile.open(fileobj=context, mode="w:gz") as tar:
        info = tarfile.TarInfo("Dockerfile")
        info.size = len(b"FROM busybox\n")
        tar.addfile(info, io.BytesIO(b"FROM busybox\n"))
    with pytest.raises(aiodocker.DockerError) as err:
        await docker.images.build(fileobj=io.BytesIO(context.getvalue()), encoding="gzip", platform="foo")
    assert err.value.status == 400
    assert await docker.images.prune_builds(all_builds=True) == {"CachesDeleted": None, "SpaceReclaimed": 0}
