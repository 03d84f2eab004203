"""Hostile container scripts and a /_ping latency probe, shared by tests/test_shell_hostile.py (the bound) and
tests/perf/bench_hostile_scripts.py (the figures). Issue 9: one `sh -c 'echo $((7**7**8))'` used to freeze
every client of mockd for seconds; no script a container runs may stall the event loop."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

from mockd.pytest_plugin import MockdServer

HOSTILE: dict[str, str] = {
    "arithmetic bomb": "while :; do x=$((7**7**8 * 9**9**9 ** 2**62)); done",
    "tight loop": "while :; do :; done",
    "long for loop": "while :; do for i in $(seq 200000); do :; done; done",
    "string doubling to the limit": "while :; do sh -c 'x=a; while :; do x=$x$x; done'; done",
    "big strings": "while :; do x=a; i=0; while [ $i -lt 23 ]; do x=$x$x; i=$((i+1)); done; done",
    "output flood": "while :; do echo flood flood flood flood flood flood flood; done",
    "yes": "yes",
    "pipe flood": "while :; do yes | cat | head -c 10000000 > /dev/null; done",
    "deep recursion": "while :; do sh -c 'f() { f; }; f'; done",
    "recursion through substitutions": "while :; do sh -c 'f() { echo $(f); }; f'; done",
}

# Run in a separate process so the probe does not compete with the server for the GIL: the latency measured is
# the server's event loop's, as any other client of the socket sees it.
_PROBE = textwrap.dedent("""
    import json, socket, sys, time
    path, count = sys.argv[1], int(sys.argv[2])
    request = b"GET /_ping HTTP/1.1\\r\\nHost: mockd\\r\\nConnection: close\\r\\n\\r\\n"
    latencies = []
    for _ in range(count):
        started = time.perf_counter()
        with socket.socket(socket.AF_UNIX) as sock:
            sock.settimeout(30)
            sock.connect(path)
            sock.sendall(request)
            data = b""
            while chunk := sock.recv(65536):
                data += chunk
        assert data.startswith(b"HTTP/1.1 200") and data.endswith(b"OK"), data
        latencies.append(time.perf_counter() - started)
        time.sleep(0.005)
    print(json.dumps(latencies))
""")


def ping_latencies(server: MockdServer, count: int) -> list[float]:
    """Seconds per `GET /_ping` (connect to response), `count` of them one after the other."""
    proc = subprocess.run([sys.executable, "-c", _PROBE, server.socket, str(count)], capture_output=True, text=True,
                          timeout=300, check=True)
    return json.loads(proc.stdout)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))]


def start_hostile(server: MockdServer, scripts: dict[str, str] = HOSTILE) -> dict[str, str]:
    """One container per script, started; name -> container id."""
    status, _, body = server.request("POST", "/v1.41/images/create?fromImage=busybox&tag=latest")
    assert status == 200, body
    ids = {}
    for name, script in scripts.items():
        status, _, body = server.request("POST", "/v1.41/containers/create",
                                         {"Image": "busybox", "Cmd": ["sh", "-c", script]})
        assert status == 201, body
        ids[name] = json.loads(body)["Id"]
        status, _, body = server.request("POST", f"/v1.41/containers/{ids[name]}/start")
        assert status == 204, body
    return ids


def running(server: MockdServer, container_id: str) -> bool:
    status, _, body = server.request("GET", f"/v1.41/containers/{container_id}/json")
    return status == 200 and json.loads(body)["State"]["Running"]


def remove_all(server: MockdServer, ids: dict[str, str]) -> None:
    for container_id in ids.values():
        server.request("DELETE", f"/v1.41/containers/{container_id}?force=1")
