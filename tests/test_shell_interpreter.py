"""The shell's interpreter (mockd/engine/shell/interpreter.py, expansion.py): scripts end to end. The corpus in
tests/shell_corpus compares many more with busybox; these pin mockd-specific behaviour and regressions."""

from __future__ import annotations

import pytest

from mockd.engine.filesystem import MountedFS
from mockd.engine.registry import base_rootfs
from tests.shell_support import run


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


def test_shebang_scripts_run_in_the_shell():
    tree = base_rootfs()
    tree.write("/usr/bin/hello", b"#!/bin/sh\necho hello $1\nexit 4\n", mode=0o755)
    assert run("hello world", fs=MountedFS(tree)) == (4, "hello world\n", "")
