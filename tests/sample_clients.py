"""Small Docker clients for the fault and fuzz tests of ``apicheck client`` (stdlib only, DOCKER_HOST=unix://).

``python tests/sample_clients.py MODE``; each negotiates like docker-py (``GET /version``, then that prefix):

- ``retry``: lists containers, retrying a 5xx answer or a dropped connection up to 3 times (robust);
- ``naive``: lists containers and dies with a traceback on anything but 200 (crashes under an error fault);
- ``wait``: runs a container and waits for it without a timeout (hangs when the wait never answers);
- ``absent-field`` (planted bug): reads ``container["SizeRw"]`` of ``GET /containers/json?size=1``: ``omitempty`` in
  dockerd's ``container.Summary``, so absent when the container wrote nothing;
- ``enum`` (planted bug): checks every mount's ``Type`` against API 1.44's ``MountType`` values, failing on ``image``
  (added in 1.48), which a newer daemon sends whatever version was asked;
- ``correct``: the same workflow as both, written defensively (``.get``, no closed enum): must pass any fuzzing.
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import sys


class Conn(http.client.HTTPConnection):
    def connect(self) -> None:
        self.sock = socket.socket(socket.AF_UNIX)
        self.sock.connect(os.environ["DOCKER_HOST"][len("unix://"):])


def call(method: str, path: str, body=None, prefix: str = ""):
    c = Conn("localhost", timeout=None)
    c.request(method, prefix + path, json.dumps(body) if body is not None else None,
              {"Content-Type": "application/json"} if body is not None else {})
    r = c.getresponse()
    data = r.read()
    c.close()
    return r.status, json.loads(data) if data.strip() and r.getheader("Content-Type", "").startswith(
        "application/json") else data


def version() -> str:
    status, body = call("GET", "/version")
    assert status == 200, body
    return "/v" + body["ApiVersion"]


KNOWN_MOUNT_TYPES = {"bind", "cluster", "npipe", "tmpfs", "volume"}  # API 1.44's MountType


def main(mode: str) -> int:
    if mode == "retry":
        for _attempt in range(4):
            try:
                status, body = call("GET", "/containers/json", prefix="/v1.41")
            except (ConnectionError, http.client.RemoteDisconnected):
                continue
            if status < 500:
                print(len(body))
                return 0
        print("giving up after 4 attempts", file=sys.stderr)
        return 1
    if mode == "naive":
        status, body = call("GET", "/containers/json", prefix="/v1.41")
        if status != 200:
            raise RuntimeError(f"daemon said {status}: {body}")
        print(len(body))
        return 0
    prefix = version()
    if mode == "wait":
        status, created = call("POST", "/containers/create", {"Image": "busybox", "Cmd": ["true"]}, prefix)
        call("POST", f"/containers/{created['Id']}/start", prefix=prefix)
        status, waited = call("POST", f"/containers/{created['Id']}/wait", prefix=prefix)
        return waited["StatusCode"]
    status, containers = call("GET", "/containers/json?all=1&size=1", prefix=prefix)
    assert status == 200, containers
    if mode == "absent-field":
        for c in containers:
            print(c["Names"][0], c["SizeRw"])  # planted: SizeRw is omitempty in dockerd (absent when 0)
    elif mode == "enum":
        for c in containers:
            for m in c["Mounts"] or []:
                if m["Type"] not in KNOWN_MOUNT_TYPES:  # planted: a closed enum
                    raise ValueError(f"unknown mount type {m['Type']!r}")
                print(c["Names"][0], m["Type"], m.get("Name"))
    elif mode == "correct":
        for c in containers or []:
            names = c.get("Names") or ["?"]
            print(names[0], c.get("SizeRw", 0), [m.get("Type") for m in c.get("Mounts") or []])
    else:
        print(f"unknown mode {mode}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
