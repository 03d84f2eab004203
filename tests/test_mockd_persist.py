"""`mockd --data-root`: the state survives clean stops and SIGKILL, acknowledged writes are durable, a torn last
record is tolerated, and a foreign, corrupt or newer state directory is refused."""

from __future__ import annotations

import asyncio
import json
import os
import random
import struct

import aiohttp
import pytest

from mockd.engine import Engine
from mockd.persist.journal import CorruptState, frame, read_records
from mockd.persist.service import PersistedEngine
from tests.persist_support import MockdProcess, run_refused

CLIENTS = 16
WRITES = 1000


async def _pull(s: aiohttp.ClientSession) -> None:
    async with s.post("/images/create?fromImage=busybox&tag=latest") as r:
        assert r.status == 200
        await r.read()


async def _state(s: aiohttp.ClientSession) -> tuple[dict, dict, dict]:
    async with s.get("/containers/json?all=1") as r:
        containers = {c["Names"][0].lstrip("/"): c for c in await r.json()}
    async with s.get("/volumes") as r:
        volumes = {v["Name"]: v for v in (await r.json())["Volumes"] or []}
    async with s.get("/networks") as r:
        networks = {n["Name"]: n for n in await r.json()}
    return containers, volumes, networks


async def _one_write(s: aiohttp.ClientSession, i: int, acked_volumes: list[str],
                     removing: set[str]) -> tuple[str, str] | None:
    """One write; returns (kind, name) once the daemon acknowledged it."""
    kind = ("container", "volume", "network", "remove-volume")[i % 4]
    if kind == "remove-volume" and not acked_volumes:
        kind = "volume"
    if kind == "container":
        name = f"c{i}"
        req = s.post(f"/containers/create?name={name}",
                     json={"Image": "busybox", "Cmd": ["true"], "Labels": {"n": str(i)}, "Env": [f"N={i}"]})
    elif kind == "volume":
        name = f"v{i}"
        req = s.post("/volumes/create", json={"Name": name, "Labels": {"n": str(i)}})
    elif kind == "network":
        name = f"n{i}"
        req = s.post("/networks/create", json={"Name": name, "Labels": {"n": str(i)}})
    else:
        name = acked_volumes.pop(random.randrange(len(acked_volumes)))
        removing.add(name)  # from now on its removal may be durable, acknowledged or not
        req = s.delete(f"/volumes/{name}")
    async with req as r:
        await r.read()
        assert r.status in (200, 201, 204), (kind, name, r.status)
    if kind == "volume":
        acked_volumes.append(name)
    return kind, name


async def _burst(server: MockdProcess, kill_after: int) -> tuple[int, list[tuple[str, str]], set[str]]:
    """WRITES writes from CLIENTS clients; SIGKILL once kill_after are acknowledged.
    (sent, acknowledged, volumes whose removal was sent)."""
    acked: list[tuple[str, str]] = []
    removing: set[str] = set()
    acked_volumes: list[str] = []
    counter = iter(range(WRITES))
    sent = 0
    killed = asyncio.Event()

    async def client() -> None:
        nonlocal sent
        async with server.session() as s:
            for i in counter:
                sent += 1
                try:
                    done = await _one_write(s, i, acked_volumes, removing)
                except (TimeoutError, aiohttp.ClientError, OSError):
                    return  # the daemon is gone
                if done is not None:
                    acked.append(done)
                if len(acked) >= kill_after and not killed.is_set():
                    killed.set()
                    server.kill()

    await asyncio.gather(*(client() for _ in range(CLIENTS)))
    return sent, acked, removing


def _check_survived(containers: dict, volumes: dict, networks: dict, acked: list[tuple[str, str]],
                    removing: set[str]) -> None:
    for kind, name in acked:
        if kind == "container":
            assert name in containers, name
        elif kind == "volume" and name not in removing:  # a removal in flight at the kill may have landed
            assert name in volumes, name
        elif kind == "network":
            assert name in networks, name
        elif kind == "remove-volume":
            assert name not in volumes, name
    # Nothing half-applied: whatever exists (acknowledged or not) is whole.
    for name, c in containers.items():
        if name.startswith("c"):
            assert c["Labels"] == {"n": name[1:]} and c["Image"] == "busybox", c
    for name, v in volumes.items():
        assert v["Labels"] == {"n": name[1:]}, v
    for name, n in networks.items():
        if name not in ("bridge", "host", "none"):
            assert n["Labels"] == {"n": name[1:]}, n


def _survived(containers: dict, volumes: dict, networks: dict, acked: list[tuple[str, str]],
              removing: set[str]) -> int:
    """How many acknowledged changes the restarted daemon shows (a removal: the volume is absent)."""
    present = {"container": containers, "network": networks}
    return sum(1 for kind, name in acked
               if (kind == "remove-volume" and name not in volumes)
               or (kind == "volume" and (name in volumes or name in removing))
               or (kind in present and name in present[kind]))


def _crash_run(tmp_path, torn: bytes = b"") -> dict:
    root = str(tmp_path / "root")
    server = MockdProcess(str(tmp_path), root).start()

    async def first() -> tuple[int, list]:
        async with server.session() as s:
            await _pull(s)
        return await _burst(server, kill_after=WRITES // 2)

    sent, acked, removing = asyncio.run(first())
    assert server.proc is not None and server.proc.returncode == -9
    if torn:
        journals = [n for n in os.listdir(root) if n.startswith("journal-")]
        with open(os.path.join(root, journals[0]), "ab") as f:
            f.write(torn)
    server.start()

    async def after() -> tuple[dict, dict, dict]:
        async with server.session() as s:
            got = await _state(s)
            async with s.post("/volumes/create", json={"Name": "after", "Labels": {"n": "fter"}}) as r:
                assert r.status == 201
            return got

    containers, volumes, networks = asyncio.run(after())
    server.kill()
    _check_survived(containers, volumes, networks, acked, removing)
    server.start()  # the write after the torn tail is kept too
    survived = asyncio.run(_names_after(server))
    server.stop()
    assert "after" in survived
    figures = {"sent": sent, "acknowledged": len(acked),
               "survived": _survived(containers, volumes, networks, acked, removing)}
    print("crash figures:", json.dumps(figures))
    return figures


async def _names_after(server: MockdProcess) -> set[str]:
    async with server.session() as s:
        _c, volumes, _n = await _state(s)
    return set(volumes)


def test_sigkill_during_burst_keeps_every_acknowledged_write(tmp_path):
    figures = _crash_run(tmp_path)
    assert figures["acknowledged"] >= WRITES // 2


def test_torn_last_record_is_tolerated(tmp_path):
    # A record header promising 4 KiB followed by a few bytes: the write the crash cut short.
    _crash_run(tmp_path, torn=struct.pack("<II", 4096, 0) + b"\x80\x05partial")


def test_clean_stop_restores_as_dockerd(tmp_path):
    root = str(tmp_path / "root")
    server = MockdProcess(str(tmp_path), root).start()

    async def setup() -> dict[str, str]:
        async with server.session() as s:
            await _pull(s)
            ids = {}
            for name, policy in (("plain", "no"), ("always", "always"), ("unless", "unless-stopped"),
                                 ("stopped", "unless-stopped")):
                async with s.post(f"/containers/create?name={name}", json={
                        "Image": "busybox", "Cmd": ["sleep", "1000"], "StopTimeout": 1,
                        "HostConfig": {"RestartPolicy": {"Name": policy}}}) as r:
                    ids[name] = (await r.json())["Id"]
                async with s.post(f"/containers/{name}/start") as r:
                    assert r.status == 204
            async with s.post("/containers/stopped/stop?t=1") as r:
                assert r.status == 204
            return ids

    ids = asyncio.run(setup())
    assert server.stop() == 0
    server.start()

    async def check() -> dict[str, dict]:
        async with server.session() as s:
            out = {}
            for name in ids:
                async with s.get(f"/containers/{name}/json") as r:
                    out[name] = await r.json()
            return out

    got = asyncio.run(check())
    server.stop()
    assert {n: c["Id"] for n, c in got.items()} == ids
    assert got["plain"]["State"]["Status"] == "exited" and got["plain"]["State"]["ExitCode"] != 255
    assert got["always"]["State"]["Running"] and got["unless"]["State"]["Running"]
    assert got["stopped"]["State"]["Status"] == "exited"


def test_after_sigkill_running_containers_exited_255(tmp_path):
    root = str(tmp_path / "root")
    server = MockdProcess(str(tmp_path), root).start()

    async def setup() -> None:
        async with server.session() as s:
            await _pull(s)
            async with s.post("/containers/create?name=run", json={"Image": "busybox", "Cmd": ["sleep", "1000"]}):
                pass
            async with s.post("/containers/run/start") as r:
                assert r.status == 204
            async with s.post("/containers/create?name=again", json={
                    "Image": "busybox", "Cmd": ["sleep", "1000"],
                    "HostConfig": {"RestartPolicy": {"Name": "always"}}}):
                pass
            async with s.post("/containers/again/start") as r:
                assert r.status == 204

    asyncio.run(setup())
    server.kill()
    server.start()

    async def check() -> tuple[dict, dict]:
        async with server.session() as s:
            async with s.get("/containers/run/json") as r:
                run = await r.json()
            async with s.get("/containers/again/json") as r:
                again = await r.json()
            return run, again

    run, again = asyncio.run(check())
    server.stop()
    assert run["State"]["Status"] == "exited" and run["State"]["ExitCode"] == 255
    assert again["State"]["Running"]


def test_reset_clears_the_persisted_state(tmp_path):
    root = str(tmp_path / "root")
    server = MockdProcess(str(tmp_path), root).start()

    async def setup() -> None:
        async with server.session() as s:
            async with s.post("/volumes/create", json={"Name": "gone"}) as r:
                assert r.status == 201
            async with s.post("/_mockd/reset") as r:
                assert r.status == 200
            async with s.post("/volumes/create", json={"Name": "kept"}) as r:
                assert r.status == 201

    asyncio.run(setup())
    server.kill()
    server.start()
    names = asyncio.run(_names_after(server))
    server.stop()
    assert names == {"kept"}


def test_foreign_directory_is_refused(tmp_path):
    root = tmp_path / "root"
    root.mkdir()
    (root / "something").write_text("not mockd's")
    done = run_refused(str(root), str(tmp_path))
    assert done.returncode == 1 and "not a mockd data root" in done.stderr


def test_newer_format_is_refused_with_its_version(tmp_path):
    root = tmp_path / "root"
    root.mkdir()
    (root / "mockd-state.json").write_text(json.dumps({"format": "mockd-state", "version": 99}))
    done = run_refused(str(root), str(tmp_path))
    assert done.returncode == 1 and "version 99 is newer" in done.stderr


def test_corrupt_snapshot_is_refused(tmp_path):
    root = str(tmp_path / "root")
    PersistedEngine(Engine(), root)
    with open(os.path.join(root, "snapshot-1.bin"), "wb") as f:
        f.write(b"garbage")
    done = run_refused(root, str(tmp_path))
    assert done.returncode == 1 and "unreadable snapshot" in done.stderr


def test_bad_record_before_good_ones_is_corruption(tmp_path):
    path = str(tmp_path / "journal")
    good, bad = frame(b"one"), bytearray(frame(b"two"))
    bad[-1] ^= 0xFF
    with open(path, "wb") as f:
        f.write(good + bytes(bad) + good)
    with pytest.raises(CorruptState, match="checksum"):
        read_records(path)
    with open(path, "wb") as f:
        f.write(good + bytes(bad))  # the same bad record last: a torn write, dropped
    assert read_records(path) == ([b"one"], len(good))


def test_many_containers_load_whole(tmp_path):
    root = str(tmp_path / "root")
    engine = Engine()
    engine.pull("busybox")
    ids = {engine.create_container({"Image": "busybox", "Cmd": ["true"]}, name=f"c{i}")[0].id for i in range(500)}
    PersistedEngine(engine, root)
    loaded = Engine()
    PersistedEngine(loaded, root)
    assert set(loaded.containers) == ids
    assert all(c.image.id == loaded.images.find("busybox").id for c in loaded.containers.values())


def test_two_daemons_on_one_data_root_are_refused(tmp_path):
    from mockd.cli import _configs, build_parser

    root = str(tmp_path / "root")
    args = build_parser().parse_args(["--data-root", root, "--daemon", f"unix://{tmp_path}/a.sock",
                                      "--daemon", f"unix://{tmp_path}/b.sock"])
    with pytest.raises(ValueError, match="data root .* is given to daemons 1 and 2"):
        _configs(args)


def test_files_written_into_a_volume_survive_sigkill(tmp_path):
    root = str(tmp_path / "root")
    server = MockdProcess(str(tmp_path), root).start()

    async def write() -> None:
        async with server.session() as s:
            await _pull(s)
            async with s.post("/containers/create?name=writer", json={
                    "Image": "busybox", "Cmd": ["sh", "-c", "echo kept > /data/f"],
                    "HostConfig": {"Binds": ["files:/data"]}}) as r:
                assert r.status == 201
            async with s.post("/containers/writer/start") as r:
                assert r.status == 204
            async with s.post("/containers/writer/wait") as r:
                assert (await r.json())["StatusCode"] == 0
            # The wait's headers went out before the exit (as dockerd's): the next answered write is the one
            # after which everything before it, the container's files included, is on disk.
            async with s.post("/volumes/create", json={"Name": "marker"}) as r:
                assert r.status == 201

    asyncio.run(write())
    server.kill()
    server.start()

    async def read() -> bytes:
        async with server.session() as s:
            async with s.get("/containers/writer/archive?path=/data/f") as r:
                assert r.status == 200
                return await r.read()

    data = asyncio.run(read())
    server.stop()
    assert b"kept\n" in data
