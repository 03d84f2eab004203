"""A deliberately skewed small Docker client, for the tests of ``apicheck client``.

    DOCKER_HOST=unix:///... python tests/skewed_client.py MODE

Every mode negotiates like docker-py's ``version="auto"`` (unprefixed ``GET /version``, then the
lower of the daemon's version and the client's own) and lists containers and volumes, except:

- ``clean``: nothing else;
- ``field``: negotiates down to at most 1.41 and creates a container with a 1.44-only mount field
  (``HostConfig.Mounts.BindOptions.ReadOnlyNonRecursive``) under that prefix;
- ``endpoint``: calls ``POST /build/prune``, which 1.25..1.30 do not have;
- ``pin``: never negotiates: every request under ``/v1.41/``;
- ``query``: prunes the build cache with ``keep-storage``, deprecated in 1.48 and removed in 1.52.

Exit status 1 when the daemon answered 400 or more (the message on stderr), as a CLI would.
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import sys

OWN_VERSION = "1.44"


class Conn(http.client.HTTPConnection):
    def __init__(self, path: str) -> None:
        super().__init__("localhost", timeout=30)
        self.path = path

    def connect(self) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(self.path)


def key(v: str) -> tuple[int, ...]:
    return tuple(int(x) for x in v.split("."))


def call(method: str, path: str, body: object = None) -> object:
    conn = Conn(os.environ["DOCKER_HOST"].removeprefix("unix://"))
    headers = {"Content-Type": "application/json"} if body is not None else {}
    conn.request(method, path, json.dumps(body) if body is not None else None, headers)
    resp = conn.getresponse()
    data = resp.read()
    conn.close()
    if resp.status >= 400:
        print(f"Error response from daemon: {data.decode(errors='replace').strip()}", file=sys.stderr)
        sys.exit(1)
    try:
        return json.loads(data)
    except ValueError:  # empty, or a progress stream (image pulls)
        return None


def negotiate(ceiling: str) -> str:
    server = call("GET", "/version")["ApiVersion"]  # type: ignore[index]
    return min(server, ceiling, key=key)


def main(mode: str) -> None:
    v = "1.41" if mode == "pin" else negotiate("1.41" if mode == "field" else OWN_VERSION)
    call("GET", f"/v{v}/containers/json?all=1")
    call("GET", f"/v{v}/volumes")
    if mode == "field":
        call("POST", f"/v{v}/images/create?fromImage=busybox&tag=latest")
        call("POST", f"/v{v}/containers/create?name=skewed", {
            "Image": "busybox", "Cmd": ["true"],
            "HostConfig": {"Mounts": [{"Type": "bind", "Source": "/tmp", "Target": "/data",
                                       "BindOptions": {"ReadOnlyNonRecursive": True}}]}})
    elif mode == "endpoint":
        call("POST", f"/v{v}/build/prune")
    elif mode == "query":
        server = call("GET", "/version")["ApiVersion"]  # type: ignore[index]
        if key(server) >= key("1.39"):  # the parameter's own version: the client feature-gates it
            call("POST", f"/v{server}/build/prune?keep-storage=1000000")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "clean")
