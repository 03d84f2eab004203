"""The built-in commands (mockd/engine/shell/builtins/): mockd-specific behaviour the busybox corpus cannot pin
(the simulated filesystem, users, read-only mounts) and applet details."""

from __future__ import annotations

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
    assert run("id; whoami", fs=fs)[1] == "uid=0(root) gid=0(root) groups=0(root)\nroot\n"


def test_env_and_printenv_see_exported_variables_only():
    code, out, _ = run("A=1; export B=2; env | grep '^[AB]='; printenv B; printenv A || echo unset; "
                       "env C=3 sh -c 'echo $C$B$A'")
    assert (code, out) == (0, "B=2\n2\nunset\n32\n")


def test_command_and_type_describe_names():
    code, out, _ = run("f() { :; }; type f echo cat; command -v sh; command -v nosuch || echo none")
    assert out == "f is a function\necho is a shell builtin\ncat is cat\nsh\nnone\n"
