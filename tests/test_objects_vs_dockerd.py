"""Object details docker-py's own suite checks (issue 13), answered by mockd at 1.41 as by the real dockerd 20.10:
network names with spaces, the host/null drivers refused for user networks, IPAM AuxiliaryAddresses (and the
order of an IPAM config's fields), LogConfig's default and an unknown log driver, a bind's propagation mode, the
container-wide MacAddress. The same requests go to both; the answers (ids, times and addresses normalized) must
be equal."""

from __future__ import annotations

import json

import pytest

from mockd.pytest_plugin import MockdServer
from tests.realdaemons import import_busybox, real_dockerd, unix_http  # noqa: F401  (fixture)


def scenario(sock: str) -> list[object]:
    def call(method: str, path: str, body: object = None) -> tuple[int, object]:
        status, _, data = unix_http(sock, method, "/v1.41" + path, json.dumps(body).encode() if body else None,
                                    headers={"Content-Type": "application/json"})
        try:
            return status, json.loads(data) if data else None
        except ValueError:
            return status, data.decode()

    def create(name: str, **extra: object) -> int:
        body = {"Image": "busybox:latest", "Cmd": ["sleep", "30"], **extra}
        return call("POST", f"/containers/create?name={name}", body)[0]

    out: list[object] = []
    out.append(call("POST", "/networks/create", {"Name": "host-again", "Driver": "host"}))
    out.append(call("POST", "/networks/create", {"Name": "null-again", "Driver": "null"}))
    out.append(call("POST", "/networks/create", {"Name": "with space"})[0])
    out.append(call("GET", "/networks/with%20space")[1]["Name"])  # type: ignore[index]
    out.append(call("DELETE", "/networks/with%20space")[0])
    ipam = {"Driver": "default", "Config": [{"Subnet": "172.31.0.0/16", "IPRange": "172.31.5.0/24",
                                             "Gateway": "172.31.5.254", "AuxiliaryAddresses": {"a": "172.31.1.5",
                                                                                                "b": "172.31.1.6"}}]}
    out.append(call("POST", "/networks/create", {"Name": "aux", "IPAM": ipam})[0])
    out.append(list(call("GET", "/networks/aux")[1]["IPAM"]["Config"][0].items()))  # type: ignore[index]
    call("DELETE", "/networks/aux")
    out.append(create("logdefault", HostConfig={"NetworkMode": "none", "LogConfig": {"Type": "", "Config": {"max-file": "2"}}}))
    out.append(call("GET", "/containers/logdefault/json")[1]["HostConfig"]["LogConfig"])  # type: ignore[index]
    out.append(call("POST", "/containers/create?name=logbad",
                    {"Image": "busybox:latest", "Cmd": ["true"], "HostConfig": {"NetworkMode": "none", "LogConfig": {"Type": "asdf"}}}))
    out.append(create("shared", HostConfig={"NetworkMode": "none", "Binds": ["/tmp:/mnt:rw,rshared"]}))
    mounts = call("GET", "/containers/shared/json")[1]["Mounts"]  # type: ignore[index]
    out.append([(m["Destination"], m["Mode"], m["RW"], m["Propagation"]) for m in mounts])
    out.append(create("mac", MacAddress="02:42:ac:11:00:0a", HostConfig={"NetworkMode": "macnet"}) if
               call("POST", "/networks/create", {"Name": "macnet"})[0] == 201 else None)
    call("POST", "/containers/mac/start")
    out.append(call("GET", "/containers/mac/json")[1]["NetworkSettings"]["Networks"]["macnet"]["MacAddress"])  # type: ignore[index]
    for name in ("logdefault", "shared", "mac"):
        call("DELETE", f"/containers/{name}?force=1")
    call("DELETE", "/networks/macnet")
    return out


EXPECTED = [
    (403, {"message": 'only one instance of "host" network is allowed'}),
    (403, {"message": 'only one instance of "null" network is allowed'}),
    201, "with space", 204,
    201, [["Subnet", "172.31.0.0/16"], ["IPRange", "172.31.5.0/24"], ["Gateway", "172.31.5.254"],
          ["AuxiliaryAddresses", {"a": "172.31.1.5", "b": "172.31.1.6"}]],
    201, {"Type": "json-file", "Config": {"max-file": "2"}},
    (400, {"message": 'error looking up logging plugin asdf: plugin "asdf" not found'}),
    201, [("/mnt", "rw,rshared", True, "rshared")],
    201, "02:42:ac:11:00:0a",
]


def _normalized(result: list[object]) -> list[object]:
    return json.loads(json.dumps(result))


def test_mockd_answers_as_dockerd_20_10():
    with MockdServer(["--api-version", "1.41"]) as mock:
        assert mock.request("POST", "/v1.41/images/create?fromImage=busybox&tag=latest")[0] == 200
        assert _normalized(scenario(mock.socket)) == _normalized(EXPECTED)


@pytest.mark.realdaemon
def test_the_real_dockerd_answers_as_the_table_says(real_dockerd):  # noqa: F811
    import_busybox(real_dockerd)
    assert _normalized(scenario(real_dockerd.socket)) == _normalized(EXPECTED)
