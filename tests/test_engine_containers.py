"""Engine unit tests: containers (create, config, files, rules, events)."""

from __future__ import annotations

import pytest

from mockd.engine import Conflict, Engine, NotFound
from tests.engine_support import busybox_engine, output, run, run_body


@pytest.fixture
def engine() -> Engine:
    return busybox_engine()


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


async def test_events_filtering(engine):
    from mockd.engine.events import matches

    c, _ = await run(engine, "true", name="evt")
    events = engine.events.since(None, None, {"container": ["evt"], "event": ["die"]})
    assert len(events) == 1 and events[0].attributes["exitCode"] == "0"
    assert events[0].to_dict()["Actor"]["Attributes"]["name"] == "evt"
    assert not matches(events[0], {"type": ["image"]})


async def test_user_rules():
    from mockd.engine.seed import parse_seed

    e = Engine(parse_seed("""
images: [{ref: "myapp:1", cmd: ["myapp", "serve"], files: {/usr/bin/myapp: "#!mockd builtin\\n"}}]
rules: [{image: "myapp*", command: "myapp serve*", stdout: "listening\\n", exit_code: 0}]
"""))
    c, code = await run(e, "myapp", "serve", Image="myapp:1")
    assert code == 0 and output(c) == "listening\n"


async def test_legacy_links_give_the_linked_containers_variables():
    """`--link name:alias` on the default bridge: ALIAS_NAME, ALIAS_PORT* for its exposed ports and ALIAS_ENV_* of
    its Env without HOME and PATH, as moby's daemon/links builds them (docker-py's test_create_with_links)."""
    engine = busybox_engine()
    target, _ = engine.create_container({"Image": "busybox", "Cmd": ["sleep", "100"], "Env": ["FOO=1", "HOME=/x"],
                                         "ExposedPorts": {"80/tcp": {}}}, "db1")
    engine.start_container(target.id)
    ip = target.networks["bridge"]["IPAddress"]
    c, code = await run(engine, "env", name="web1", HostConfig={"Links": ["db1:my-db"]})
    assert code == 0
    lines = set(output(c).splitlines())
    assert {"MY_DB_NAME=/web1/my-db", "MY_DB_ENV_FOO=1", f"MY_DB_PORT=tcp://{ip}:80",
            f"MY_DB_PORT_80_TCP=tcp://{ip}:80", f"MY_DB_PORT_80_TCP_ADDR={ip}", "MY_DB_PORT_80_TCP_PORT=80",
            "MY_DB_PORT_80_TCP_PROTO=tcp"} <= lines
    assert not any(line.startswith(("MY_DB_ENV_HOME", "MY_DB_ENV_PATH")) for line in lines)
    c2, _ = await run(engine, "env", name="web2", HostConfig={"Links": ["db1:x"], "NetworkMode": "none"})
    assert not any(line.startswith("X_") for line in output(c2).splitlines())  # links need the default bridge
    await engine.remove_container(target.id, force=True)


async def test_link_names_and_removing_a_link_like_dockerd():
    """A legacy link gives the linked container a second name, "/parent/alias": lookups by it find the linked
    container, the list shows it in Names, and `DELETE /containers/parent/alias?link=1` removes only the link
    (both containers stay; HostConfig.Links becomes null). Answers measured on dockerd 20.10 (docker-py's
    LinkTest::test_remove_link)."""
    from mockd.engine import EngineError

    engine = busybox_engine()
    alpha, _ = engine.create_container({"Image": "busybox", "Cmd": ["sleep", "100"]}, "alpha")
    beta, _ = engine.create_container({"Image": "busybox", "Cmd": ["sleep", "100"],
                                       "HostConfig": {"Links": ["alpha:mylink"]}}, "beta")
    assert engine.container("beta/mylink") is alpha and engine.container("/beta/mylink") is alpha
    assert alpha.summary(link_names=engine.link_names().get(alpha.id))["Names"] == ["/alpha", "/beta/mylink"]
    assert beta.summary(link_names=engine.link_names().get(beta.id))["Names"] == ["/beta"]
    for ref, status, message in (("alpha", 500, "Conflict, cannot remove the default link name of the container"),
                                 ("beta/nolink", 404, "No such container: beta/nolink"),
                                 ("nosuch/mylink", 404, "No such container: nosuch/mylink")):
        with pytest.raises(EngineError) as err:
            await engine.remove_container(ref, link=True)
        assert (err.value.status, err.value.message) == (status, message)
    await engine.remove_container("beta/mylink", link=True)
    assert set(engine.state.containers) == {alpha.id, beta.id}
    assert beta.host_config["Links"] is None and engine.link_names() == {}
    with pytest.raises(NotFound, match="No such container: beta/mylink"):
        engine.container("beta/mylink")


async def test_legacy_links_are_registered_at_create_and_checked_at_start_like_dockerd():
    """dockerd 20.10: a link to no container is a 400 at create; the link is stored as "/target:/me/alias"
    (the alias defaults to the target's name); a start while a linked container does not run is a 500; a
    rename of either side rewrites the stored link; once the target is gone its link names go."""
    from mockd.engine import EngineError

    engine = busybox_engine()
    with pytest.raises(EngineError) as err:
        engine.create_container({"Image": "busybox", "Cmd": ["true"], "HostConfig": {"Links": ["nosuch:al"]}}, "x1")
    assert (err.value.status, err.value.message) == (400, "could not get container for nosuch: No such "
                                                          "container: nosuch")
    alpha, _ = engine.create_container({"Image": "busybox", "Cmd": ["sleep", "100"]}, "alpha")
    x2, _ = engine.create_container({"Image": "busybox", "Cmd": ["sleep", "100"],
                                     "HostConfig": {"Links": ["alpha:al"]}}, "x2")
    x3, _ = engine.create_container({"Image": "busybox", "Cmd": ["sleep", "100"],
                                     "HostConfig": {"Links": ["alpha"]}}, "x3")
    assert (x2.host_config["Links"], x3.host_config["Links"]) == (["/alpha:/x2/al"], ["/alpha:/x3/alpha"])
    with pytest.raises(EngineError) as err:
        engine.start_container(x2.id)
    assert (err.value.status, err.value.message) == (500, "Cannot link to a non running container: /alpha AS "
                                                          "/x2/al")
    engine.start_container(alpha.id)
    engine.start_container(x2.id)
    engine.rename_container("x2", "x2b")
    engine.rename_container("alpha", "alpha2")
    assert x2.host_config["Links"] == ["/alpha2:/x2b/al"]
    assert engine.link_names() == {alpha.id: ["/x2b/al", "/x3/alpha"]}
    await engine.remove_container("alpha2", force=True)
    assert engine.link_names() == {} and x2.host_config["Links"] == ["/alpha2:/x2b/al"]
    await engine.remove_container(x2.id, force=True)
