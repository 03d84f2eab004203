"""Broken tars and build contexts answered as dockerd answers them (issue 9, item 8): Go's archive/tar texts
(mockd/engine/gotar.py), the builder's refusals before its stream, images/load of an empty manifest, a volume
created twice. One table, sent to mockd --api-version 1.41 and to the real dockerd 20.10 (when it can run here);
the daemon's containers, images, volumes and networks are unchanged after each refused row."""

from __future__ import annotations

import json
import time

import pytest

from mockd.pytest_plugin import MockdServer
from tests.engine_support import tar_of
from tests.realdaemons import import_busybox, real_dockerd, unix_http  # noqa: F401  (fixture)

TAR = {"Content-Type": "application/x-tar"}
DOCKERFILE_ADD = tar_of({"Dockerfile": "FROM busybox:latest\nADD ../x /x\n"})
DOCKERFILE_COPY = tar_of({"Dockerfile": "FROM busybox:latest\nCOPY ../x /x\n"})
# (method, path, body, status, the error: the answer's message, or the last message of a 200 stream)
ROWS = [
    ("PUT", "/containers/arch/archive?path=/tmp", b"garbage", 500,
     "Error processing tar file(exit status 1): unexpected EOF"),
    ("PUT", "/containers/arch/archive?path=/tmp", b"x" * 1024, 500,
     "Error processing tar file(exit status 1): archive/tar: invalid tar header"),
    ("POST", "/build?t=b1", b"garbage", 500, "unexpected EOF"),  # JSON before any stream
    ("POST", "/build?t=b1", b"x" * 1024, 500, "archive/tar: invalid tar header"),
    ("POST", "/build?t=b1", tar_of({"other": "x"}), 500, "Cannot locate specified Dockerfile: Dockerfile"),
    ("POST", "/build?t=b1", DOCKERFILE_ADD, 200, "ADD failed: forbidden path outside the build context: ../x ()"),
    ("POST", "/build?t=b1", DOCKERFILE_COPY, 200, "COPY failed: forbidden path outside the build context: ../x ()"),
    ("POST", "/images/load", b"garbage", 200, "Error processing tar file(exit status 1): unexpected EOF"),
    ("POST", "/images/load", tar_of({"manifest.json": "{}"}), 200,
     "json: cannot unmarshal object into Go value of type []tarexport.manifestItem"),
    ("POST", "/images/load", tar_of({"manifest.json": "[]"}), 200, ""),  # one empty message: `{}`
]


def _state(call) -> tuple:
    containers = sorted(c["Id"] for c in json.loads(call("GET", "/containers/json?all=1")[1]))
    images = sorted(i["Id"] for i in json.loads(call("GET", "/images/json?all=1")[1]))
    volumes = sorted(v["Name"] for v in json.loads(call("GET", "/volumes")[1])["Volumes"] or [])
    return containers, images, volumes


def _run(sock: str) -> list:
    def call(method: str, path: str, body: bytes | None = None, headers: dict | None = None) -> tuple[int, bytes]:
        status, _, data = unix_http(sock, method, "/v1.41" + path, body, headers=headers or {})
        return status, data

    created = json.dumps({"Image": "busybox:latest", "Cmd": ["true"], "HostConfig": {"NetworkMode": "none"}})
    assert call("POST", "/containers/create?name=arch", created.encode(), {"Content-Type": "application/json"})[0] == 201
    before = _state(call)
    out = []
    for method, path, body, _, _ in ROWS:
        status, data = call(method, path, body, TAR)
        if status == 200:
            last = json.loads(data.splitlines()[-1])
            out.append((status, last.get("error", "")))
        else:
            out.append((status, json.loads(data)["message"]))
        assert _state(call) == before, (method, path)
    # dockerd's volume service logs "create" for every create, also of a volume that exists
    since = int(time.time()) - 1
    for _ in range(2):
        assert call("POST", "/volumes/create", b'{"Name":"twice"}', {"Content-Type": "application/json"})[0] == 201
    events = call("GET", f"/events?since={since}&until={int(time.time()) + 1}"
                         '&filters={"type":["volume"],"volume":["twice"]}')[1]
    out.append([json.loads(line)["Action"] for line in events.splitlines()])
    call("DELETE", "/volumes/twice")
    call("DELETE", "/containers/arch?force=1")
    return out


EXPECTED = [(status, message) for *_, status, message in ROWS] + [["create", "create"]]


def test_mockd_answers_broken_archives_as_dockerd():
    with MockdServer(["--api-version", "1.41"]) as mock:
        assert mock.request("POST", "/v1.41/images/create?fromImage=busybox&tag=latest")[0] == 200
        assert _run(mock.socket) == EXPECTED


@pytest.mark.realdaemon
def test_the_real_dockerd_answers_as_the_table_says(real_dockerd):  # noqa: F811
    import_busybox(real_dockerd)
    assert _run(real_dockerd.socket) == EXPECTED
