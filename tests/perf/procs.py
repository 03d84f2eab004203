"""Processes of the benchmark suite: mockd and the baseline as subprocesses on unix sockets, readiness by
``HEAD /_ping``, resident memory from /proc, and one-shot commands measured for wall time and peak RSS."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PING = b"HEAD /_ping HTTP/1.1\r\nHost: docker\r\n\r\n"


def answers_ping(path: str, timeout: float = 1.0) -> bool:
    """One blocking ``HEAD /_ping``: True on a 200."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    try:
        sock.connect(path)
        sock.sendall(PING)
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(4096)
            if not chunk:
                return False
            data += chunk
        return data.startswith(b"HTTP/1.1 200")
    except OSError:
        return False
    finally:
        sock.close()


# Bytecode of every child process goes here (set by the suite: a directory of its run), so that a warm start
# is warm even where PYTHONDONTWRITEBYTECODE is set, and the worktree gets no __pycache__ directories.
PYCACHE: list[str] = []


def env_for_children(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOCKER_") and k != "PYTHONDONTWRITEBYTECODE"}
    if PYCACHE:
        env["PYTHONPYCACHEPREFIX"] = PYCACHE[0]
    env["PYTHONPATH"] = str(ROOT) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env.update(extra)
    return env


class Proc:
    """A server subprocess listening on ``socket``; ``ready()`` waits for its first answered ping."""

    def __init__(self, argv: list[str], socket_path: str, env: dict[str, str] | None = None,
                 cwd: str | Path = ROOT) -> None:
        self.socket = socket_path
        self.started = time.perf_counter()
        self.log = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(argv, stdout=self.log, stderr=subprocess.STDOUT, env=env or env_for_children(),
                                     cwd=cwd)
        self.startup = float("nan")

    def ready(self, timeout: float = 30.0, interval: float = 0.003) -> float:
        """Seconds from launch to the first answered ping."""
        deadline = self.started + timeout
        while time.perf_counter() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.proc.args} exited with {self.proc.returncode}: {self.output()}")
            if os.path.exists(self.socket) and answers_ping(self.socket):
                self.startup = time.perf_counter() - self.started
                return self.startup
            time.sleep(interval)
        raise TimeoutError(f"{self.proc.args} did not answer /_ping within {timeout} s")

    def output(self) -> str:
        self.log.seek(0)
        return self.log.read().decode(errors="replace")[-3000:]

    def rss_mb(self) -> float:
        return rss_mb(self.proc.pid)

    def cpu(self) -> float:
        return cpu_seconds(self.proc.pid)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


def cpu_seconds(pid: int) -> float:
    """User + system CPU time the process used so far (/proc/PID/stat, clock ticks)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


class Workdir:
    """A short temporary directory for sockets (AF_UNIX paths are limited to 107 bytes)."""

    def __init__(self) -> None:
        self.path = tempfile.mkdtemp(prefix="mperf-", dir="/tmp")
        PYCACHE[:] = [os.path.join(self.path, "pycache")]

    def sock(self, name: str) -> str:
        return os.path.join(self.path, f"{name}.sock")

    def remove(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)


def mockd_argv(socket_path: str, *flags: str) -> list[str]:
    return [sys.executable, "-m", "mockd.cli", "-H", f"unix://{socket_path}", "--log-level", "warning", *flags]


def start_mockd(work: Workdir, name: str, *flags: str, env: dict[str, str] | None = None,
                cwd: str | Path = ROOT) -> Proc:
    sock = work.sock(name)
    return Proc(mockd_argv(sock, *flags), sock, env, cwd)


def baseline_argv(socket_path: str, *, raw: bool = False, uvloop: bool = False) -> list[str]:
    argv = [sys.executable, str(ROOT / "tests" / "perf" / "baseline_app.py"), "--socket", socket_path]
    return argv + (["--raw"] if raw else []) + (["--uvloop"] if uvloop else [])


def mockd_uses_uvloop() -> bool:
    """The baseline runs on uvloop exactly when mockd does (same process model, same loop)."""
    return any("uvloop" in p.read_text() for p in (ROOT / "mockd").rglob("*.py"))


@dataclass
class CommandCost:
    seconds: float
    max_rss_mb: float
    stdout: str
    returncode: int


# Runs a module or code as ``python -m``/``-c`` would, then writes the process's own peak RSS (VmHWM) to the
# file $PERF_PEAK_FILE. (wait4's ru_maxrss would also count the suite's memory the child had before exec.)
_PEAK = """
import atexit, os, runpy, sys
def _peak():
    with open('/proc/self/status') as f:
        hwm = next(line.split()[1] for line in f if line.startswith('VmHWM:'))
    with open(os.environ['PERF_PEAK_FILE'], 'w') as out:
        out.write(hwm)
atexit.register(_peak)
kind, target, *sys.argv[1:] = sys.argv[1:]
sys.argv[0] = target
if kind == '-m':
    runpy.run_module(target, run_name='__main__', alter_sys=True)
else:
    exec(compile(target, '<code>', 'exec'), {'__name__': '__main__'})
"""


def run_python(kind: str, target: str, *args: str, timeout: float = 300.0) -> CommandCost:
    """``python -m target args`` (kind ``-m``) or ``python -c target`` to its end: wall seconds, peak RSS."""
    fd, peak_file = tempfile.mkstemp(prefix="mperf-peak-")
    os.close(fd)
    out = tempfile.TemporaryFile()
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", _PEAK, kind, target, *args], stdout=out, stderr=subprocess.STDOUT,
                            env=env_for_children(PERF_PEAK_FILE=peak_file), cwd=ROOT)
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    seconds = time.perf_counter() - started
    out.seek(0)
    text = out.read().decode(errors="replace")
    out.close()
    try:
        peak = int(Path(peak_file).read_text() or "0") / 1024
    except ValueError:
        peak = float("nan")
    os.unlink(peak_file)
    return CommandCost(seconds, peak, text, proc.returncode)


def stop_all(procs: list[Proc]) -> None:
    for p in procs:
        with contextlib.suppress(Exception):
            p.stop()

