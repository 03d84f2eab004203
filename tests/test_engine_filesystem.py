"""The simulated filesystem (layers, changes, mounts) and the terminal's input echo."""

from __future__ import annotations

import asyncio

import pytest

from mockd.engine.filesystem import FileTree, Mount, MountedFS, apply_layer, changes, diff
from mockd.engine.pipe import Pipe, terminal_input


def test_filesystem_layers_changes_and_mounts():
    base = FileTree()
    base.mkdir("/etc")
    base.write("/etc/a", b"1")
    top = base.copy()
    top.write("/etc/a", b"2")
    top.write("/etc/b", b"3")
    top.remove("/etc/a")
    assert changes(base, top) == [("/etc", 0), ("/etc/a", 2), ("/etc/b", 1)]
    rebuilt = base.copy()
    apply_layer(rebuilt, diff(base, top))
    assert sorted(rebuilt.nodes) == sorted(top.nodes)
    volume = FileTree()
    fs = MountedFS(top, [Mount("/data", volume), Mount("/ro", FileTree(), read_only=True)])
    fs.write("/data/x", b"v")
    assert volume.read("/x") == b"v" and "data" in fs.listdir("/")
    with pytest.raises(PermissionError):
        fs.write("/ro/y", b"no")


def test_terminal_echo_shows_control_characters():
    """Regression: a tty echoed a NUL (the docker CLI sends one with -it) raw; Linux's ECHOCTL shows ^@ (measured
    with `script -c "docker run -it ..."` against dockerd 20.10)."""
    echoed: list[bytes] = []

    async def feed() -> bytes:
        pipe = Pipe()
        terminal_input(b"\x00ls\x1b[A\tx\r", pipe, echoed.append)
        pipe.close()
        return await pipe.read_all()

    assert asyncio.run(feed()) == b"\x00ls\x1b[A\tx\n"
    assert echoed == [b"^@ls^[[A\tx\n"]


