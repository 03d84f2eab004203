"""The shell corpus: scripts whose expected output was recorded from the real busybox `sh` (see record.py).

Each case in cases.yaml has a `script`, and the recorded `stdout`, `stderr` and `status` of
`/bin/busybox sh -c SCRIPT` run in an empty temporary directory with a fixed environment and no stdin.
A case may set `ignore_stderr: true` where busybox's text is not stable (it names a temporary path).
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import yaml

CASES = Path(__file__).with_name("cases.yaml")
BUSYBOX = "/bin/busybox"
# The same environment for busybox and for mockd's shell, so nothing depends on the caller's.
ENV = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME": "/root"}
TIMEOUT = 10.0
MOCKD_CWD = "/corpus"  # an empty directory, as busybox's temporary one is
MOCKD_PID = 4242  # not 1: PID 1 ignores untrapped signals, a shell run by `sh -c` on a host does not


@dataclass
class Result:
    stdout: str
    stderr: str
    status: int


def load() -> list[dict]:
    return yaml.safe_load(CASES.read_text())


def run_busybox(script: str) -> Result:
    with tempfile.TemporaryDirectory(prefix="shell-corpus-") as tmp:
        proc = subprocess.run([BUSYBOX, "sh", "-c", script], cwd=tmp, env=ENV, stdin=subprocess.DEVNULL,
                              capture_output=True, timeout=TIMEOUT)
    # Killed by a signal: the status a parent shell (and `docker exec`) reports, 128 + the signal.
    status = 128 - proc.returncode if proc.returncode < 0 else proc.returncode
    return Result(proc.stdout.decode(errors="replace"), proc.stderr.decode(errors="replace"), status)


def run_mockd(script: str) -> Result:
    """The script as a container runs `sh -c SCRIPT`: the shell's argv entry point on a fresh root filesystem."""
    from mockd.engine.filesystem import MountedFS
    from mockd.engine.pipe import Pipe
    from mockd.engine.registry import base_rootfs
    from mockd.engine.shell import Context, Shell

    fs = MountedFS(base_rootfs())
    fs.mkdir(MOCKD_CWD, parents=True)
    out: list[tuple[int, bytes]] = []
    ctx = Context(fs, dict(ENV), lambda stream, data: out.append((stream, data)), stdin=Pipe(closed=True),
                  cwd=MOCKD_CWD, pid=MOCKD_PID)

    async def main() -> int:
        return await asyncio.wait_for(Shell(ctx, name="sh").run_argv(["sh", "-c", script]), TIMEOUT)

    status = asyncio.run(main())
    text = {1: b"", 2: b""}
    for stream, data in out:
        text[stream] += data
    return Result(text[1].decode(errors="replace"), text[2].decode(errors="replace"), status)


def busybox_available() -> bool:
    return os.access(BUSYBOX, os.X_OK)


def mismatch(case: dict, got: Result) -> str | None:
    """None when `got` is what busybox gave, else a readable difference."""
    problems = []
    if got.stdout != case["stdout"]:
        problems.append(f"stdout {got.stdout!r} != {case['stdout']!r}")
    if not case.get("ignore_stderr") and got.stderr != case["stderr"]:
        problems.append(f"stderr {got.stderr!r} != {case['stderr']!r}")
    if got.status != case["status"]:
        problems.append(f"status {got.status} != {case['status']}")
    return "; ".join(problems) or None
