"""The old side of the version gates (mockd/data/version_gates.csv) as the real dockerd 20.10 (API 1.41) shows it,
and mockd impersonating that release (`--api-version 1.41`): the same requests go to both and the answers (ids
normalized) must equal the table. Daemon-judged rows (a release before the gate) and request-judged ones below
1.41 are both read here, so a row whose old side mockd invents differently from the daemon fails."""

from __future__ import annotations

import hashlib
import json
import re

import pytest

from mockd.pytest_plugin import MockdServer
from tests.engine_support import tar_of
from tests.realdaemons import import_busybox, real_dockerd, unix_http  # noqa: F401  (fixture)

HEX_ID = re.compile(r"\b[0-9a-f]{64}\b")


def scenario(sock: str) -> list[object]:
    def call(method: str, path: str, body: object = None, version: str = "1.41",
             headers: dict | None = None) -> tuple[int, object]:
        status, got, data = unix_http(sock, method, f"/v{version}{path}", json.dumps(body).encode() if body else None,
                                      headers={"Content-Type": "application/json", **(headers or {})})
        try:
            return status, json.loads(data) if data else None
        except ValueError:
            return status, data.decode()

    def create(name: str, version: str = "1.41", **extra: object) -> tuple[int, object]:
        body = {"Image": "busybox:latest", "Cmd": ["true"], **extra}
        return call("POST", f"/containers/create?name={name}", body, version)

    out: list[object] = []
    # Network names: a duplicate without CheckDuplicate is created with a warning (refused from 25.0).
    out.append(call("POST", "/networks/create", {"Name": "dup"})[0])
    out.append(call("POST", "/networks/create", {"Name": "dup", "CheckDuplicate": True}))
    second = call("POST", "/networks/create", {"Name": "dup"})
    out.append((second[0], HEX_ID.sub("<id>", second[1]["Warning"])) if second[0] == 201 else second)  # type: ignore[index]
    for net in call("GET", '/networks?filters={"name":["dup"]}')[1]:  # type: ignore[union-attr]
        call("DELETE", f"/networks/{net['Id']}")
    # IPAM: host bits in a subnet are accepted (refused by ValidateIPAM from 25.0).
    out.append(call("POST", "/networks/create", {"Name": "hostbits", "IPAM": {"Config": [{"Subnet": "10.99.0.1/24"}]}})[0])
    call("DELETE", "/networks/hostbits")
    # Filters of later engines that 20.10 knows: dangling and scope of the network list.
    out.append(call("GET", '/networks?filters={"dangling":["true"],"scope":["local"]}')[0])
    # Restart policies and endpoint addresses are validated at create.
    out.append(create("rp1", HostConfig={"RestartPolicy": {"Name": "bogus"}}))
    out.append(create("rp2", HostConfig={"RestartPolicy": {"Name": "always", "MaximumRetryCount": 3}}))
    out.append(create("ip1", NetworkingConfig={"EndpointsConfig": {"bridge": {"IPAMConfig": {"IPv4Address": "1.2.3"}}}}))
    # IpcMode: shareable for clients below 1.40, private from 1.40.
    for version in ("1.39", "1.40"):
        create(f"ipc{version[-2:]}", version, HostConfig={"NetworkMode": "none"})
        out.append(call("GET", f"/containers/ipc{version[-2:]}/json")[1]["HostConfig"]["IpcMode"])  # type: ignore[index]
    # wait: an unknown condition is not-running on 20.10 (refused from 23.0); below 1.30 it is not read at all.
    create("waited", HostConfig={"NetworkMode": "none"})
    call("POST", "/containers/waited/start")
    call("POST", "/containers/waited/wait")
    out.append(call("POST", "/containers/waited/wait?condition=bogus"))
    out.append(call("POST", "/containers/waited/wait?condition=next-exit", version="1.29"))
    # PidsLimit of an update is not read below 1.40.
    call("POST", "/containers/waited/update", {"PidsLimit": 50}, "1.39")
    out.append(call("GET", "/containers/waited/json")[1]["HostConfig"]["PidsLimit"])  # type: ignore[index]
    call("POST", "/containers/waited/update", {"PidsLimit": 60}, "1.40")
    out.append(call("GET", "/containers/waited/json")[1]["HostConfig"]["PidsLimit"])  # type: ignore[index]
    # ConsoleSize: kept by 20.10 (engines from 23.0 reset it for requests below 1.42).
    create("console", Tty=True, HostConfig={"NetworkMode": "none", "ConsoleSize": [30, 120]})
    out.append(call("GET", "/containers/console/json")[1]["HostConfig"]["ConsoleSize"])  # type: ignore[index]
    # Several endpoints at create: refused by 20.10 at every version (Go's map order: the names not compared).
    for net in ("ep1", "ep2"):
        call("POST", "/networks/create", {"Name": net})
    status, answer = create("eps", HostConfig={"NetworkMode": "ep1"},
                            NetworkingConfig={"EndpointsConfig": {"ep1": {}, "ep2": {}}})
    out.append((status, answer["message"].rsplit(":", 1)[0]))  # type: ignore[index]
    # Below 1.28 the network list has each network's containers.
    create("member", HostConfig={"NetworkMode": "ep1"}, Cmd=["sleep", "30"])
    call("POST", "/containers/member/start")
    listed = call("GET", "/networks", version="1.27")[1]
    out.append({n["Name"]: len(n["Containers"] or {}) for n in listed if n["Name"] in ("ep1", "ep2")})  # type: ignore[union-attr]
    # Events: application/json whatever Accept says (engines from 29.0 negotiate).
    headers = unix_http(sock, "GET", "/v1.41/events?since=0&until=1", headers={"Accept": "application/x-ndjson"})[1]
    out.append(headers.get("Content-Type"))
    # An image config without a creation time: Go's zero time below 1.44.
    out.append(unix_http(sock, "POST", "/v1.41/images/load?quiet=1", _uncreated_image_archive(),
                         headers={"Content-Type": "application/x-tar"})[0])
    out.append(call("GET", "/images/uncreated:1/json")[1]["Created"])  # type: ignore[index]
    call("DELETE", "/images/uncreated:1")
    for name in ("ipc39", "ipc40", "waited", "console", "member"):
        call("DELETE", f"/containers/{name}?force=1")
    for net in ("ep1", "ep2"):
        call("DELETE", f"/networks/{net}")
    return out


def _uncreated_image_archive() -> bytes:
    """A `docker save` archive of one small image whose config has no "created" (as some builders write)."""
    layer = tar_of({"hello": b"world\n"})
    config = json.dumps({"architecture": "amd64", "os": "linux", "config": {"Cmd": ["sh"]},
                         "rootfs": {"type": "layers", "diff_ids": ["sha256:" + hashlib.sha256(layer).hexdigest()]}})
    manifest = [{"Config": "config.json", "RepoTags": ["uncreated:1"], "Layers": ["layer/layer.tar"]}]
    return tar_of({"config.json": config.encode(), "manifest.json": json.dumps(manifest).encode(),
                 "layer/layer.tar": layer})


EXPECTED = [
    201,
    (409, {"message": "network with name dup already exists"}),
    (201, "Network with name dup (id : <id>) already exists"),
    201,
    200,
    (400, {"message": "invalid restart policy 'bogus'"}),
    (400, {"message": "maximum retry count cannot be used with restart policy 'always'"}),
    (400, {"message": "invalid IPv4 address: 1.2.3"}),
    "shareable", "private",
    (200, {"Error": None, "StatusCode": 0}),
    (200, {"Error": None, "StatusCode": 0}),  # Error at 1.29 too: 20.10's answer struct has no version gate
    None, 60,
    [30, 120],
    (400, "Container cannot be connected to network endpoints"),
    {"ep1": 1, "ep2": 0},
    "application/json",
    200, "0001-01-01T00:00:00Z",
]


def _normalized(result: list[object]) -> list[object]:
    return json.loads(json.dumps(result))


def test_mockd_as_20_10_answers_the_old_sides_as_the_table_says():
    with MockdServer(["--api-version", "1.41"]) as mock:
        assert mock.request("POST", "/v1.41/images/create?fromImage=busybox&tag=latest")[0] == 200
        assert _normalized(scenario(mock.socket)) == _normalized(EXPECTED)


@pytest.mark.realdaemon
def test_the_real_dockerd_answers_the_old_sides_as_the_table_says(real_dockerd):  # noqa: F811
    import_busybox(real_dockerd)
    assert _normalized(scenario(real_dockerd.socket)) == _normalized(EXPECTED)


async def _ws_frames(sock: str, version: str, query: str) -> list[tuple[str, bytes]]:
    """The frames of a websocket attach (logs, no stream) to an exited `echo hi` container."""
    import aiohttp

    frames = []
    async with aiohttp.ClientSession(connector=aiohttp.UnixConnector(path=sock)) as session, session.ws_connect(
            f"http://localhost/v{version}/containers/wsgate/attach/ws?logs=1&stream=0{query}") as ws:
        async for msg in ws:
            if msg.type in (aiohttp.WSMsgType.TEXT, aiohttp.WSMsgType.BINARY):
                data = msg.data.encode() if isinstance(msg.data, str) else msg.data
                frames.append((msg.type.name, data))
    return frames


async def _websocket_scenario(sock: str) -> list[object]:
    body = json.dumps({"Image": "busybox:latest", "Cmd": ["echo", "hi"], "HostConfig": {"NetworkMode": "none"}})
    assert unix_http(sock, "POST", "/v1.41/containers/create?name=wsgate", body.encode(),
                     headers={"Content-Type": "application/json"})[0] == 201
    unix_http(sock, "POST", "/v1.41/containers/wsgate/start")
    unix_http(sock, "POST", "/v1.41/containers/wsgate/wait")
    try:
        # Text frames below 1.28; every stream whatever the query below 1.42.
        return [await _ws_frames(sock, "1.27", ""), await _ws_frames(sock, "1.41", "&stdout=0")]
    finally:
        unix_http(sock, "DELETE", "/v1.41/containers/wsgate?force=1")


WEBSOCKET_EXPECTED = [[["TEXT", "hi\n"]], [["BINARY", "hi\n"]]]


def _frames_normalized(result: list) -> list:
    return [[[kind, data.decode()] for kind, data in frames] for frames in result]


async def test_mockd_as_20_10_attaches_websockets_as_the_table_says():
    with MockdServer(["--api-version", "1.41"]) as mock:
        assert mock.request("POST", "/v1.41/images/create?fromImage=busybox&tag=latest")[0] == 200
        assert _frames_normalized(await _websocket_scenario(mock.socket)) == WEBSOCKET_EXPECTED


@pytest.mark.realdaemon
async def test_the_real_dockerd_attaches_websockets_as_the_table_says(real_dockerd):  # noqa: F811
    import_busybox(real_dockerd)
    assert _frames_normalized(await _websocket_scenario(real_dockerd.socket)) == WEBSOCKET_EXPECTED
