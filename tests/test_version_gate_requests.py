"""What dockerd's routers do to requests by version (mockd/handlers/_request_gates.py), read on both sides of each
gate of mockd/data/version_gates.csv: at the version before the gate and at the gate, on the newest daemon unless
the row is judged by the daemon's release. A gate at the wrong version fails one side."""

from __future__ import annotations

import json
import time

import pytest
from aiohttp import WSMsgType

from mockd.app import create_app
from mockd.config import Config


@pytest.fixture
async def client(aiohttp_client):
    c = await aiohttp_client(create_app(Config()))
    assert (await c.post("/v1.41/images/create?fromImage=busybox&tag=latest")).status == 200
    return c


async def create(client, version: str, body: dict, name: str = "", query: str = "") -> tuple[int, dict]:
    url = f"/v{version}/containers/create?{f'name={name}&' if name else ''}{query}"
    resp = await client.post(url, json={"Image": "busybox", "Cmd": ["sleep", "100"], **body})
    return resp.status, await resp.json()


async def created(client, version: str, body: dict, name: str = "", query: str = "") -> dict:
    status, answer = await create(client, version, body, name, query)
    assert status == 201, answer
    return answer


async def inspect(client, ref: str, version: str = "1.41") -> dict:
    resp = await client.get(f"/v{version}/containers/{ref}/json")
    assert resp.status == 200, await resp.text()
    return await resp.json()


async def test_unset_ipc_mode_is_shareable_below_1_40(client):
    await created(client, "1.39", {}, "ipc39")
    await created(client, "1.40", {}, "ipc40")
    await created(client, "1.39", {"HostConfig": {"IpcMode": "private"}}, "ipc39p")
    assert (await inspect(client, "ipc39"))["HostConfig"]["IpcMode"] == "shareable"
    assert (await inspect(client, "ipc40"))["HostConfig"]["IpcMode"] == "private"
    assert (await inspect(client, "ipc39p"))["HostConfig"]["IpcMode"] == "private"  # a set mode stays


async def test_console_size_is_kept_from_1_42(client):
    body = {"Tty": True, "HostConfig": {"ConsoleSize": [30, 120]}}
    await created(client, "1.41", body, "cs41")
    await created(client, "1.42", body, "cs42")
    assert (await inspect(client, "cs41", "1.42"))["HostConfig"]["ConsoleSize"] == [0, 0]
    assert (await inspect(client, "cs42", "1.42"))["HostConfig"]["ConsoleSize"] == [30, 120]


@pytest.mark.parametrize("daemon,kept", [("1.41", True), ("1.42", False)])
async def test_console_size_of_old_clients_reset_by_engines_from_1_42(aiohttp_client, daemon, kept):
    c = await _daemon(aiohttp_client, daemon)
    await created(c, "1.41", {"Tty": True, "HostConfig": {"ConsoleSize": [30, 120]}}, "cs")
    assert (await inspect(c, "cs"))["HostConfig"]["ConsoleSize"] == ([30, 120] if kept else [0, 0])


@pytest.mark.parametrize("daemon,text", [("1.43", "Container cannot be connected to network endpoints"),
                                         ("1.44", "Container cannot be created with multiple network endpoints")])
async def test_several_endpoints_refusal_text_by_the_daemon_release(aiohttp_client, daemon, text):
    c = await _daemon(aiohttp_client, daemon)
    for name in ("front", "back"):
        assert (await c.post("/v1.41/networks/create", json={"Name": name})).status == 201
    body = {"HostConfig": {"NetworkMode": "front"}, "NetworkingConfig": {"EndpointsConfig": {"front": {}, "back": {}}}}
    status, answer = await create(c, "1.41", body)
    assert status == 400 and answer["message"].startswith(text + ": "), answer


async def test_mount_options_of_another_type_are_refused_from_1_42(client):
    mounts = [{"Type": "tmpfs", "Target": "/scratch", "VolumeOptions": {"NoCopy": True}}]
    await created(client, "1.41", {"HostConfig": {"Mounts": mounts}}, "mo41")
    status, answer = await create(client, "1.42", {"HostConfig": {"Mounts": mounts}}, "mo42")
    assert (status, answer) == (400, {"message": 'VolumeOptions must not be specified on mount type "tmpfs"'})
    kept = (await inspect(client, "mo41"))["HostConfig"]["Mounts"]
    assert kept == [{"Type": "tmpfs", "Target": "/scratch"}]  # reset below 1.42, not refused


async def test_several_endpoints_at_create_need_1_44(client):
    for name in ("front", "back"):
        assert (await client.post("/v1.44/networks/create", json={"Name": name})).status == 201
    body = {"HostConfig": {"NetworkMode": "front"}, "NetworkingConfig": {"EndpointsConfig": {"front": {}, "back": {}}}}
    status, answer = await create(client, "1.43", body, "ep43")
    assert status == 400 and answer["message"].startswith("Container cannot be created with multiple network "
                                                          "endpoints: "), answer
    await created(client, "1.44", body, "ep44")
    assert set((await inspect(client, "ep44", "1.44"))["NetworkSettings"]["Networks"]) == {"front", "back"}


async def _started_mac(client, version: str, body: dict, name: str) -> tuple[dict, str]:
    answer = await created(client, version, body, name)
    assert (await client.post(f"/v{version}/containers/{name}/start")).status == 204
    return answer, (await inspect(client, name, "1.44"))["NetworkSettings"]["Networks"]["bridge"]["MacAddress"]


async def test_container_wide_mac_address_by_version(client):
    wanted = "02:42:ac:11:00:99"
    # Below 1.44: migrated silently; an endpoint's own MacAddress is not known to the old API.
    answer, mac = await _started_mac(client, "1.43", {"MacAddress": wanted}, "mac43")
    assert mac == wanted and answer["Warnings"] == []
    endpoint_only = {"NetworkingConfig": {"EndpointsConfig": {"bridge": {"MacAddress": wanted}}}}
    _, mac = await _started_mac(client, "1.43", endpoint_only, "epmac43")
    assert mac not in ("", wanted)
    # From 1.44: the endpoint's is read; the container-wide one is migrated with a warning.
    _, mac = await _started_mac(client, "1.44", endpoint_only, "epmac44")
    assert mac == wanted
    answer, mac = await _started_mac(client, "1.44", {"MacAddress": wanted}, "mac44")
    assert mac == wanted and answer["Warnings"] == [
        "The container-wide MacAddress field is now deprecated. It should be specified in EndpointsConfig instead."]
    # Up to 1.51 still read; from 1.52 not at all (ignored, no warning).
    answer, mac = await _started_mac(client, "1.51", {"MacAddress": wanted}, "mac51")
    assert mac == wanted and answer["Warnings"]
    answer, mac = await _started_mac(client, "1.52", {"MacAddress": wanted}, "mac52")
    assert mac not in ("", wanted) and answer["Warnings"] == []


async def test_mismatching_container_and_endpoint_mac_addresses_are_refused_from_1_44(client):
    body = {"MacAddress": "02:42:ac:11:00:98",
            "NetworkingConfig": {"EndpointsConfig": {"bridge": {"MacAddress": "02:42:ac:11:00:99"}}}}
    status, answer = await create(client, "1.44", body, "mm44")
    assert status == 400 and "must match the endpoint-specific MAC address" in answer["message"]
    await created(client, "1.43", body, "mm43")  # the endpoint's is dropped below 1.44: nothing to mismatch


async def test_volume_driver_with_volume_mounts_warns_from_1_48(client):
    body = {"HostConfig": {"VolumeDriver": "local", "Mounts": [{"Type": "volume", "Source": "vd", "Target": "/d"}]}}
    assert (await created(client, "1.47", body, "vd47"))["Warnings"] == []
    warned = (await created(client, "1.48", body, "vd48"))["Warnings"]
    assert len(warned) == 1 and "container-wide volume-driver configuration is ignored" in warned[0]


async def test_empty_port_bindings_warn_from_1_52(client):
    body = {"ExposedPorts": {"80/tcp": {}}, "HostConfig": {"PortBindings": {"80/tcp": []}}}
    assert (await created(client, "1.51", body, "pb51"))["Warnings"] == []
    assert (await created(client, "1.52", body, "pb52"))["Warnings"] == [
        "Following container port(s) have an empty list of port-bindings: 80/tcp. Such bindings will be discarded "
        "in a future version."]


async def test_update_reads_pids_limit_from_1_40(client):
    await created(client, "1.41", {}, "pl")
    assert (await client.post("/v1.39/containers/pl/update", json={"PidsLimit": 100})).status == 200
    assert (await inspect(client, "pl"))["HostConfig"]["PidsLimit"] is None
    assert (await client.post("/v1.40/containers/pl/update", json={"PidsLimit": 100})).status == 200
    assert (await inspect(client, "pl"))["HostConfig"]["PidsLimit"] == 100


async def test_update_reads_blkio_devices_from_1_55(client):
    await created(client, "1.41", {}, "bl")
    rate = [{"Path": "/dev/sda", "Rate": 1048576}]
    assert (await client.post("/v1.54/containers/bl/update", json={"BlkioDeviceReadBps": rate})).status == 200
    assert (await inspect(client, "bl", "1.55"))["HostConfig"]["BlkioDeviceReadBps"] in (None, [])
    assert (await client.post("/v1.55/containers/bl/update", json={"BlkioDeviceReadBps": rate})).status == 200
    assert (await inspect(client, "bl", "1.55"))["HostConfig"]["BlkioDeviceReadBps"] == rate


async def test_connect_applies_the_endpoint_mac_address_from_1_54(client):
    wanted = "02:42:ac:11:00:97"
    assert (await client.post("/v1.54/networks/create", json={"Name": "macnet"})).status == 201
    macs = {}
    for version in ("1.53", "1.54"):
        name = f"conn{version[-2:]}"
        await created(client, version, {}, name)
        assert (await client.post(f"/v{version}/containers/{name}/start")).status == 204
        resp = await client.post(f"/v{version}/networks/macnet/connect",
                                 json={"Container": name, "EndpointConfig": {"MacAddress": wanted}})
        assert resp.status == 200, await resp.text()
        macs[version] = (await inspect(client, name, version))["NetworkSettings"]["Networks"]["macnet"]["MacAddress"]
    assert macs["1.53"] not in ("", wanted) and macs["1.54"] == wanted


async def test_an_engine_before_25_applies_the_connect_mac_address_and_keeps_aliases_as_submitted(aiohttp_client):
    """Both gates came with Engine 25 (API 1.44): a daemon impersonating 20.10 applies an endpoint MacAddress on
    connect and reports a user network's Aliases as submitted (docker-py's test_connect_with_mac_address and
    test_run_with_networking_config pass on dockerd 20.10 at 1.41)."""
    client = await aiohttp_client(create_app(Config(api_version="1.41")))
    assert (await client.post("/v1.41/images/create?fromImage=busybox&tag=latest")).status == 200
    wanted = "02:42:ac:11:00:96"
    assert (await client.post("/v1.41/networks/create", json={"Name": "oldnet"})).status == 201
    body = {"HostConfig": {"NetworkMode": "oldnet"},
            "NetworkingConfig": {"EndpointsConfig": {"oldnet": {"Aliases": ["web"]}}}}
    await created(client, "1.41", body, "old")
    await created(client, "1.41", {}, "oldconn")
    for name in ("old", "oldconn"):
        assert (await client.post(f"/v1.41/containers/{name}/start")).status == 204
    resp = await client.post("/v1.41/networks/oldnet/connect",
                             json={"Container": "oldconn", "EndpointConfig": {"MacAddress": wanted}})
    assert resp.status == 200, await resp.text()
    assert (await inspect(client, "oldconn"))["NetworkSettings"]["Networks"]["oldnet"]["MacAddress"] == wanted
    assert (await inspect(client, "old"))["NetworkSettings"]["Networks"]["oldnet"]["Aliases"] == ["web"]


async def test_network_list_shows_containers_below_1_28(client):
    await created(client, "1.41", {}, "listed")
    assert (await client.post("/v1.41/containers/listed/start")).status == 204
    for version, expected in (("1.27", True), ("1.28", False)):
        resp = await client.get(f"/v{version}/networks")
        bridge = next(n for n in await resp.json() if n["Name"] == "bridge")
        assert bool(bridge["Containers"]) is expected, version


async def test_user_network_aliases_list_the_short_id_below_1_45(client):
    assert (await client.post("/v1.45/networks/create", json={"Name": "aliased"})).status == 201
    body = {"HostConfig": {"NetworkMode": "aliased"},
            "NetworkingConfig": {"EndpointsConfig": {"aliased": {"Aliases": ["web"]}}}}
    cid = (await created(client, "1.45", body, "al"))["Id"]
    assert (await client.post("/v1.45/containers/al/start")).status == 204
    old = (await inspect(client, "al", "1.44"))["NetworkSettings"]["Networks"]["aliased"]["Aliases"]
    new = (await inspect(client, "al", "1.45"))["NetworkSettings"]["Networks"]["aliased"]["Aliases"]
    assert old == ["web", cid[:12]] and new == ["web"]  # the hostname is the short id here: deduplicated


async def _started(client, name: str, cmd: list[str]) -> None:
    await created(client, "1.41", {"Cmd": cmd}, name)
    assert (await client.post(f"/v1.41/containers/{name}/start")).status == 204


async def test_wait_reads_its_condition_from_1_30(client):
    await _started(client, "waiter", ["true"])
    await (await client.post("/v1.41/containers/waiter/wait")).read()
    # next-exit on an exited container: honoured from 1.30 (still waiting), not-running below (answers at once).
    resp = await client.post("/v1.29/containers/waiter/wait?condition=next-exit")
    assert resp.status == 200 and (await resp.json())["StatusCode"] == 0
    resp = await client.post("/v1.30/containers/waiter/wait?condition=next-exit")
    assert resp.status == 200  # the headers came at once
    assert (await client.post("/v1.41/containers/waiter/start")).status == 204
    assert (await resp.json())["StatusCode"] == 0  # answered only at the next exit


@pytest.mark.parametrize("daemon,refused", [("1.41", False), ("1.42", True)])
async def test_invalid_wait_condition_by_the_daemon_release(aiohttp_client, daemon, refused):
    c = await aiohttp_client(create_app(Config(api_version=daemon)))
    assert (await c.post(f"/v{daemon}/images/create?fromImage=busybox&tag=latest")).status == 200
    await _started(c, "waitbad", ["true"])
    await (await c.post("/v1.41/containers/waitbad/wait")).read()
    resp = await c.post("/v1.40/containers/waitbad/wait?condition=bogus")
    if refused:
        assert (resp.status, await resp.json()) == (400, {"message": 'invalid condition: "bogus"'})
    else:
        assert resp.status == 200 and (await resp.json())["StatusCode"] == 0


async def _ws_frames(client, version: str, query: str) -> list[tuple[WSMsgType, bytes]]:
    name = f"ws{version.replace('.', '')}{query.replace('&', '').replace('=', '')}"
    await created(client, "1.41", {"Cmd": ["echo", "hi"]}, name)
    assert (await client.post(f"/v1.41/containers/{name}/start")).status == 204
    await (await client.post(f"/v1.41/containers/{name}/wait")).read()
    ws = await client.ws_connect(f"/v{version}/containers/{name}/attach/ws?logs=1&stream=0{query}")
    frames = []
    async for msg in ws:
        if msg.type in (WSMsgType.TEXT, WSMsgType.BINARY):
            frames.append((msg.type, msg.data.encode() if isinstance(msg.data, str) else msg.data))
    return frames


async def test_websocket_frames_are_binary_from_1_28(client):
    assert await _ws_frames(client, "1.27", "") == [(WSMsgType.TEXT, b"hi\n")]
    assert await _ws_frames(client, "1.28", "") == [(WSMsgType.BINARY, b"hi\n")]


async def test_websocket_attach_reads_its_stream_parameters_from_1_42(client):
    assert await _ws_frames(client, "1.41", "&stdout=0") == [(WSMsgType.BINARY, b"hi\n")]  # every stream below
    assert await _ws_frames(client, "1.42", "&stdout=0") == []
    assert await _ws_frames(client, "1.42", "&stdout=1") == [(WSMsgType.BINARY, b"hi\n")]



async def _daemon(aiohttp_client, daemon: str):
    c = await aiohttp_client(create_app(Config(api_version=daemon)))
    assert (await c.post(f"/v{daemon}/images/create?fromImage=busybox&tag=latest")).status == 200
    return c


def _filters(value: dict) -> str:
    return "filters=" + json.dumps(value)


@pytest.mark.parametrize("path,value,daemon,known", [
    ("/containers/json", {"publish": ["80"]}, "1.27", False), ("/containers/json", {"publish": ["80"]}, "1.28", True),
    ("/containers/json", {"expose": ["80"]}, "1.27", False), ("/containers/json", {"expose": ["80"]}, "1.28", True),
    ("/networks", {"scope": ["local"]}, "1.28", False), ("/networks", {"scope": ["local"]}, "1.29", True),
    ("/networks", {"dangling": ["true"]}, "1.39", False), ("/networks", {"dangling": ["true"]}, "1.40", True),
])
async def test_list_filters_older_engines_refuse(aiohttp_client, path, value, daemon, known):
    c = await _daemon(aiohttp_client, daemon)
    resp = await c.get(f"/v1.25{path}?{_filters(value)}")  # asked at the oldest version alike: the release decides
    if known:
        assert resp.status == 200, await resp.text()
    else:
        assert (resp.status, await resp.json()) == (400, {"message": f"invalid filter '{next(iter(value))}'"})


@pytest.mark.parametrize("daemon,honoured", [("1.28", False), ("1.29", True)])
async def test_prune_label_filters_need_an_engine_of_1_29(aiohttp_client, daemon, honoured):
    c = await _daemon(aiohttp_client, daemon)
    for name, labels in (("keep", {}), ("gone", {"tmp": "1"})):
        resp = await c.post(f"/v1.25/containers/create?name={name}", json={"Image": "busybox", "Labels": labels})
        assert resp.status == 201
    resp = await c.post(f"/v1.25/containers/prune?{_filters({'label': ['tmp=1']})}")
    assert resp.status == 200
    left = {n["Names"][0] for n in await (await c.get("/v1.25/containers/json?all=1")).json()}
    assert left == ({"/keep"} if honoured else set())  # ignored by 17.04: everything stopped is pruned


@pytest.mark.parametrize("daemon,honoured", [("1.29", False), ("1.30", True)])
async def test_events_scope_filter_needs_an_engine_of_1_30(aiohttp_client, daemon, honoured):
    c = await _daemon(aiohttp_client, daemon)
    resp = await c.post("/v1.25/containers/create?name=scoped", json={"Image": "busybox"})
    assert resp.status == 201
    until = int(time.time()) + 1
    resp = await c.get(f"/v1.25/events?since=0&until={until}&{_filters({'scope': ['swarm']})}")
    assert resp.status == 200
    events = [line for line in (await resp.text()).splitlines() if line.strip()]
    assert bool(events) is not honoured  # no swarm-scoped events in mockd: a matched scope filter leaves none


@pytest.mark.parametrize("version", ["1.25", "1.56"])  # every engine mockd can be validates them: no gate inside
@pytest.mark.parametrize("host,endpoint,message", [
    ({"RestartPolicy": {"Name": "bogus"}}, {}, "invalid restart policy 'bogus'"),
    ({"RestartPolicy": {"Name": "always", "MaximumRetryCount": 3}}, {},
     "maximum retry count cannot be used with restart policy 'always'"),
    ({"RestartPolicy": {"Name": "on-failure", "MaximumRetryCount": -1}}, {}, "maximum retry count cannot be negative"),
    ({}, {"IPAMConfig": {"IPv4Address": "10.0.0.300"}}, "invalid IPv4 address: 10.0.0.300"),
    ({}, {"IPAMConfig": {"IPv6Address": "10.0.0.3"}}, "invalid IPv6 address: 10.0.0.3"),
])
async def test_create_validates_restart_policies_and_endpoint_addresses(client, version, host, endpoint, message):
    body = {"HostConfig": host, "NetworkingConfig": {"EndpointsConfig": {"bridge": endpoint}}}
    assert await create(client, version, body) == (400, {"message": message})


async def test_valid_restart_policies_and_addresses_are_taken(client):
    body = {"HostConfig": {"RestartPolicy": {"Name": "on-failure", "MaximumRetryCount": 2}},
            "NetworkingConfig": {"EndpointsConfig": {"bridge": {"IPAMConfig": {"IPv4Address": "::ffff:10.0.0.3",
                                                                               "IPv6Address": "fd00::3"}}}}}
    await created(client, "1.25", body)


@pytest.mark.parametrize("daemon,requested,accept,media", [
    ("1.51", "1.41", "application/x-ndjson", "application/json"),
    ("1.51", "1.51", "*/*", "application/json"),
    ("1.52", "1.41", "application/x-ndjson", "application/x-ndjson"),
    ("1.52", "1.41", "application/jsonl", "application/json"),  # not a 1.52 engine's type: its default
    ("1.53", "1.41", "application/jsonl", "application/jsonl"),
    ("1.52", "1.41", "application/json-seq", "application/json-seq"),
    ("1.52", "1.41", "", "application/json"),
    # No Accept at the newest version: still application/json (getEvents's default), not the document's first.
    ("1.52", "1.52", "", "application/json"),
    ("1.53", "1.53", "", "application/json"),
    # requests' and aiohttp's default Accept: the engine's first offer, as gddo's NegotiateContentType picks.
    ("1.52", "1.52", "*/*", "application/x-ndjson"),
    ("1.53", "1.44", "*/*", "application/jsonl"),
    ("1.53", "1.53", "application/*", "application/jsonl"),
    ("1.53", "1.53", "application/json-seq;q=0.9, application/x-ndjson;q=0.5", "application/json-seq"),
    ("1.53", "1.53", "*/*;q=0.1, application/x-ndjson", "application/x-ndjson"),
    ("1.53", "1.53", "text/html", "application/json"),
    # From 29.3 (API 1.54): only a type named exactly counts; else jsonl from a 1.52 request, json below.
    ("1.54", "1.41", "", "application/json"),
    ("1.54", "1.51", "*/*", "application/json"),
    ("1.54", "1.52", "", "application/jsonl"),
    ("1.56", "1.56", "*/*", "application/jsonl"),
    ("1.56", "1.44", "application/*", "application/json"),
    ("1.56", "1.44", "text/html", "application/json"),
    ("1.56", "1.41", "application/json-seq", "application/json-seq"),
    ("1.56", "1.56", "application/x-ndjson;q=0.5, application/json-seq;q=0.9", "application/json-seq"),
    ("1.56", "1.56", "application/json-seq, application/x-ndjson", "application/x-ndjson"),  # equal q: the offer order
    ("1.56", "1.56", "application/jsonl;q=0, */*", "application/jsonl"),  # refusing jsonl still gets the default
    ("1.55", "1.52", "application/x-ndjson", "application/x-ndjson"),
])
async def test_events_media_type_by_the_daemon_release(aiohttp_client, daemon, requested, accept, media):
    c = await _daemon(aiohttp_client, daemon)
    until = int(time.time()) + 1
    # aiohttp adds `Accept: */*` unless told not to: "" is a request with no Accept header at all.
    given = {"headers": {"Accept": accept}} if accept else {"skip_auto_headers": ("Accept",)}
    resp = await c.get(f"/v{requested}/events?since=0&until={until}", **given)
    assert resp.status == 200 and resp.headers["Content-Type"].split(";")[0] == media
    lines = (await resp.read()).splitlines()
    assert lines and all(line.startswith(b"\x1e") == (media == "application/json-seq") for line in lines)


@pytest.mark.parametrize("daemon,duplicates", [("1.43", True), ("1.44", False)])
async def test_duplicate_network_names_by_the_daemon_release(aiohttp_client, daemon, duplicates):
    c = await aiohttp_client(create_app(Config(api_version=daemon)))
    first = await c.post("/v1.41/networks/create", json={"Name": "dup"})
    assert first.status == 201 and (await first.json())["Warning"] == ""
    checked = await c.post("/v1.41/networks/create", json={"Name": "dup", "CheckDuplicate": True})
    assert (checked.status, await checked.json()) == (409, {"message": "network with name dup already exists"})
    second = await c.post("/v1.41/networks/create", json={"Name": "dup"})
    if duplicates:
        first_id = (await first.json())["Id"]
        assert second.status == 201
        assert (await second.json())["Warning"] == f"Network with name dup (id : {first_id}) already exists"
        names = [n["Name"] for n in await (await c.get("/v1.41/networks")).json()]
        assert names.count("dup") == 2
    else:
        assert second.status == 409


@pytest.mark.parametrize("daemon", ["1.43", "1.44"])
async def test_ipam_configs_are_checked_by_engines_from_1_44(aiohttp_client, daemon):
    c = await aiohttp_client(create_app(Config(api_version=daemon)))
    resp = await c.post("/v1.41/networks/create", json={"Name": "hostbits", "IPAM": {"Config": [
        {"Subnet": "10.9.0.1/24"}]}})
    if daemon == "1.43":
        assert resp.status == 201, await resp.text()  # the host bits were masked off
        return
    assert (resp.status, await resp.json()) == (
        400, {"message": "invalid network config:\ninvalid subnet 10.9.0.1/24: it should be 10.9.0.0/24"})
    resp = await c.post("/v1.41/networks/create", json={"Name": "several", "IPAM": {"Config": [
        {"Subnet": "10.8.0.0/24", "IPRange": "10.7.0.0/25", "Gateway": "10.6.0.1",
         "AuxiliaryAddresses": {"router": "fd00::1"}}, {"Subnet": "bogus"}]}})
    assert (resp.status, (await resp.json())["message"].splitlines()) == (400, [
        "invalid network config:",
        "* invalid ip-range 10.7.0.0/25: parent subnet 10.8.0.0/24 doesn't contain ip-range",
        "* invalid gateway 10.6.0.1: parent subnet 10.8.0.0/24 doesn't contain this address",
        "* invalid auxiliary address router: parent subnet is an IPv4 block",
        "* invalid subnet bogus: invalid CIDR block notation"])
    good = {"Subnet": "10.5.0.0/24", "IPRange": "10.5.0.128/25", "Gateway": "10.5.0.1"}
    assert (await c.post("/v1.41/networks/create", json={"Name": "good", "IPAM": {"Config": [good]}})).status == 201


@pytest.mark.parametrize("daemon,trusted", [("1.44", True), ("1.45", False)])
async def test_search_is_automated_by_the_daemon_release(aiohttp_client, daemon, trusted):
    c = await aiohttp_client(create_app(Config(api_version=daemon)))
    every = await (await c.get("/v1.41/images/search?term=redis")).json()
    automated = await (await c.get(f"/v1.41/images/search?term=redis&{_filters({'is-automated': ['true']})}")).json()
    manual = await (await c.get(f"/v1.41/images/search?term=redis&{_filters({'is-automated': ['false']})}")).json()
    if trusted:
        assert automated and all(r["is_automated"] for r in automated)
        assert len(automated) + len(manual) == len(every)
    else:
        assert automated == [] and manual == every and not any(r["is_automated"] for r in every)


@pytest.mark.parametrize("daemon,answer", [("1.41", {"Error": None, "StatusCode": 0}), ("1.42", {"StatusCode": 0})])
async def test_wait_error_null_by_the_daemon_release(aiohttp_client, daemon, answer):
    c = await _daemon(aiohttp_client, daemon)
    await _started(c, "waitnull", ["true"])
    for version in ("1.29", daemon):  # the requested version does not matter
        resp = await c.post(f"/v{version}/containers/waitnull/wait")
        assert (resp.status, await resp.json()) == (200, answer)


async def test_build_prune_reads_reserved_space_from_1_48(client):
    bad = {"message": 'reserved-space is in bytes and expects an integer, got lots: strconv.Atoi: parsing "lots": '
                      "invalid syntax"}
    resp = await client.post("/v1.47/build/prune?reserved-space=lots")
    assert resp.status == 200, await resp.text()  # not read below 1.48
    resp = await client.post("/v1.48/build/prune?reserved-space=lots")
    assert (resp.status, await resp.json()) == (400, bad)
    for version in ("1.47", "1.48", "1.56"):  # keep-storage: read alone below, as the fallback from 1.48
        resp = await client.post(f"/v{version}/build/prune?keep-storage=lots")
        assert resp.status == 400 and (await resp.json())["message"].startswith("keep-storage is in bytes"), version
    resp = await client.post("/v1.48/build/prune?reserved-space=1024&keep-storage=lots")
    assert resp.status == 200  # reserved-space set: keep-storage not looked at
    assert (await client.post("/v1.47/build/prune?min-free-space=x")).status == 200
    assert (await client.post("/v1.48/build/prune?min-free-space=x")).status == 400
