"""Helpers for the end-to-end client tests: a mockd on a unix socket shared by a module, the two docker CLIs."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from mockd.pytest_plugin import MockdServer

CLIS = {"cli28": "/usr/local/bin/docker", "cli20": "/usr/bin/docker"}


@dataclass
class DockerCLI:
    name: str
    path: str
    server: MockdServer

    def env(self) -> dict[str, str]:
        env = self.server.env()
        env["DOCKER_BUILDKIT"] = "0"
        env["DOCKER_CLI_HINTS"] = "false"
        os.makedirs(env["DOCKER_CONFIG"], exist_ok=True)
        return env

    def run(self, *args: str, input: str | bytes | None = None, check: bool = True, timeout: float = 30,
            cwd: str | None = None) -> subprocess.CompletedProcess:
        data = input.encode() if isinstance(input, str) else input
        proc = subprocess.run([self.path, *args], input=data, capture_output=True, env=self.env(), timeout=timeout,
                              cwd=cwd, stdin=None if data is not None else subprocess.DEVNULL)
        proc.out = proc.stdout.decode(errors="replace")  # type: ignore[attr-defined]
        proc.err = proc.stderr.decode(errors="replace")  # type: ignore[attr-defined]
        if check and proc.returncode != 0:
            raise AssertionError(f"{self.name} docker {' '.join(args)} -> {proc.returncode}\n{proc.out}\n{proc.err}")
        return proc

    def __call__(self, *args: str, **kw) -> str:
        return self.run(*args, **kw).out  # type: ignore[attr-defined]


def module_server() -> Iterator[MockdServer]:
    # Fixed host ports (-p 8080:80) are reported, not bound: test runs side by side must not collide on them
    # (listening is tests/test_clients_ports.py's, with ports the host gives).
    server = MockdServer(["--publish-ports=off"]).start()
    try:
        yield server
    finally:
        server.stop()


def cli_params() -> list:
    return [pytest.param(path, id=name, marks=pytest.mark.skipif(not os.path.exists(path),
                                                                 reason=f"{path} is not installed"))
            for name, path in CLIS.items()]


def docker_for(request, server: MockdServer) -> DockerCLI:
    """The `docker` fixture of the CLI test modules: a fresh daemon, the CLI the param names."""
    server.reset()
    name = next(n for n, p in CLIS.items() if p == request.param)
    return DockerCLI(name, request.param, server)


def serving_server() -> Iterator[MockdServer]:
    """A module's mockd whose published ports listen (on 127.0.0.1, the default): for clients that dial them."""
    with MockdServer([]) as server:
        yield server


def fresh_cli(server: MockdServer) -> DockerCLI:
    """The newest docker CLI on a daemon back at its start."""
    server.reset()
    return DockerCLI("cli28", CLIS["cli28"], server)


def eventually(check, seconds: float = 10.0):
    """check()'s answer once it stops failing (an assertion, a refused connection), or its last failure."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            return check()
        except (AssertionError, OSError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)
