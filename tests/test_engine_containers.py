"""Engine unit tests: containers, the process model, exec, files, volumes, networks, events."""

from __future__ import annotations

import asyncio
import io
import tarfile

import pytest

from mockd.engine import Conflict, Engine, EngineError, NotFound, NotModified


def run_body(*cmd: str, **extra) -> dict:
    return {"Image": "busybox", "Cmd": list(cmd), **extra}


def output(c) -> str:
    return b"".join(e.data for e in c.logs).decode()


@pytest.fixture
def engine() -> Engine:
    e = Engine()
    e.pull("busybox")
    return e


async def run(engine: Engine, *cmd: str, name: str = "", **extra):
    c, _ = engine.create_container(run_body(*cmd, **extra), name)
    fut = engine.wait_future(c.id, "next-exit")
    engine.start_container(c.id)
    code = await asyncio.wait_for(fut, 5)
    return c, code


async def test_echo_and_exit_code(engine):
    c, code = await run(engine, "echo", "hi")
    assert code == 0 and output(c) == "hi\n" and c.status == "exited"
    c, code = await run(engine, "sh", "-c", "echo out; echo err >&2; exit 3")
    assert code == 3
    assert [(e.stream, e.data) for e in c.logs] == [(1, b"out\n"), (2, b"err\n")]


async def test_environment_hostname_user_workdir(engine):
    c, _ = await run(engine, "sh", "-c", "echo $FOO; hostname; id -u; pwd", Env=["FOO=bar"], User="nobody",
                     WorkingDir="/work")
    assert output(c).splitlines() == ["bar", c.id[:12], "65534", "/work"]


async def test_etc_hosts_has_dockerd_lines_and_extra_hosts(engine):
    """Regression: `--add-host` entries were missing from /etc/hosts (dockerd 20.10's file, measured)."""
    c, _ = await run(engine, "cat", "/etc/hosts", HostConfig={"ExtraHosts": ["foo:1.2.3.4", "bar:::1", "baz=10.0.0.1",
                                                                             "host.docker.internal:host-gateway"],
                                                              "NetworkMode": "none"})
    assert output(c).splitlines() == [
        "127.0.0.1\tlocalhost", "::1\tlocalhost ip6-localhost ip6-loopback", "fe00::0\tip6-localnet",
        "ff00::0\tip6-mcastprefix", "ff02::1\tip6-allnodes", "ff02::2\tip6-allrouters",
        "1.2.3.4\tfoo", "::1\tbar", "10.0.0.1\tbaz", "172.17.0.1\thost.docker.internal"]


async def test_read_only_rootfs(engine):
    """Regression: `--read-only` was not enforced; the rootfs refuses writes, mounts and /etc/hosts do not."""
    c, code = await run(engine, "sh", "-c", "touch /x; echo a > /tmp/y; mkdir /d; echo h >> /etc/hosts; "
                                            "echo ok > /dev/null; echo v > /v/f; cat /v/f",
                        HostConfig={"ReadonlyRootfs": True, "Tmpfs": {"/v": ""}})
    assert output(c).splitlines() == ["touch: /x: Read-only file system", "sh: can't create /tmp/y: Read-only file "
                                      "system", "mkdir: can't create directory '/d': Read-only file system", "v"]
    assert not c.rootfs.exists("/x") and c.rootfs.read("/etc/hosts").endswith(b"h\n")


async def test_healthcheck_probes_status_events_and_filter(engine):
    """Regression: healthchecks were ignored (no State.Health, no "(healthy)" in `docker ps`, `health=` filter)."""
    hc = {"Test": ["CMD-SHELL", "test -f /tmp/ok && echo fine"], "Interval": 40_000_000, "Retries": 2}
    c, _ = engine.create_container(run_body("sh", "-c", "sleep 0.4; touch /tmp/ok; sleep 100", Healthcheck=hc), "hc")
    engine.start_container(c.id)
    assert c.state_view()["Health"] == {"Status": "starting", "FailingStreak": 0, "Log": []}
    assert c.status_text().endswith("(health: starting)")
    assert [x.name for x in engine.list_containers(filters={"health": ["starting"]})] == ["hc"]
    for _ in range(100):
        await asyncio.sleep(0.02)
        if c.health["Status"] == "healthy":
            break
    health = c.state_view()["Health"]
    assert health["Status"] == "healthy" and health["FailingStreak"] == 0 and len(health["Log"]) <= 5
    assert health["Log"][-1]["ExitCode"] == 0 and health["Log"][-1]["Output"] == "fine\n"
    assert health["Log"][0]["ExitCode"] == 1 and c.status_text().endswith("(healthy)")
    actions = [e.action for e in engine.events.history if e.actor_id == c.id]
    assert [a for a in actions if a.startswith("health_status")] == ["health_status: unhealthy",
                                                                      "health_status: healthy"]
    assert [x.name for x in engine.list_containers(filters={"health": ["healthy"]})] == ["hc"]
    assert engine.list_containers(filters={"health": ["none"]}) == []
    await engine.remove_container(c.id, force=True)
    plain, _ = await run(engine, "true")
    assert "Health" not in plain.state_view()


async def test_missing_executable_is_a_start_error(engine):
    c, _ = engine.create_container(run_body("nosuch"), "")
    with pytest.raises(EngineError) as err:
        engine.start_container(c.id)
    assert err.value.status == 400 and 'exec: "nosuch": executable file not found in $PATH' in err.value.message
    assert c.exit_code == 127 and c.status == "created"


async def test_name_conflict_and_missing_image(engine):
    c, _ = engine.create_container(run_body("true"), "web")
    with pytest.raises(Conflict) as err:
        engine.create_container(run_body("true"), "web")
    assert err.value.message == (f'Conflict. The container name "/web" is already in use by container "{c.id}". '
                                 "You have to remove (or rename) that container to be able to reuse that name.")
    with pytest.raises(NotFound, match="No such image: nope:latest"):
        engine.create_container({"Image": "nope", "Cmd": ["true"]})
    with pytest.raises(NotFound, match="No such container: ghost"):
        engine.container("ghost")


async def test_wait_before_start_and_stdin(engine):
    c, _ = engine.create_container(run_body("cat", OpenStdin=True, StdinOnce=True))
    fut = engine.wait_future(c.id, "next-exit")
    queue = c.subscribe()
    engine.start_container(c.id)
    c.stdin.feed(b"hello\n")
    c.stdin.close()
    assert await asyncio.wait_for(fut, 5) == 0
    assert await queue.get() == (1, b"hello\n")
    assert await queue.get() is None


async def test_stop_kill_restart_pause(engine):
    c, _ = engine.create_container(run_body("sleep", "100"))
    engine.start_container(c.id)
    with pytest.raises(NotModified):
        engine.start_container(c.id)
    engine.pause_container(c.id)
    assert c.status == "paused"
    engine.unpause_container(c.id)
    await engine.stop_container(c.id, timeout=0)
    assert c.status == "exited" and c.exit_code == 137  # PID 1 ignores SIGTERM: killed after the timeout
    await engine.restart_container(c.id, timeout=1)
    assert c.status == "running"
    await engine.kill_container(c.id, "KILL")
    assert c.exit_code == 137
    with pytest.raises(Conflict, match="is not running"):
        await engine.kill_container(c.id)


async def test_signals_pid1_trap_and_init(engine):
    trapped, _ = engine.create_container(run_body("sh", "-c", "trap 'echo bye; exit 0' TERM; "
                                                  "while true; do sleep 1; done"))
    engine.start_container(trapped.id)
    await asyncio.sleep(0.05)
    await engine.stop_container(trapped.id, timeout=5)
    assert trapped.exit_code == 0 and output(trapped) == "bye\n"
    with_init, _ = engine.create_container(run_body("sleep", "100", HostConfig={"Init": True}))
    engine.start_container(with_init.id)
    await engine.stop_container(with_init.id, timeout=5)
    assert with_init.exit_code == 143
    plain, _ = engine.create_container(run_body("sleep", "100"))
    engine.start_container(plain.id)
    await engine.kill_container(plain.id, "TERM")  # ignored by PID 1
    assert plain.status == "running"
    await engine.kill_container(plain.id)
    assert plain.exit_code == 137


async def test_auto_remove_and_removed_condition(engine):
    c, _ = engine.create_container(run_body("echo", "bye", HostConfig={"AutoRemove": True}))
    fut = engine.wait_future(c.id, "removed")
    engine.start_container(c.id)
    assert await asyncio.wait_for(fut, 5) == 0
    assert engine.find_container(c.id) is None
    actions = [e.action for e in engine.events.history if e.type == "container"]
    assert actions == ["create", "start", "die", "destroy"]


async def test_remove_running_needs_force(engine):
    c, _ = engine.create_container(run_body("sleep", "100"))
    engine.start_container(c.id)
    with pytest.raises(Conflict, match="You cannot remove a running container"):
        await engine.remove_container(c.id)
    await engine.remove_container(c.id, force=True)
    assert c.id not in engine.containers


async def test_exec(engine):
    c, _ = engine.create_container(run_body("sleep", "100"))
    engine.start_container(c.id)
    ex = engine.create_exec(c.id, {"Cmd": ["sh", "-c", "echo in-exec; exit 4"], "AttachStdout": True})
    q = ex.subscribe()
    engine.start_exec(ex.id)
    await asyncio.wait_for(ex.done.wait(), 5)
    assert ex.exit_code == 4 and (await q.get()) == (1, b"in-exec\n")
    await engine.remove_container(c.id, force=True)


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


async def test_networks(engine):
    net = engine.create_network({"Name": "backend", "IPAM": {"Config": [{"Subnet": "10.9.0.0/24"}]}})
    c, _ = engine.create_container(run_body("sleep", "100", HostConfig={"NetworkMode": "backend"}))
    engine.start_container(c.id)
    settings = c.networks["backend"]
    assert settings["IPAddress"] == "10.9.0.2" and settings["Gateway"] == "10.9.0.1"
    engine.connect_network("bridge", c.id, {"Aliases": ["web"]})
    assert c.networks["bridge"]["IPAddress"].startswith("172.17.")
    with pytest.raises(EngineError, match="has active endpoints"):
        engine.remove_network("backend")
    await engine.stop_container(c.id, timeout=0)
    engine.disconnect_network("backend", c.id)
    engine.remove_network(net.id)
    with pytest.raises(NotFound, match="network backend not found"):
        engine.networks.get("backend")


async def test_events_filtering(engine):
    from mockd.engine.events import matches

    c, _ = await run(engine, "true", name="evt")
    events = engine.events.since(None, None, {"container": ["evt"], "event": ["die"]})
    assert len(events) == 1 and events[0].attributes["exitCode"] == "0"
    assert events[0].to_dict()["Actor"]["Attributes"]["name"] == "evt"
    assert not matches(events[0], {"type": ["image"]})


async def test_restart_policy_on_failure(engine):
    c, _ = engine.create_container(run_body("false", HostConfig={
        "RestartPolicy": {"Name": "on-failure", "MaximumRetryCount": 2}}))
    engine.start_container(c.id)
    for _ in range(50):
        await asyncio.sleep(0.05)
        if c.restart_count == 2 and c.status == "exited":
            break
    assert c.restart_count == 2 and c.status == "exited" and c.exit_code == 1


async def test_user_rules():
    from mockd.engine.seed import parse_seed

    e = Engine(parse_seed("""
images: [{ref: "myapp:1", cmd: ["myapp", "serve"], files: {/usr/bin/myapp: "#!mockd builtin\\n"}}]
rules: [{image: "myapp*", command: "myapp serve*", stdout: "listening\\n", exit_code: 0}]
"""))
    c, code = await run(e, "myapp", "serve", Image="myapp:1")
    assert code == 0 and output(c) == "listening\n"


async def test_reset_returns_to_seed():
    from mockd.engine.seed import parse_seed

    e = Engine(parse_seed("""
images: [{ref: "app:1"}]
volumes: [{name: data, files: {/hello: "hi"}}]
containers: [{name: web, image: "app:1", state: running, cmd: "sleep 100"}, {name: old, image: "app:1",
              state: exited, exit_code: 3}]
"""))
    e.ensure_ready()
    assert e.container("web").status == "running" and e.container("old").exit_code == 3
    e.create_volume("extra")
    e.reset()
    e.ensure_ready()
    assert sorted(e.volumes.volumes) == ["data"] and e.container("web").status == "running"
    assert e.volumes.get("data").tree.read("/hello") == b"hi"
    await e.remove_container("web", force=True)
