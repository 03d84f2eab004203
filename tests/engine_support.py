"""Helpers of the engine unit tests: run a command in a busybox container and read its output."""

from __future__ import annotations

import asyncio
import io
import tarfile

from mockd.engine import Engine


def run_body(*cmd: str, **extra) -> dict:
    return {"Image": "busybox", "Cmd": list(cmd), **extra}


def output(c) -> str:
    return b"".join(e.data for e in c.logs).decode()


def busybox_engine() -> Engine:
    e = Engine()
    e.pull("busybox")
    return e


async def run(engine: Engine, *cmd: str, name: str = "", **extra):
    c, _ = engine.create_container(run_body(*cmd, **extra), name)
    fut = engine.wait_future(c.id, "next-exit")
    engine.start_container(c.id)
    code = await asyncio.wait_for(fut, 5)
    return c, code


def tar_of(files: dict[str, str] | dict[str, bytes]) -> bytes:
    """A tar of files given as text or bytes (build contexts, archive uploads, saved images)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for name, text in files.items():
            data = text if isinstance(text, bytes) else text.encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()
