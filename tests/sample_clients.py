"""Small Docker clients for the fault and fuzz tests of ``apicheck client`` (stdlib only, DOCKER_HOST=unix://).

``python tests/sample_clients.py MODE``; each negotiates like docker-py (``GET /version``, then that prefix):

- ``retry``: lists containers, retrying a 5xx answer or a dropped connection up to 3 times (robust);
- ``naive``: lists containers and dies with a traceback on anything but 200 (crashes under an error fault);
- ``wait``: runs a container and waits for it without a timeout (hangs when the wait never answers);
- ``absent-field`` (planted bug): reads ``image["RepoDigests"][0]`` for every image: that list is ``omitempty``-free
  but may be empty or null at every version (an image built locally has no digest);
- ``enum`` (planted bug): checks every container's ``State`` against the values it knew when written, failing on a
  value a later daemon may add;
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


KNOWN_STATES = {"created", "running", "paused", "restarting", "removing", "exited", "dead"}


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
    status, images = call("GET", "/images/json", prefix=prefix)
    status, containers = call("GET", "/containers/json?all=1", prefix=prefix)
    if mode == "absent-field":
        for image in images:
            print(image["Id"][:19], image["RepoDigests"][0])  # planted: RepoDigests may be null or empty
    elif mode == "enum":
        for c in containers:
            if c["State"] not in KNOWN_STATES:  # planted: a closed enum
                raise ValueError(f"unknown container state {c['State']!r}")
            print(c["Id"][:12], c["State"])
    elif mode == "correct":
        for image in images:
            print(image.get("Id", "")[:19], (image.get("RepoDigests") or ["<none>"])[0])
        for c in containers:
            print((c.get("Id") or "")[:12], c.get("State") or "?")
    else:
        print(f"unknown mode {mode}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
