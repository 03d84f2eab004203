"""Engine unit tests: mounts, volumes and the archive endpoints (`docker cp`)."""

from __future__ import annotations

import io
import tarfile

import pytest

from mockd.engine import Conflict, Engine, EngineError, InvalidParameter, NotFound
from tests.engine_support import busybox_engine, output, run, run_body


@pytest.fixture
def engine() -> Engine:
    return busybox_engine()


async def test_archive_roundtrip_and_changes(engine):
    c, _ = engine.create_container(run_body("sh", "-c", "echo data > /tmp/f"))
    fut = engine.wait_future(c.id, "next-exit")
    engine.start_container(c.id)
    await fut
    stat, data = engine.archive_get(c.id, "/tmp/f")
    assert stat["name"] == "f" and stat["size"] == 5
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        assert tar.extractfile("f").read() == b"data\n"
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        info = tarfile.TarInfo("new.txt")
        info.size = 3
        tar.addfile(info, io.BytesIO(b"abc"))
    engine.archive_put(c.id, "/root", buf.getvalue())
    assert c.fs().read("/root/new.txt") == b"abc"
    changes = {(d["Path"], d["Kind"]) for d in engine.changes(c.id)}
    assert {("/tmp", 0), ("/tmp/f", 1), ("/root", 0), ("/root/new.txt", 1)} <= changes
    with pytest.raises(NotFound, match="Could not find the file /nope"):
        engine.archive_stat(c.id, "/nope")


async def test_volume_data_survives_container(engine):
    c, code = await run(engine, "sh", "-c", "echo kept > /data/f", HostConfig={"Binds": ["vol1:/data"]})
    assert code == 0
    await engine.remove_container(c.id)
    c2, _ = await run(engine, "cat", "/data/f", HostConfig={"Binds": ["vol1:/data:ro"]})
    assert output(c2) == "kept\n"
    with pytest.raises(Conflict, match="volume is in use"):
        engine.remove_volume("vol1")
    c3, code = await run(engine, "sh", "-c", "echo x > /data/g", HostConfig={"Binds": ["vol1:/data:ro"]})
    assert code != 0 and "Read-only" in output(c3)


async def test_volumes_from_and_anonymous(engine):
    a, _ = await run(engine, "sh", "-c", "echo shared > /vol/x", Volumes={"/vol": {}}, name="src")
    b, _ = await run(engine, "cat", "/vol/x", HostConfig={"VolumesFrom": ["src"]})
    assert output(b) == "shared\n"
    anon = a.mounts[0].name
    assert engine.volumes.get(anon).anonymous
    await engine.remove_container(b.id)
    await engine.remove_container(a.id, volumes=True)
    assert anon not in engine.volumes.volumes


async def test_volume_prune_semantics(engine):
    engine.create_volume("named")
    engine.volumes.create("", anonymous=True)
    assert engine.prune_volumes(only_anonymous=True)["VolumesDeleted"] and "named" in engine.volumes.volumes
    assert engine.prune_volumes({"all": ["true"]})["VolumesDeleted"] == ["named"]


def _tar(name: str, data: bytes) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        info = tarfile.TarInfo(name)
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


async def test_archive_paths_relative_to_workdir_and_refusals(engine):
    c, _ = engine.create_container(run_body("true", WorkingDir="/work",
                                            HostConfig={"ReadonlyRootfs": True, "Tmpfs": {"/scratch": ""}}))
    assert engine.archive_stat(c.id, ".")["name"] == "work"
    with pytest.raises(EngineError, match="container rootfs is marked read-only") as err:
        engine.archive_put(c.id, "/work", _tar("a", b"x"))
    assert err.value.status == 403
    engine.archive_put(c.id, "/scratch", _tar("a", b"x"))  # a mount is writable on a read-only rootfs
    assert c.fs().read("/scratch/a") == b"x"
    with pytest.raises(InvalidParameter, match="extraction point is not a directory"):
        engine.archive_put(c.id, "/etc/hostname", _tar("a", b"x"))
    with pytest.raises(NotFound, match="Could not find the file /nope in container"):
        engine.archive_put(c.id, "/nope", _tar("a", b"x"))
    # Go's tar reader in dockerd's untar child: a 500 (measured on 20.10, tests/test_mockd_bad_archives.py)
    with pytest.raises(EngineError, match=r"Error processing tar file\(exit status 1\): archive/tar: invalid tar header"):
        engine.archive_put(c.id, "/scratch", b"not a tar" * 100)
    actions = [e.action for e in engine.events.history if e.actor_id == c.id]
    assert actions == ["create", "extract-to-dir"]


async def test_bind_mounts_share_one_host_directory(engine):
    a, _ = await run(engine, "sh", "-c", "echo from-a > /mnt/f", HostConfig={"Binds": ["/srv/data:/mnt"]})
    b, _ = await run(engine, "cat", "/in/f", HostConfig={"Mounts": [{"Type": "bind", "Source": "/srv/data",
                                                                      "Target": "/in"}]})
    assert output(b) == "from-a\n" and list(engine.binds) == ["/srv/data"]
    assert [(m.type, m.destination, m.rw) for m in a.mounts] == [("bind", "/mnt", True)]
    with pytest.raises(InvalidParameter, match="mount path must be absolute"):
        engine.create_container(run_body("true", HostConfig={"Binds": ["v:relative"]}))


async def test_a_new_volume_is_copied_up_from_the_image(engine):
    c, _ = await run(engine, "ls", "/etc/passwd", HostConfig={"Binds": ["etcvol:/etc"]})
    assert output(c) == "/etc/passwd\n"
    assert engine.volumes.get("etcvol").tree.exists("/passwd")
    assert [v.name for v in engine.list_volumes()] == ["etcvol"]
    assert engine.volume_users("etcvol") == [c.id]


async def test_a_volume_mounted_from_a_subpath(engine):
    """VolumeOptions.Subpath (API 1.45, docker-py's test_create_with_subpath_volume_mount): the container sees
    that directory of the volume, read-only when asked; an absolute subpath or one leaving the volume is
    refused with dockerd's (moby 26) mount-config error."""
    await run(engine, "sh", "-c", "mkdir -p /vol/subdir && echo content > /vol/subdir/f", HostConfig={
        "Binds": ["data:/vol"]})
    mount = {"Type": "volume", "Source": "data", "Target": "/mnt", "ReadOnly": True,
             "VolumeOptions": {"Subpath": "subdir"}}
    c, code = await run(engine, "sh", "-c", "cat /mnt/f; ls /mnt; touch /mnt/x", HostConfig={"Mounts": [mount]})
    assert output(c) == "content\nf\ntouch: /mnt/x: Read-only file system\n" and code == 1
    for bad in ("/subdir", "../other", "subdir/../.."):
        mount["VolumeOptions"] = {"Subpath": bad}
        with pytest.raises(InvalidParameter, match='invalid mount config for type "volume": subpath must be a '
                                                   "relative path within the volume"):
            engine.create_container(run_body("true", HostConfig={"Mounts": [mount]}))
