"""The built-in commands (mockd/engine/shell/builtins/): mockd-specific behaviour the busybox corpus cannot pin
(the simulated filesystem, users, read-only mounts) and applet details."""

from __future__ import annotations

import asyncio

import pytest

from mockd.engine.filesystem import FileTree, Mount, MountedFS
from mockd.engine.registry import base_rootfs
from tests.shell_support import run


def test_ls_long_shows_owner_names():
    """Regression: `ls -l` printed numeric owners ("0 0"); busybox shows the passwd/group names."""
    code, out, _ = run("echo 1 > /tmp/a; ls -l /tmp/a")
    assert code == 0 and out.split()[2:5] == ["root", "root", "2"], out


@pytest.mark.parametrize(("script", "expected"), [
    ("printf '2 b\\n10 a\\n1 c\\n' | sort -n -r", "10 a\n2 b\n1 c\n"),
    ("printf 'x\\nx\\ny\\n' | uniq -c", "      2 x\n      1 y\n"),
    ("printf 'x\\nx\\ny\\n' | uniq -d", "x\n"),
    ("echo 'a-b-c' | tr -d -- '-' ; echo hello | tr -s l", "abc\nhelo\n"),
    ("echo abc | tr a-c A-C", "ABC\n"),
    ("echo 1:2:3:4 | cut -d : -f 1,3-", "1:3:4\n"),
    ("echo nodelim | cut -d: -f2", "nodelim\n"),
    ("expr 7 % 3; expr -7 / 2; expr abc = abc; expr length xyz", "1\n-3\n1\n3\n"),
    ("seq 3 | grep -x 2; printf 'a\\nb\\n' | grep -c .", "2\n2\n"),
    ("printf '%5.2f|%-4d|%c\\n' 3.14159 7 word", " 3.14|7   |w\n"),
    ("basename /a/b/; dirname /a/b/c", "b\n/a/b\n"),
    ("echo -e 'a\\cb'; echo end", "aend\n"),
])
def test_applets(script, expected):
    code, out, err = run(script)
    assert (code, out, err) == (0, expected, "")


def test_expr_status_and_errors():
    assert run("expr 0 + 0")[:2] == (1, "0\n")
    assert run("expr 1 / 0") == (2, "", "expr: division by zero\n")
    assert run("expr a + 1") == (2, "", "expr: non-numeric argument\n")


def test_file_applets_on_the_simulated_filesystem():
    code, out, err = run("mkdir -p /w/a; echo x > /w/a/f; cp /w/a/f /w/g; mv /w/g /w/h; ln -s /w/h /w/l; "
                         "chmod 700 /w/h; ls /w; cat /w/l; rm -r /w/a; ls /w; [ -L /w/l ] && echo link")
    assert (code, err) == (0, "")
    assert out == "a\nh\nl\nx\nh\nl\nlink\n"


def test_writes_to_a_read_only_mount_fail_like_busybox():
    fs = MountedFS(base_rootfs(), [Mount("/ro", FileTree(), read_only=True)])
    code, out, err = run("echo x > /ro/f; mkdir /ro/d; touch /ro/t; echo $?", fs=fs)
    assert out == "1\n"
    assert err == ("sh: can't create /ro/f: Read-only file system\n"
                   "mkdir: can't create directory '/ro/d': Read-only file system\n"
                   "touch: /ro/t: Read-only file system\n")


def test_identity_applets_follow_the_user():
    fs = MountedFS(base_rootfs())
    # runc gives root its primary group and those listing it as a member (the base image's wheel:x:10:root)
    assert run("id; whoami", fs=fs)[1] == "uid=0(root) gid=0(root) groups=0(root),10(wheel)\nroot\n"


# (--user, HostConfig.GroupAdd, command, output): measured with `docker run` on dockerd 20.10, alpine's
# /etc/passwd and /etc/group (tests/conformance/targets.py, the image the conformance run gives dockerd).
ROOT_GROUPS = "groups=0(root),1(bin),2(daemon),4(adm),10(wheel)"
ID_CASES = [
    ("", (), "id", f"uid=0(root) gid=0(root) {ROOT_GROUPS}\n"),
    ("", ("1000", "1001"), "id", f"uid=0(root) gid=0(root) {ROOT_GROUPS},1000,1001\n"),
    ("", ("1000", "daemon"), "id", f"uid=0(root) gid=0(root) {ROOT_GROUPS},1000\n"),
    ("70", ("1000",), "id", "uid=70(postgres) gid=70(postgres) groups=70(postgres),1000\n"),
    ("postgres", (), "id", "uid=70(postgres) gid=70(postgres) groups=70(postgres)\n"),
    ("1234", (), "id", "uid=1234 gid=0(root) groups=0(root)\n"),
    ("daemon", (), "id", "uid=2(daemon) gid=2(daemon) groups=1(bin),2(daemon),4(adm)\n"),
    ("0:2", (), "id", "uid=0(root) gid=2(daemon) groups=2(daemon)\n"),
    ("games", (), "id", "uid=35(games) gid=35(games) groups=35(games),100(users)\n"),
    ("games", ("5",), "id", "uid=35(games) gid=35(games) groups=5,35(games),100(users)\n"),
    ("games", (), "id -G", "35 100\n"),
    ("", (), "id -G", "0 1 2 4 10\n"),
    ("", ("0",), "id -G", "0 1 2 4 10\n"),
    ("", ("1000",), "id -Gn", "root bin daemon adm wheel 1000\n"),
]


@pytest.mark.parametrize(("user", "group_add", "command", "expected"), ID_CASES)
def test_id_shows_the_groups_runc_gives_the_process(user, group_add, command, expected):
    from mockd.engine.pipe import Pipe
    from mockd.engine.shell import Context, Shell
    from tests.conformance.targets import ALPINE_GROUP, ALPINE_PASSWD

    fs = MountedFS(base_rootfs())
    fs.write("/etc/passwd", ALPINE_PASSWD.encode())
    fs.write("/etc/group", ALPINE_GROUP.encode())
    out: list[tuple[int, bytes]] = []
    ctx = Context(fs, {"PATH": "/bin"}, lambda s, d: out.append((s, d)), stdin=Pipe(closed=True), user=user,
                  group_add=group_add)
    asyncio.run(Shell(ctx).run_argv(command.split()))
    assert b"".join(d for s, d in out if s == 1).decode() == expected
    if command == "id -Gn":
        assert b"".join(d for s, d in out if s == 2) == b"id: unknown ID 1000\n"


def test_env_and_printenv_see_exported_variables_only():
    code, out, _ = run("A=1; export B=2; env | grep '^[AB]='; printenv B; printenv A || echo unset; "
                       "env C=3 sh -c 'echo $C$B$A'")
    assert (code, out) == (0, "B=2\n2\nunset\n32\n")


def test_command_and_type_describe_names():
    code, out, _ = run("f() { :; }; type f echo cat; command -v sh; command -v nosuch || echo none")
    assert out == "f is a function\necho is a shell builtin\ncat is cat\nsh\nnone\n"
