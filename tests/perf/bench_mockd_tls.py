"""mockd over TLS: requests/s on kept-alive connections and new connections/s (handshakes), plain TCP beside.

    python tests/perf/bench_mockd_tls.py [--seconds 3]

Two mockd subprocesses, one on plain TCP, one with --tlsverify (certificates made here, ECDSA P-256), the
load from this process (aiohttp client, 8 concurrent workers). Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import ssl
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))

import aiohttp  # noqa: E402

from mockd.pytest_plugin import MockdServer  # noqa: E402
from tests.tlscerts import make_certs  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def _load(url: str, seconds: float, ssl_context: ssl.SSLContext | None, keep_alive: bool,
                concurrency: int = 8) -> float:
    connector = aiohttp.TCPConnector(ssl=ssl_context if ssl_context is not None else False,
                                     force_close=not keep_alive)
    done = 0
    async with aiohttp.ClientSession(connector=connector) as session:
        deadline = time.perf_counter() + seconds

        async def worker() -> None:
            nonlocal done
            while time.perf_counter() < deadline:
                async with session.get(url) as r:
                    await r.read()
                done += 1

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return done / seconds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=3.0)
    seconds = parser.parse_args().seconds
    certs = make_certs(Path(tempfile.mkdtemp(prefix="mockd-tls-bench-", dir="/tmp")))
    client = ssl.create_default_context(cafile=str(certs.ca))
    client.load_cert_chain(str(certs.client_cert), str(certs.client_key))
    plain, secure = free_port(), free_port()
    tls_flags = ["--tlsverify", "--tlscacert", str(certs.ca), "--tlscert", str(certs.server_cert),
                 "--tlskey", str(certs.server_key)]
    # One TLS setting covers every TCP listener, as in dockerd: two daemons, one plain, one with TLS.
    with MockdServer(["--log-level", "warning", "-H", f"tcp://127.0.0.1:{plain}"], subprocess_mode=True), \
            MockdServer(["--log-level", "warning", "-H", f"tcp://127.0.0.1:{secure}", *tls_flags], subprocess_mode=True):
        print(f"== GET /_ping, 8 concurrent clients, {seconds:.0f} s each")
        for keep_alive, label in ((True, "kept-alive connections"), (False, "a new connection per request")):
            p = asyncio.run(_load(f"http://127.0.0.1:{plain}/_ping", seconds, None, keep_alive))
            t = asyncio.run(_load(f"https://localhost:{secure}/_ping", seconds, client, keep_alive))
            print(f"  {label:30s} plain TCP {p:7.0f}/s   TLS (client certificate verified) {t:7.0f}/s  ({t / p:.0%})")


if __name__ == "__main__":
    main()
