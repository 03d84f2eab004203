"""Bounds on simulated programs (mockd/engine/shell/limits.py): they yield instead of stalling the event loop,
pipes push back, and runaway memory or recursion ends the process the way the kernel would end it."""

from __future__ import annotations

import asyncio

from mockd.engine.filesystem import MountedFS
from mockd.engine.pipe import BrokenPipe, Pipe
from mockd.engine.registry import base_rootfs
from mockd.engine.shell import Context, Shell
from tests.shell_support import run


def test_string_doubling_ends_like_an_oom_kill():
    assert run("x=a; while :; do x=$x$x; done") == (137, "", "")
    assert run("x=a; while :; do x=$(echo $x$x); done; echo never") == (137, "", "")


def test_unbounded_recursion_ends_like_a_stack_overflow():
    assert run("f() { f; }; f; echo never") == (139, "", "")
    assert run("f() { echo $(f); }; f; echo never") == (139, "", "")
    assert run("f() { [ $1 -lt 60 ] && f $(($1+1)); }; f 0; echo fine") == (0, "fine\n", "")


def test_a_reader_that_ends_stops_an_endless_writer():
    assert run("yes | head -n 3") == (0, "y\ny\ny\n", "")
    assert run("yes | cat | head -n 2; echo $?") == (0, "y\ny\n0\n", "")
    assert run("seq 1000000000 | head -n 2") == (0, "1\n2\n", "")
    assert run("seq 100000 | tail -n 1") == (0, "100000\n", "")


def test_a_pipe_pushes_back_on_its_writer():
    async def main() -> None:
        pipe = Pipe()
        pipe.feed(b"x" * Pipe.LIMIT)
        waiting = asyncio.ensure_future(pipe.drain())
        await asyncio.sleep(0)
        assert not waiting.done()  # full: the writer waits
        await pipe.read(Pipe.LIMIT // 2)
        await asyncio.sleep(0)
        assert waiting.done() and waiting.exception() is None
        pipe.close_reader()
        try:
            pipe.feed(b"more")
        except BrokenPipe:
            return
        raise AssertionError("a write after the reader left must be a broken pipe")

    asyncio.run(main())


def test_a_busy_loop_lets_the_event_loop_run_others():
    async def main() -> int:
        ctx = Context(MountedFS(base_rootfs()), {"PATH": "/bin"}, lambda s, d: None)
        shell = asyncio.ensure_future(Shell(ctx).run_argv(["sh", "-c", "while :; do :; done"]))
        ticks = 0
        for _ in range(20):  # each tick needs the shell to have yielded the loop
            await asyncio.sleep(0.005)
            ticks += 1
        shell.cancel()
        return ticks

    assert asyncio.run(asyncio.wait_for(main(), 30)) == 20
