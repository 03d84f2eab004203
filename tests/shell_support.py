"""Helpers for the shell's unit tests: run a script in mockd's built-in shell on a fresh root filesystem."""

from __future__ import annotations

import asyncio

from mockd.engine.filesystem import MountedFS
from mockd.engine.pipe import Pipe
from mockd.engine.registry import base_rootfs
from mockd.engine.shell import Context, Shell


def run(script: str, stdin: bytes | None = None, env: dict | None = None, fs: MountedFS | None = None,
        pid: int = 1) -> tuple[int, str, str]:
    """(exit status, stdout, stderr) of `script` run by the shell as a container's `sh -c` would run it."""
    fs = fs or MountedFS(base_rootfs())
    out: list[tuple[int, bytes]] = []
    pipe = Pipe(closed=stdin is None)
    if stdin is not None:
        pipe.feed(stdin)
        pipe.close()
    ctx = Context(fs, {"PATH": "/bin:/usr/bin", "HOME": "/root", **(env or {})}, lambda s, d: out.append((s, d)),
                  stdin=pipe, hostname="box", pid=pid)
    code = asyncio.run(Shell(ctx).run_argv(["sh", "-c", script]))
    return (code, b"".join(d for s, d in out if s == 1).decode(), b"".join(d for s, d in out if s == 2).decode())
