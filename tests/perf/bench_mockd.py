"""mockd benchmark: request validation cost, requests/s against a bare aiohttp baseline, start-up time.

    python tests/perf/bench_mockd.py [--seconds 3]

Prints figures; asserts nothing (speed targets are read from here, not from unit tests).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))

import aiohttp  # noqa: E402

import specs  # noqa: E402
from mockd.pytest_plugin import MockdServer, unix_request  # noqa: E402
from specs.validation import check_request  # noqa: E402

CREATE_BODY = {
    "Hostname": "", "Domainname": "", "User": "", "AttachStdin": False, "AttachStdout": True, "AttachStderr": True,
    "Tty": False, "OpenStdin": False, "StdinOnce": False, "Env": None, "Cmd": ["sh", "-c", "echo hi"], "Image": "busybox",
    "Volumes": {}, "WorkingDir": "", "Entrypoint": None, "OnBuild": None, "Labels": {},
    "HostConfig": {"Binds": None, "ContainerIDFile": "", "LogConfig": {"Type": "", "Config": {}}, "NetworkMode": "default",
                   "PortBindings": {}, "RestartPolicy": {"Name": "no", "MaximumRetryCount": 0}, "AutoRemove": False,
                   "VolumeDriver": "", "VolumesFrom": None, "CapAdd": None, "CapDrop": None, "CgroupnsMode": "",
                   "Dns": [], "DnsOptions": [], "DnsSearch": [], "ExtraHosts": None, "GroupAdd": None, "IpcMode": "",
                   "Cgroup": "", "Links": None, "OomScoreAdj": 0, "PidMode": "", "Privileged": False,
                   "PublishAllPorts": False, "ReadonlyRootfs": False, "SecurityOpt": None, "UTSMode": "", "UsernsMode": "",
                   "ShmSize": 0, "ConsoleSize": [0, 0], "Isolation": "", "CpuShares": 0, "Memory": 0, "NanoCpus": 0,
                   "CgroupParent": "", "BlkioWeight": 0, "BlkioWeightDevice": [], "CpuPeriod": 0, "CpuQuota": 0,
                   "MemorySwappiness": -1, "OomKillDisable": False, "PidsLimit": None, "Ulimits": None},
    "NetworkingConfig": {"EndpointsConfig": {}},
}


def per_call_us(fn, n: int) -> float:
    fn()
    started = time.perf_counter()
    for _ in range(n):
        fn()
    return (time.perf_counter() - started) / n * 1e6


def validation_costs() -> None:
    print("== request validation, one `docker create` body (POST /containers/create)")
    for version in ("1.41", "1.52"):
        spec = specs.load(version)
        op = spec.operation_by_id("ContainerCreate")
        query = {"name": ["web"]}
        cold = time.perf_counter()
        check_request(spec, op, query, CREATE_BODY)
        cold_ms = (time.perf_counter() - cold) * 1000
        warm = per_call_us(lambda spec=spec, op=op, query=query: check_request(spec, op, query, CREATE_BODY), 2000)
        print(f"  compiled (jsonschema-rs), {version}: {warm:8.1f} µs/request warm, first call {cold_ms:.1f} ms (compile)")
    try:
        from openapi_core import Config, OpenAPI
        from openapi_core.testing import MockRequest
    except ImportError:
        print("  openapi-core not installed")
        return
    spec = specs.load("1.41")
    api = OpenAPI.from_dict(spec.doc, config=Config(spec_validator_cls=None))
    req = MockRequest("http://localhost", "post", "/v1.41/containers/create", args={"name": "web"},
                      data=json.dumps(CREATE_BODY).encode(), content_type="application/json")

    def ref() -> None:
        try:
            api.validate_request(req)
        except Exception:  # noqa: BLE001 - its verdict does not matter here, its cost does
            pass

    print(f"  openapi-core (reference), 1.41:   {per_call_us(ref, 50):8.1f} µs/request")


async def _load(url_path: str, socket_path: str, seconds: float, method: str = "GET", body: bytes | None = None,
                concurrency: int = 8) -> float:
    conn = aiohttp.UnixConnector(path=socket_path)
    done = 0
    async with aiohttp.ClientSession(connector=conn) as session:
        deadline = time.perf_counter() + seconds

        async def worker() -> None:
            nonlocal done
            while time.perf_counter() < deadline:
                async with session.request(method, "http://x" + url_path, data=body,
                                           headers={"Content-Type": "application/json"} if body else None) as r:
                    await r.read()
                done += 1

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return done / seconds


def _baseline_server(socket_path: str) -> subprocess.Popen[bytes]:
    code = (
        "import sys\nfrom aiohttp import web\n"
        "async def ping(r): return web.Response(text='OK')\n"
        "async def create(r):\n    await r.read()\n    return web.json_response({'Id': 'x'*64, 'Warnings': []}, status=201)\n"
        "app = web.Application()\napp.router.add_route('*', '/_ping', ping)\n"
        "app.router.add_route('POST', '/v1.41/containers/create', create)\n"
        f"web.run_app(app, path={socket_path!r}, print=None, access_log=None)\n"
    )
    return subprocess.Popen([sys.executable, "-c", code])


def _wait(socket_path: str) -> float:
    started = time.perf_counter()
    while True:
        try:
            if unix_request(socket_path, "GET", "/_ping")[0] == 200:
                return time.perf_counter() - started
        except OSError:
            time.sleep(0.002)
        if time.perf_counter() - started > 30:
            raise TimeoutError(socket_path)


def throughput(seconds: float) -> None:
    print(f"== requests/s over a unix socket (8 concurrent clients, {seconds:.0f} s each, separate processes)")
    body = json.dumps(CREATE_BODY).encode()
    tmp = tempfile.mkdtemp(prefix="mockd-bench-", dir="/tmp")
    base_sock = os.path.join(tmp, "base.sock")
    base = _baseline_server(base_sock)
    try:
        _wait(base_sock)
        b_ping = asyncio.run(_load("/_ping", base_sock, seconds))
        b_create = asyncio.run(_load("/v1.41/containers/create", base_sock, seconds, "POST", body))
    finally:
        base.terminate()
        base.wait()
    with MockdServer(["--log-level", "warning"], subprocess_mode=True) as server:
        m_ping = asyncio.run(_load("/_ping", server.socket, seconds))
        m_create = asyncio.run(_load("/v1.41/containers/create", server.socket, seconds, "POST", body))
    print(f"  GET /_ping                 bare aiohttp {b_ping:8.0f}/s   mockd {m_ping:8.0f}/s  ({m_ping / b_ping:.0%})")
    print(f"  POST /containers/create    bare aiohttp {b_create:8.0f}/s   mockd {m_create:8.0f}/s  ({m_create / b_create:.0%})"
          "  (mockd: negotiation, checks, generated answer)")


def startup(runs: int = 5) -> None:
    print("== start-up: process launch to the first answered /_ping")
    times = []
    for _ in range(runs):
        tmp = tempfile.mkdtemp(prefix="mockd-bench-", dir="/tmp")
        sock = os.path.join(tmp, "d.sock")
        started = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-m", "mockd.cli", "-H", f"unix://{sock}", "--log-level", "warning"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            _wait(sock)
            times.append(time.perf_counter() - started)
        finally:
            proc.terminate()
            proc.wait()
    times.sort()
    print(f"  median {times[len(times) // 2] * 1000:.0f} ms, min {times[0] * 1000:.0f} ms, max {times[-1] * 1000:.0f} ms "
          f"over {runs} runs")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=3.0)
    args = parser.parse_args()
    validation_costs()
    throughput(args.seconds)
    startup()


if __name__ == "__main__":
    main()
