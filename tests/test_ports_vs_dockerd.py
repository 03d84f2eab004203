"""Published ports against a real dockerd 20.10 and against mockd (at 1.41): the same requests, the same statuses,
texts and port views (ports and endpoint ids normalized). The private dockerd runs without the default bridge, so
both sides publish on a user-defined bridge network."""

from __future__ import annotations

import json
import re
import socket
import urllib.parse

import pytest

from mockd.pytest_plugin import MockdServer
from tests.realdaemons import import_busybox, unix_http

pytestmark = pytest.mark.realdaemon


def scenario(sock: str) -> dict[str, object]:
    def call(method: str, path: str, body: object = None) -> tuple[int, object]:
        status, _, data = unix_http(sock, method, "/v1.41" + path,
                                    json.dumps(body).encode() if body is not None else None,
                                    headers={"Content-Type": "application/json"})
        try:
            return status, json.loads(data) if data else None
        except ValueError:
            return status, data.decode()

    def run(name: str, bindings: dict, exposed: tuple[str, ...] = ("80/tcp",)) -> tuple[int, object]:
        body = {"Image": "busybox:latest", "Cmd": ["sleep", "100"], "ExposedPorts": {k: {} for k in exposed},
                "HostConfig": {"NetworkMode": "pnet", "PortBindings": bindings}}
        status, answer = call("POST", f"/containers/create?name={name}", body)
        if status != 201:
            return status, answer
        return call("POST", f"/containers/{name}/start")

    def ports(name: str) -> object:
        info = call("GET", f"/containers/{name}/json")[1]
        assert isinstance(info, dict)
        return info["State"]["Status"], info["NetworkSettings"]["Ports"], info["HostConfig"]["PortBindings"]

    out: dict[str, object] = {}
    assert call("POST", "/networks/create", {"Name": "pnet", "Driver": "bridge"})[0] == 201
    for case, bindings in {"bad-port": {"abc/tcp": [{"HostPort": "1"}]}, "range": {"70000/tcp": [{"HostPort": "1"}]},
                           "bad-host": {"80/tcp": [{"HostPort": "x"}]}}.items():
        out[case] = run(f"c-{case}", bindings)
    assert call("POST", "/containers/create?name=c-fresh", {"Image": "busybox:latest", "Cmd": ["true"], "ExposedPorts": {"80/tcp": {}},
                                                           "HostConfig": {"PortBindings": {"80/tcp": [{}]}}})[0] == 201
    out["fresh"] = ports("c-fresh")
    out["proto"] = run("c-proto", {"80/xyz": [{"HostPort": "0"}]}, ("80/xyz",))
    out["proto-state"] = ports("c-proto")
    out["zero"] = run("c-zero", {"80/tcp": [{"HostPort": "0"}, {"HostPort": ""}]})
    out["zero-ports"] = ports("c-zero")
    status, answer = call("GET", "/containers/json?filters=" + urllib.parse.quote(json.dumps({"name": ["c-zero"]})))
    out["list-ports"] = [c["Ports"] for c in answer] if isinstance(answer, list) else (status, answer)
    taken = ports("c-zero")[1]["80/tcp"][0]["HostPort"]  # type: ignore[index]
    out["taken"] = run("c-taken", {"80/tcp": [{"HostPort": taken}]})
    out["taken-state"] = ports("c-taken")
    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    holder.listen()
    try:
        out["host-held"] = run("c-held", {"80/tcp": [{"HostPort": str(holder.getsockname()[1])}]})
    finally:
        holder.close()
    call("POST", "/containers/c-zero/kill")
    out["after-stop"] = ports("c-zero")
    for name in ("c-fresh", "c-proto", "c-zero", "c-taken", "c-held"):
        call("DELETE", f"/containers/{name}?force=1")
    call("DELETE", "/networks/pnet")
    return normalized(out)


def normalized(value: object) -> object:
    text = json.dumps(value, sort_keys=True)
    text = re.sub(r"\(([0-9a-f]{64})\)", "(ENDPOINT)", text)
    text = re.sub(r'"(\d{4,5})"', '"PORT"', text)  # a HostPort
    text = re.sub(r":(\d{4,5})\b", ":PORT", text)  # in a message
    text = re.sub(r"(?<=[\s\[])(\d{4,5})(?=[,\]}])", '"PORT"', text)  # a PublicPort
    return json.loads(text)


def test_port_publishing_matches_dockerd(real_dockerd, tmp_path):
    import_busybox(real_dockerd.socket)
    real = scenario(real_dockerd.socket)
    with MockdServer(["--api-version", "1.41"]) as mock:
        import_busybox(mock.socket)
        fake = scenario(mock.socket)
    assert fake == real
    # What was compared (so a silent change on either side shows):
    assert real["taken"][1]["message"].endswith("Bind for 0.0.0.0:PORT failed: port is already allocated")
    assert real["host-held"][1]["message"].endswith(
        "Error starting userland proxy: listen tcp4 0.0.0.0:PORT: bind: address already in use")
    assert real["bad-port"] == [400, {"message": 'invalid port specification: "abc"'}]
    assert real["proto"][1]["message"].endswith("): invalid transport protocol: 0")
