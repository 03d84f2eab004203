"""pytest plugin (entry point ``pytest11: mockd``): mockd servers on temporary unix sockets.

Fixtures:

- ``mockd_server``: a default mockd (newest API) in-process (its own thread and event loop);
- ``mockd_factory``: ``mockd_factory("--api-version", "1.41", subprocess=False)`` -> another one
  with custom flags; ``subprocess=True`` runs the real ``mockd`` command instead.

and, from ``mockd.pytest_versions``, ``mockd`` / ``mockd_session`` / ``mockd_env``, the
``@pytest.mark.mockd(...)`` marker and ``--mockd-versions`` (see that module).

Each of the first two yields a :class:`MockdServer` with ``.socket`` (path), ``.host`` (``unix://...``, for
``DOCKER_HOST``), ``.url`` (the control plane, ``http://mockd/_mockd``, reached over the socket),
``.request(method, path, body=None, headers=None) -> (status, headers, bytes)``, ``.control(...)``
and ``.findings()``. Servers stop (socket removed) when the test ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import http.client
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest


class _UnixConnection(http.client.HTTPConnection):
    def __init__(self, path: str, timeout: float = 30.0) -> None:
        super().__init__("localhost", timeout=timeout)
        self._path = path

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        sock.connect(self._path)
        self.sock = sock


def unix_request(path: str, method: str, target: str, body: Any = None, headers: dict[str, str] | None = None,
                 timeout: float = 30.0) -> tuple[int, dict[str, str], bytes]:
    """One HTTP exchange over a unix socket. ``body``: bytes, str, or JSON-able (sent as JSON)."""
    headers = dict(headers or {})
    if body is not None and not isinstance(body, bytes | str):
        body = json.dumps(body)
        headers.setdefault("Content-Type", "application/json")
    conn = _UnixConnection(path, timeout)
    try:
        conn.request(method, target, body=body, headers=headers)
        resp = conn.getresponse()
        data = resp.read()
        return resp.status, {k: v for k, v in resp.getheaders()}, data
    finally:
        conn.close()


class MockdServer:
    """A running mockd on a temporary unix socket (thread or subprocess)."""

    def __init__(self, args: list[str], *, subprocess_mode: bool = False) -> None:
        self.args = list(args)
        self.subprocess_mode = subprocess_mode
        self._dir = tempfile.mkdtemp(prefix="mockd-", dir="/tmp")  # short: AF_UNIX paths max 107 bytes
        self.socket = os.path.join(self._dir, "docker.sock")
        self.host = f"unix://{self.socket}"
        self.url = "http://mockd/_mockd"
        self.proc: subprocess.Popen[bytes] | None = None
        self._log: Any = None
        self.output = ""
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: Any = None
        self.startup_seconds = 0.0

    # --- lifecycle ------------------------------------------------------------------------
    def start(self) -> MockdServer:
        started = time.perf_counter()
        if self.subprocess_mode:
            self._start_subprocess()
        else:
            self._start_thread()
        self.startup_seconds = time.perf_counter() - started
        return self

    def _start_thread(self) -> None:
        from mockd.cli import Server, build_parser, config_from_args

        config = config_from_args(build_parser().parse_args(["-H", self.host, *self.args]))
        self._server = Server(config)
        self._loop = asyncio.new_event_loop()
        ready = threading.Event()
        failure: list[BaseException] = []

        def run() -> None:
            assert self._loop is not None
            asyncio.set_event_loop(self._loop)
            try:
                self._loop.run_until_complete(self._server.start())
            except BaseException as exc:  # reported to the starting thread
                failure.append(exc)
                ready.set()
                return
            ready.set()
            self._loop.run_forever()

        self._thread = threading.Thread(target=run, name="mockd", daemon=True)
        self._thread.start()
        ready.wait(30)
        if failure:
            raise failure[0]

    def _start_subprocess(self) -> None:
        env = {k: v for k, v in os.environ.items() if k != "DOCKER_HOST"}
        # The daemon's output goes to a file, not a pipe: a pipe nobody reads fills after 64 KB of log lines
        # (one per request), and the daemon then blocks in its next log write, every client with it.
        self._log = open(os.path.join(self._dir, "mockd.log"), "w+b")  # noqa: SIM115 (closed in stop)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "mockd.cli", "-H", self.host, *self.args],
            stdout=self._log, stderr=subprocess.STDOUT, env=env,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                self.output = self._read_log()
                raise RuntimeError(f"mockd exited with {self.proc.returncode}: {self.output}")
            with contextlib.suppress(OSError):
                if self.request("HEAD", "/_ping")[0] == 200:
                    return
            time.sleep(0.01)
        raise TimeoutError("mockd did not answer /_ping within 30 s")

    def log(self) -> str:
        """What a subprocess daemon has written so far (its banner, one line per request, its findings)."""
        if self._log is None:
            return self.output
        self._log.flush()
        with open(self._log.name, "rb") as f:
            return f.read().decode(errors="replace")

    def _read_log(self) -> str:
        if self._log is None:
            return ""
        self._log.seek(0)
        text = self._log.read().decode(errors="replace")
        self._log.close()
        self._log = None
        return text

    @property
    def control_token(self) -> str | None:
        """The control plane's bearer token over TCP (in-process servers started with --control-on-tcp)."""
        return self._server.control_token if self._server else None

    @property
    def app(self) -> Any:
        """The aiohttp application (in-process servers only)."""
        return self._server.app if self._server else None

    def stop(self) -> None:
        if self.proc is not None:
            if self.proc.poll() is None:
                self.proc.terminate()
                try:
                    self.proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait()
            self.output += self._read_log()
            self.proc = None
        if self._loop is not None and self._server is not None:
            fut = asyncio.run_coroutine_threadsafe(self._server.stop(), self._loop)
            with contextlib.suppress(Exception):
                fut.result(15)
            self._loop.call_soon_threadsafe(self._loop.stop)
            if self._thread is not None:
                self._thread.join(10)
            self._loop.close()
            self._loop = None
        shutil.rmtree(self._dir, ignore_errors=True)

    def __enter__(self) -> MockdServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- talking to it ---------------------------------------------------------------------
    def request(self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None,
                timeout: float = 30.0) -> tuple[int, dict[str, str], bytes]:
        return unix_request(self.socket, method, path, body, headers, timeout)

    def control(self, method: str, name: str, body: Any = None) -> Any:
        status, _, data = self.request(method, f"/_mockd/{name}", body)
        if status >= 400:
            raise RuntimeError(f"/_mockd/{name}: {status} {data!r}")
        return json.loads(data)

    def findings(self, since: int = 0) -> list[dict[str, Any]]:
        return self.control("GET", f"findings?since={since}")["findings"]

    def reset(self) -> None:
        self.control("POST", "reset")

    def env(self) -> dict[str, str]:
        """An environment for docker CLIs: this server as DOCKER_HOST, nothing inherited that points elsewhere."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("DOCKER_")}
        env["DOCKER_HOST"] = self.host
        env["DOCKER_CONFIG"] = os.path.join(self._dir, "docker-config")
        return env


@pytest.fixture
def mockd_factory() -> Iterator[Any]:
    servers: list[MockdServer] = []

    def make(*args: str, subprocess: bool = False) -> MockdServer:
        server = MockdServer(list(args), subprocess_mode=subprocess).start()
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.stop()


@pytest.fixture
def mockd_server(mockd_factory: Any) -> MockdServer:
    return mockd_factory()


# The version-aware fixtures, marker and option live in their own module, registered as a plugin of
# its own (pytest imports it from this name; it imports this module, never the other way round).
pytest_plugins = ["mockd.pytest_versions"]
