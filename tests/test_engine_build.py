"""The classic builder's RUN containers and context, as dockerd 20.10 runs them (issue 13: docker-py's build
tests). Every expected message below was measured on dockerd 20.10 with busybox."""

from __future__ import annotations

from mockd.engine import Engine
from mockd.engine.build import RunOptions
from tests.engine_support import busybox_engine, tar_of


async def build(e: Engine, dockerfile: str, tags: list[str] | None = None, **options) -> list[dict]:
    return [m async for m in e.build(tar_of({"Dockerfile": dockerfile}), tags or [], **options)]


async def test_run_output_keeps_stdout_and_stderr_apart_and_colours_stderr():
    msgs = await build(busybox_engine(), 'FROM busybox\nRUN sh -c ">&2 echo err; echo out; >&2 echo err2"')
    streams = [m["stream"] for m in msgs if "stream" in m]
    # dockerd: one message per run of writes to one stream, stderr's between \x1b[91m and \x1b[0m (dockerd
    # copies the two pipes apart, so it may send "out\n" first and the two stderr lines as one message)
    start = next(i for i, s in enumerate(streams) if s.startswith(" ---> Running in ")) + 1
    assert streams[start:start + 3] == ["\x1b[91merr\n\x1b[0m", "out\n", "\x1b[91merr2\n\x1b[0m"]


async def test_extra_hosts_are_in_the_run_containers_etc_hosts_not_in_the_image():
    e = busybox_engine()
    msgs = await build(e, "FROM busybox\nRUN ping -c1 a.test\nRUN cp /etc/hosts /hosts-file", ["hosts:1"],
                       run=RunOptions(extra_hosts=["a.test:127.0.0.1"]))
    assert not [m for m in msgs if "error" in m], msgs
    out = "".join(m.get("stream", "") for m in msgs)
    assert "PING a.test (127.0.0.1): 56 data bytes\n64 bytes from 127.0.0.1: seq=0 ttl=64" in out
    assert "1 packets transmitted, 1 packets received, 0% packet loss\n" in out
    image = e.images.get("hosts:1")
    assert "127.0.0.1\ta.test\n" in image.rootfs().read("/hosts-file").decode()
    # /etc/hosts is the runtime's mount: the image keeps busybox's own (none)
    assert image.rootfs().get("/etc/hosts") == e.images.get("busybox").rootfs().get("/etc/hosts")


async def test_network_mode_none_a_step_that_needs_the_network_fails():
    e = busybox_engine()
    msgs = await build(e, "FROM busybox\nRUN ping -c1 pingtarget.docker", run=RunOptions(network_mode="none"))
    assert msgs[-2] == {"stream": "\x1b[91mping: bad address 'pingtarget.docker'\n\x1b[0m"}
    message = "The command '/bin/sh -c ping -c1 pingtarget.docker' returned a non-zero code: 1"
    assert msgs[-1] == {"errorDetail": {"code": 1, "message": message}, "error": message}
    ok = await build(e, "FROM busybox\nRUN ping -c1 127.0.0.1", run=RunOptions(network_mode="none"))
    assert not [m for m in ok if "error" in m], ok


async def test_network_mode_of_a_user_network_resolves_its_containers_aliases():
    e = busybox_engine()
    net = e.create_network({"Name": "buildnet"})
    c, _ = e.create_container({"Image": "busybox", "Cmd": ["sleep", "100"]}, "target")
    e.start_container(c.id)
    e.connect_network(net.id, c.id, {"Aliases": ["pingtarget.docker"]})
    ip = e.container(c.id).networks["buildnet"]["IPAddress"]
    msgs = await build(e, "FROM busybox\nRUN ping -c1 pingtarget.docker", run=RunOptions(network_mode=net.id))
    assert not [m for m in msgs if "error" in m], msgs
    assert f"PING pingtarget.docker ({ip}): 56 data bytes\n" in "".join(m.get("stream", "") for m in msgs)
    # the default bridge has no embedded DNS (nocache: the network is not part of the cache key, as in dockerd)
    msgs = await build(e, "FROM busybox\nRUN ping -c1 pingtarget.docker", nocache=True)
    assert "error" in msgs[-1]
    await e.remove_container(c.id, force=True)
