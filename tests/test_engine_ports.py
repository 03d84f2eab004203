"""Published ports: dockerd's checks and texts, allocation from the ephemeral range, host listeners that carry
connections to the program listening in the container, /proc/net/tcp."""

from __future__ import annotations

import asyncio
import errno
import socket

import pytest

from mockd.engine import Engine
from mockd.engine.errors import EngineError, InvalidParameter
from mockd.engine.netns import Connection, NetNamespace
from mockd.engine.ports import PortAllocator, ephemeral_range
from mockd.engine.process import Rule
from mockd.engine.publish import Publisher
from tests.engine_support import run_body

SERVER = Rule(command="serve*", listen=(80,), scope="start")


def engine(mode: str = "loopback") -> Engine:
    e = Engine(publish_ports=mode)
    e.pull("busybox")
    e.rules = [SERVER]
    return e


def published(e: Engine, bindings: dict, name: str = "", **extra):
    body = run_body("serve", ExposedPorts={k: {} for k in bindings}, HostConfig={"PortBindings": bindings}, **extra)
    c, _ = e.create_container(body, name)
    return c


def host_port(c, key: str = "80/tcp", i: int = 0) -> int:
    return int(c.ports_view()[key][i]["HostPort"])


def held_port() -> socket.socket:
    """A port a host process holds (bound and listening on 127.0.0.1)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen()
    return sock


async def listening(c, port: int) -> None:
    """Until the container's program listens (it does so once its task runs)."""
    for _ in range(500):
        if c.net.listening(port):
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"nothing listens on {port}")


async def refused(port: int) -> bool:
    try:
        _, writer = await asyncio.open_connection("127.0.0.1", port)
    except ConnectionRefusedError:
        return True
    writer.close()
    return False


@pytest.mark.parametrize(("bindings", "text"), [
    ({"abc/tcp": [{"HostPort": "8080"}]}, 'invalid port specification: "abc"'),
    ({"70000/tcp": [{"HostPort": "8080"}]}, 'invalid port specification: "70000"'),
    ({"-1/tcp": [{"HostPort": "8080"}]}, 'invalid port specification: "-1"'),
    ({"80-82/tcp": [{"HostPort": "8080"}]}, 'invalid port specification: "80-82"'),
    ({"80/tcp": [{"HostPort": "abc"}]}, 'invalid port specification: "abc"'),
    ({"80/tcp": [{"HostPort": "70000"}]}, 'invalid port specification: "70000"'),
])
def test_malformed_port_specs_get_dockerds_texts_at_create(bindings, text):
    with pytest.raises(InvalidParameter) as err:
        published(engine("off"), bindings)
    assert err.value.message == text and err.value.status == 400


def test_an_unknown_protocol_passes_create_and_fails_start_as_dockerd():
    e = engine("off")
    c = published(e, {"80/xyz": [{"HostPort": "18082"}]}, "cex")
    with pytest.raises(EngineError) as err:
        e.start_container(c.id)
    endpoint = c.networks["bridge"]["EndpointID"] or "?"
    assert err.value.status == 500
    assert err.value.message.startswith("driver failed programming external connectivity on endpoint cex (")
    assert err.value.message.endswith("): invalid transport protocol: 0")
    assert c.status == "created" and endpoint == "?"  # the endpoint is released again


async def test_port_zero_and_empty_get_distinct_free_ports_that_listen():
    e = engine()
    a = published(e, {"80/tcp": [{"HostPort": "0"}]})
    b = published(e, {"80/tcp": [{"HostPort": ""}]})
    e.start_container(a.id)
    e.start_container(b.id)
    low, high = ephemeral_range()
    pa, pb = host_port(a), host_port(b)
    assert pa != pb and low <= pa <= high and low <= pb <= high
    assert a.ports_view()["80/tcp"] == [{"HostIp": "0.0.0.0", "HostPort": str(pa)}, {"HostIp": "::", "HostPort": str(pa)}]
    assert a.host_config["PortBindings"] == {"80/tcp": [{"HostIp": "", "HostPort": "0"}]}  # as sent (Go-decoded)
    assert a.summary()["Ports"][0] == {"IP": "0.0.0.0", "PrivatePort": 80, "PublicPort": pa, "Type": "tcp"}
    assert not await refused(pa) and not await refused(pb)
    await e.stop_container(a.id, timeout=0)
    assert await refused(pa)  # the listener closed with the process
    assert a.ports_view() == {}  # dockerd 20.10 shows no ports once the process ended
    e.reset()
    assert await refused(pb)


async def test_another_containers_port_is_already_allocated():
    e = engine("off")
    a = published(e, {"80/tcp": [{"HostPort": "18080"}]}, "first")
    e.start_container(a.id)
    b = published(e, {"80/tcp": [{"HostPort": "18080"}]}, "second")
    with pytest.raises(EngineError) as err:
        e.start_container(b.id)
    assert err.value.status == 500 and b.status == "created"
    assert err.value.message.startswith("driver failed programming external connectivity on endpoint second (")
    assert err.value.message.endswith("): Bind for 0.0.0.0:18080 failed: port is already allocated")
    local = published(e, {"80/tcp": [{"HostIp": "127.0.0.1", "HostPort": "18080"}]}, "third")
    with pytest.raises(EngineError, match="Bind for 127.0.0.1:18080 failed: port is already allocated"):
        e.start_container(local.id)  # 0.0.0.0 holds every address
    await e.stop_container(a.id, timeout=0)
    e.start_container(b.id)  # released with the first container's process
    assert host_port(b) == 18080


async def test_a_host_process_port_is_the_userland_proxys_error():
    e = engine()
    holder = held_port()
    port = holder.getsockname()[1]
    try:
        c = published(e, {"80/tcp": [{"HostPort": str(port)}]}, "web")
        with pytest.raises(EngineError) as err:
            e.start_container(c.id)
        assert err.value.message.endswith(f"): Error starting userland proxy: listen tcp4 0.0.0.0:{port}: bind: "
                                          "address already in use")
        assert c.status == "created" and e.publisher.allocator.held == {}
        ranged = published(e, {"80/tcp": [{"HostPort": f"{port}-{port + 20}"}]})
        e.start_container(ranged.id)  # a range skips the taken port
        assert port < host_port(ranged) <= port + 20
    finally:
        holder.close()
    e.reset()


def test_a_port_mockd_may_not_bind_is_a_clear_error(monkeypatch):
    e = engine()

    def refuse(*_args):
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(Publisher, "_bind", lambda self, *a: refuse())
    c = published(e, {"80/tcp": [{"HostPort": "80"}]}, "low")
    with pytest.raises(EngineError) as err:
        e.start_container(c.id)
    assert "Error starting userland proxy: listen tcp4 0.0.0.0:80: bind: permission denied (mockd may not bind " \
           "ports below 1024 here" in err.value.message


async def test_off_allocates_and_reports_but_binds_nothing():
    e = engine("off")
    c = published(e, {"80/tcp": [{"HostPort": "0"}]})
    e.start_container(c.id)
    assert host_port(c) >= ephemeral_range()[0] and await refused(host_port(c))
    await e.remove_container(c.id, force=True)


async def test_publish_all_and_no_ports_without_a_network():
    e = engine("off")
    c, _ = e.create_container(run_body("serve", ExposedPorts={"80/tcp": {}, "53/udp": {}},
                                       HostConfig={"PublishAllPorts": True}))
    e.start_container(c.id)
    assert set(c.ports_view()) == {"53/udp", "80/tcp"} and all(c.ports_view().values())
    none = published(e, {"80/tcp": [{"HostPort": "18083"}]}, NetworkMode="none")
    none.host_config["NetworkMode"] = "none"
    e.start_container(none.id)
    assert none.ports_view() == {} and none.summary()["Ports"] == []  # measured on dockerd 20.10
    await e.remove_container(c.id, force=True)
    await e.remove_container(none.id, force=True)


async def test_a_connection_reaches_the_program_listening_in_the_container():
    e = engine()
    c = published(e, {"80/tcp": [{"HostPort": "0"}], "81/tcp": [{"HostPort": "0"}]})
    e.start_container(c.id)

    async def echo(conn: Connection) -> None:
        while data := await conn.read():
            conn.write(data.upper())
        conn.close()

    c.net.listen(81, echo, owner=99)
    reader, writer = await asyncio.open_connection("127.0.0.1", host_port(c, "81/tcp"))
    writer.write(b"ping\n")
    assert await asyncio.wait_for(reader.readline(), 5) == b"PING\n"
    writer.write_eof()
    assert await asyncio.wait_for(reader.read(), 5) == b""
    writer.close()
    # The rule's `listen: [80]` accepts and holds: the connection stays open, nothing is said.
    await listening(c, 80)
    reader, writer = await asyncio.open_connection("127.0.0.1", host_port(c))
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(reader.read(1), 0.2)
    e.pause_container(c.id)
    assert not await refused(host_port(c))  # the proxy keeps listening while paused
    e.unpause_container(c.id)
    await e.stop_container(c.id, timeout=0)  # SIGTERM ends a rule process; its sockets and the listener close
    assert await asyncio.wait_for(reader.read(), 5) == b""
    writer.close()
    assert c.net.sockets == {}


async def test_nothing_listening_in_the_container_closes_the_connection():
    e = engine()
    c = published(e, {"80/tcp": [{"HostPort": "0"}]}, Cmd=["sleep", "100"])
    e.start_container(c.id)
    reader, writer = await asyncio.open_connection("127.0.0.1", host_port(c))
    assert await asyncio.wait_for(reader.read(), 5) == b""  # docker-proxy closes: the container refuses
    writer.close()
    await e.remove_container(c.id, force=True)


def open_tcp_ports(text: str) -> list[str]:
    """pytest-docker-tools' readiness check (Container.get_open_tcp_ports): LISTEN (0A) lines of /proc/net/tcp."""
    ports = []
    for line in text.strip().split("\n"):
        fields = line.split()
        if fields and fields[3] == "0A":
            ports.append(str(int(fields[1].split(":", 1)[1], 16)))
    return ports


async def test_proc_net_tcp_lists_the_listening_sockets_in_the_kernels_format():
    e = engine("off")
    c = published(e, {"80/tcp": [{"HostPort": "0"}]})
    e.start_container(c.id)
    await listening(c, 80)
    text = c.fs().read("/proc/net/tcp").decode()
    lines = text.splitlines()
    assert lines[0].startswith("  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid")
    assert all(len(line) == 149 for line in lines)
    assert lines[1].startswith("   0: 00000000:0050 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0 ")
    assert open_tcp_ports(text) == ["80"]
    assert c.fs().read("/proc/net/tcp6").decode().splitlines()[1:] == []
    ex = e.create_exec(c.id, {"Cmd": ["cat", "/proc/net/tcp"], "AttachStdout": True})
    queue = ex.subscribe()
    e.start_exec(ex.id)
    chunks = []
    while (item := await asyncio.wait_for(queue.get(), 5)) is not None:
        chunks.append(item[1])
    assert open_tcp_ports(b"".join(chunks).decode()) == ["80"]
    await e.stop_container(c.id, timeout=0)
    assert open_tcp_ports(c.fs().read("/proc/net/tcp").decode()) == []


def test_netns_addresses_and_conflicts():
    net = NetNamespace()

    async def nothing(conn: Connection) -> None:
        conn.close()

    net.listen(5432, nothing, ip="127.0.0.1")
    net.listen(8080, nothing, ip="::")
    with pytest.raises(OSError) as err:
        net.listen(5432, nothing)
    assert err.value.errno == errno.EADDRINUSE
    assert net.tree.read("/tcp").decode().splitlines()[1].split()[1] == "0100007F:1538"
    assert net.tree.read("/tcp6").decode().splitlines()[1].split()[1] == "0" * 32 + ":1F90"
    assert net.connect(9999) is None


def test_the_allocator_goes_round_the_range():
    alloc = PortAllocator(100, 102)
    first = next(alloc.candidates("tcp", "0.0.0.0", None))
    alloc.hold("tcp", "0.0.0.0", first, "a")
    second = next(alloc.candidates("tcp", "0.0.0.0", None))
    alloc.release("a")
    third = next(alloc.candidates("tcp", "0.0.0.0", None))
    assert (first, second, third) == (100, 101, 102)  # a just-released port is not given again at once
    alloc.hold("tcp", "0.0.0.0", 101, "b")
    alloc.hold("tcp", "127.0.0.1", 100, "c")
    assert not alloc.is_free("tcp", "127.0.0.1", 101)  # 0.0.0.0 holds every address
    assert not alloc.is_free("tcp", "0.0.0.0", 100)  # and needs them all
    assert alloc.is_free("tcp", "10.0.0.1", 100) and alloc.is_free("udp", "0.0.0.0", 101)
