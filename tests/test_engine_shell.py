"""The built-in shell and the simulated filesystem (no host command ever runs)."""

from __future__ import annotations

import asyncio

import pytest

from mockd.engine.filesystem import FileTree, Mount, MountedFS, apply_layer, changes, diff
from mockd.engine.pipe import Pipe, terminal_input
from mockd.engine.registry import base_rootfs
from mockd.engine.shell import Context, Shell, StartError, find_executable, resolve_user


def run(script: str, stdin: bytes | None = None, env: dict | None = None, fs: MountedFS | None = None):
    fs = fs or MountedFS(base_rootfs())
    out: list[tuple[int, bytes]] = []
    pipe = Pipe(closed=stdin is None)
    if stdin is not None:
        pipe.feed(stdin)
        pipe.close()
    ctx = Context(fs, {"PATH": "/bin:/usr/bin", "HOME": "/root", **(env or {})}, lambda s, d: out.append((s, d)),
                  stdin=pipe, hostname="box")
    code = asyncio.run(Shell(ctx).run_script(script))
    return (code, b"".join(d for s, d in out if s == 1).decode(), b"".join(d for s, d in out if s == 2).decode())


@pytest.mark.parametrize(("script", "expected"), [
    ("echo hi", (0, "hi\n", "")),
    ("echo $FOO ${NOPE:-dflt} \"a  b\" 'lit $FOO'", (0, "bar dflt a  b lit $FOO\n", "")),
    ("false || echo no && echo yes; exit 3", (3, "no\nyes\n", "")),
    ("for i in 1 2 3; do echo $i; done", (0, "1\n2\n3\n", "")),
    ("i=0; while [ $i -lt 5 ]; do i=$((i+1)); if [ $i = 3 ]; then break; fi; done; echo $i", (0, "3\n", "")),
    ("x=$(echo sub); echo got $x", (0, "got sub\n", "")),
    ("echo a | cat | cat", (0, "a\n", "")),
    ("echo data > /tmp/f; echo more >> /tmp/f; cat /tmp/f; ls /tmp", (0, "data\nmore\nf\n", "")),
    # regression: -R was ignored; busybox's layout (measured in busybox on dockerd 20.10)
    ("mkdir -p /t/s; echo 1 > /t/a; echo 2 > /t/s/b; ls -R /t; cd /t && ls -R",
     (0, "/t:\na\ns\n\n/t/s:\nb\n.:\na\ns\n\n./s:\nb\n", "")),
    # regression: here-documents were a syntax error ("unexpected redirection")
    ("cat <<EOF\nhi $FOO\n  two\nEOF\necho after", (0, "hi bar\n  two\nafter\n", "")),
    ("cat <<'EOF' | cat\nlit $FOO\nEOF", (0, "lit $FOO\n", "")),
    ("cat <<-END > /tmp/h; cat /tmp/h\n\ttabbed\n\tEND", (0, "tabbed\n", "")),
    ("printf '%s=%d\\n' a 1 b 2", (0, "a=1\nb=2\n", "")),
    ("nosuch", (127, "", "sh: nosuch: not found\n")),
    ("echo 'open", (2, "", "sh: syntax error: unterminated quoted string\n")),  # busybox 1.35's text
    ("hostname; pwd; cd /tmp && pwd", (0, "box\n/\n/tmp\n", "")),
    ("echo err >&2; echo out 2>/dev/null", (0, "out\n", "err\n")),
    ("env | grep FOO", (0, "FOO=bar\n", "")),
    ("test -d /bin && [ -f /etc/passwd ] && echo both", (0, "both\n", "")),
])
def test_scripts(script, expected):
    assert run(script, env={"FOO": "bar"}) == expected


def test_stdin_read_and_cat():
    assert run("read a b; echo [$b] [$a]; cat", stdin=b"one two\nrest\n") == (0, "[two] [one]\nrest\n", "")


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


def test_shebang_scripts_run_in_the_shell():
    tree = base_rootfs()
    tree.write("/usr/bin/hello", b"#!/bin/sh\necho hello $1\nexit 4\n", mode=0o755)
    assert run("hello world", fs=MountedFS(tree)) == (4, "hello world\n", "")


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


def test_ls_long_shows_owner_names():
    """Regression: `ls -l` printed numeric owners ("0 0"); busybox shows the passwd/group names."""
    code, out, _ = run("echo 1 > /tmp/a; ls -l /tmp/a")
    assert code == 0 and out.split()[2:5] == ["root", "root", "2"], out
