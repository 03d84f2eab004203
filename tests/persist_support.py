"""A mockd process on a unix socket with --data-root, started, killed and restarted by the persistence tests."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time

import aiohttp

BUSYBOX_IMAGE = "busybox:latest"


class MockdProcess:
    def __init__(self, tmp: str, data_root: str, *extra: str) -> None:
        self.sock = os.path.join(tmp, "mockd.sock")
        self.data_root = data_root
        self.extra = list(extra)
        self.proc: subprocess.Popen[str] | None = None

    def start(self) -> MockdProcess:
        if os.path.exists(self.sock):
            os.unlink(self.sock)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "mockd.cli", "--log-level", "warning", "-H", f"unix://{self.sock}",
             "--data-root", self.data_root, *self.extra],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 60
        while not self._accepts():  # the socket file appears at bind, a moment before listen()
            if self.proc.poll() is not None:
                raise RuntimeError(f"mockd exited {self.proc.returncode}: {self.proc.stderr.read()}")
            if time.monotonic() > deadline:
                raise RuntimeError("mockd did not start")
            time.sleep(0.02)
        return self

    def _accepts(self) -> bool:
        probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            probe.connect(self.sock)
            return True
        except OSError:
            return False
        finally:
            probe.close()

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self) -> int:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=60)

    def session(self) -> aiohttp.ClientSession:
        return aiohttp.ClientSession(connector=aiohttp.UnixConnector(path=self.sock),
                                     base_url="http://mockd")


def run_refused(data_root: str, tmp: str) -> subprocess.CompletedProcess[str]:
    """mockd on a data root it must refuse: it exits on its own with the reason on stderr."""
    return subprocess.run([sys.executable, "-m", "mockd.cli", "-H", f"unix://{os.path.join(tmp, 'r.sock')}",
                           "--data-root", data_root], capture_output=True, text=True, timeout=60)
