"""docker-py (high- and low-level API) driving mockd through the same workflow as the CLIs."""

from __future__ import annotations

import io
import tarfile
import time

import docker
import pytest
from docker.errors import APIError, ContainerError, ImageNotFound, NotFound

from tests.clients_support import module_server

server = pytest.fixture(scope="module")(module_server)


@pytest.fixture
def client(server):
    server.reset()
    c = docker.DockerClient(base_url=server.host, timeout=30)
    yield c
    c.close()


def test_version_ping_info(client):
    assert client.ping() is True
    assert client.version()["ApiVersion"] == "1.56"
    assert client.info()["Containers"] == 0


def test_run_foreground_and_errors(client):
    assert client.containers.run("busybox", ["echo", "hi"], remove=True) == b"hi\n"
    with pytest.raises(ContainerError) as err:
        client.containers.run("busybox", ["sh", "-c", "echo bad >&2; exit 2"], remove=True)
    assert err.value.exit_status == 2 and b"bad" in err.value.stderr
    with pytest.raises(APIError, match="executable file not found"):
        client.containers.run("busybox", ["nosuch"], remove=True)
    with pytest.raises(NotFound, match="No such container: ghost"):
        client.containers.get("ghost")
    with pytest.raises(ImageNotFound):
        client.images.get("ghost")


def test_detached_logs_exec_lifecycle(client):
    c = client.containers.run("busybox", ["sh", "-c", "echo ready; sleep 100"], detach=True, name="web",
                              environment={"FOO": "bar"}, labels={"app": "x"}, ports={"80/tcp": 8080})
    time.sleep(0.1)
    c.reload()
    assert c.status == "running" and c.labels == {"app": "x"}
    assert c.ports == {"80/tcp": [{"HostIp": "0.0.0.0", "HostPort": "8080"}, {"HostIp": "::", "HostPort": "8080"}]}
    assert c.logs() == b"ready\n"
    assert [x.name for x in client.containers.list(filters={"label": "app=x"})] == ["web"]
    code, out = c.exec_run(["sh", "-c", "echo $FOO"])
    assert (code, out) == (0, b"bar\n")
    code, (stdout, stderr) = c.exec_run(["sh", "-c", "echo o; echo e >&2"], demux=True)
    assert (stdout, stderr) == (b"o\n", b"e\n")
    assert "sleep 100" in str(c.top()["Processes"])
    stats = c.stats(stream=False)
    assert stats["name"] == "/web" and stats["id"] == c.id
    streamed = c.stats(stream=True, decode=True)
    first, second = next(streamed), next(streamed)
    assert second["precpu_stats"]["cpu_usage"]["total_usage"] == first["cpu_stats"]["cpu_usage"]["total_usage"]
    cpu, pre = second["cpu_stats"], second["precpu_stats"]  # the CLI's CPU % formula: both counters in ns
    percent = ((cpu["cpu_usage"]["total_usage"] - pre["cpu_usage"]["total_usage"])
               / (cpu["system_cpu_usage"] - pre["system_cpu_usage"]) * cpu["online_cpus"] * 100)
    assert 0 <= percent < 5, percent
    streamed.close()
    c.pause()
    c.reload()
    assert c.status == "paused"
    c.unpause()
    c.rename("web2")
    c.stop(timeout=1)
    assert c.wait()["StatusCode"] == 137  # PID 1 ignores SIGTERM
    c.start()
    c.kill()
    assert c.wait() == {"StatusCode": 137}  # engines from 23.0 omit an empty Error (20.10 sent null)
    c.remove()
    assert client.containers.list(all=True) == []


def test_attach_socket_and_stdin(client):
    api = client.api
    client.images.pull("busybox", tag="latest")
    cid = api.create_container("busybox", ["cat"], stdin_open=True)["Id"]  # docker-py sets StdinOnce with it
    sock = api.attach_socket(cid, params={"stdin": 1, "stdout": 1, "stream": 1})
    api.start(cid)
    raw = sock._sock
    raw.sendall(b"through attach\n")
    raw.shutdown(1)
    data = b""
    while chunk := raw.recv(4096):
        data += chunk
    assert data == b"\x01\x00\x00\x00\x00\x00\x00\x0fthrough attach\n"
    assert api.wait(cid)["StatusCode"] == 0


def test_archive_volumes_networks(client):
    c = client.containers.run("busybox", ["sleep", "100"], detach=True, volumes={"vol": {"bind": "/data"}})
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        info = tarfile.TarInfo("put.txt")
        info.size = 4
        tar.addfile(info, io.BytesIO(b"put\n"))
    assert c.put_archive("/data", buf.getvalue())
    bits, stat = c.get_archive("/data/put.txt")
    assert stat["name"] == "put.txt" and stat["size"] == 4
    with tarfile.open(fileobj=io.BytesIO(b"".join(bits))) as tar:
        assert tar.extractfile("put.txt").read() == b"put\n"
    assert c.diff() == [{"Path": "/data", "Kind": 1}]  # the mount point; the volume's files are not in the layer
    assert client.volumes.get("vol").name == "vol"
    c.remove(force=True)
    assert client.containers.run("busybox", ["cat", "/data/put.txt"], volumes=["vol:/data"], remove=True) == b"put\n"
    net = client.networks.create("backend", ipam=docker.types.IPAMConfig(
        pool_configs=[docker.types.IPAMPool(subnet="10.40.0.0/24")]))
    c = client.containers.run("busybox", ["sleep", "100"], detach=True, network="backend")
    c.reload()
    assert c.attrs["NetworkSettings"]["Networks"]["backend"]["IPAddress"] == "10.40.0.2"
    net.reload()
    assert list(net.attrs["Containers"]) == [c.id]
    c.remove(force=True)
    net.remove()
    assert client.volumes.prune()["VolumesDeleted"] == []  # named volumes survive prune at API >= 1.42
    client.volumes.get("vol").remove()


def test_images_build_commit_save_load(client):
    image = client.images.pull("busybox", tag="latest")
    assert "busybox:latest" in image.tags
    image.tag("me/box", "v2")
    assert sorted(client.images.get("me/box:v2").tags) == ["busybox:latest", "me/box:v2"]
    assert image.history()[0]["CreatedBy"].endswith('CMD ["sh"]')
    ctx = io.BytesIO()
    with tarfile.open(fileobj=ctx, mode="w") as tar:
        data = b'FROM busybox\nRUN echo built > /b.txt\nCMD ["cat", "/b.txt"]\n'
        info = tarfile.TarInfo("Dockerfile")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    built, logs = client.images.build(fileobj=io.BytesIO(ctx.getvalue()), custom_context=True, tag="pybuilt:1")
    assert "pybuilt:1" in built.tags and any("Step 1/3" in x.get("stream", "") for x in logs)
    assert client.containers.run("pybuilt:1", remove=True) == b"built\n"
    c = client.containers.run("busybox", ["sh", "-c", "echo c > /c.txt"], detach=True)
    c.wait()
    snap = c.commit("snap", "v1", changes=['CMD ["cat", "/c.txt"]'])
    assert client.containers.run(snap.id, remove=True) == b"c\n"
    saved = b"".join(client.images.get("pybuilt:1").save(named=True))
    client.images.remove("pybuilt:1")
    loaded = client.images.load(saved)
    assert loaded[0].tags == ["pybuilt:1"]
    assert client.images.search("nginx")[0]["name"] == "nginx"


def test_events_stream(client):
    since = int(time.time()) - 1
    client.containers.run("busybox", ["true"], name="ev", remove=True)
    events = client.events(since=since, until=int(time.time()) + 1, decode=True, filters={"container": "ev"})
    # docker-py's run does not attach: create, start, wait, logs, remove.
    assert [e["Action"] for e in events] == ["create", "start", "die", "destroy"]
