"""What the runtime resolves before a process starts (mockd/engine/shell/lookup.py): executables and users."""

from __future__ import annotations

import pytest

from mockd.engine.filesystem import MountedFS
from mockd.engine.registry import base_rootfs
from mockd.engine.shell import StartError, find_executable, resolve_user


def test_executables_and_users():
    fs = MountedFS(base_rootfs())
    assert find_executable(fs, "sh", {"PATH": "/bin"}) == "/bin/sh"
    with pytest.raises(StartError, match='exec: "nope": executable file not found in \\$PATH'):
        find_executable(fs, "nope", {"PATH": "/bin"})
    with pytest.raises(StartError, match="no such file or directory"):
        find_executable(fs, "/no/such", {})
    assert resolve_user(fs, "nobody")[:2] == (65534, 65534)
    assert resolve_user(fs, "1000:33")[:3] == (1000, 33, None)
    with pytest.raises(StartError, match="unable to find user ghost"):
        resolve_user(fs, "ghost")


def test_executable_permissions_and_relative_paths():
    tree = base_rootfs()
    tree.mkdir("/opt", parents=True)
    tree.write("/opt/tool", b"data", mode=0o644)
    tree.write("/opt/run", b"#!/bin/sh\n", mode=0o755)
    fs = MountedFS(tree)
    with pytest.raises(StartError, match="permission denied") as denied:
        find_executable(fs, "/opt/tool", {})
    assert denied.value.exit_code == 126
    assert find_executable(fs, "./run", {}, cwd="/opt") == "/opt/run"
    assert find_executable(fs, "run", {"PATH": "/nope:/opt"}) == "/opt/run"
    with pytest.raises(StartError, match="permission denied"):
        find_executable(fs, "/opt", {})  # a directory is not executable


def test_user_with_group_names_and_numbers():
    fs = MountedFS(base_rootfs())
    assert resolve_user(fs, "")[:4] == (0, 0, "root", "root")
    assert resolve_user(fs, "0:nogroup")[1:4:2] == (65534, "nogroup")
    assert resolve_user(fs, "4242")[:3] == (4242, 0, None)  # a uid with no passwd entry runs with gid 0
    with pytest.raises(StartError, match="unable to find group nosuchgroup") as missing:
        resolve_user(fs, "root:nosuchgroup")
    assert missing.value.exit_code == 126
