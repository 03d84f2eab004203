"""`python` of the catalog's python images (mockd/engine/python_program.py): `-c` code and scripts of the subset run
on the container's files and streams with CPython's buffering, tracebacks and exit statuses; the REPL on a TTY;
a program read from stdin; code outside the subset stays the opaque process."""

from __future__ import annotations

import asyncio

import pytest

from mockd.engine import Engine
from mockd.engine.pipe import terminal_input
from mockd.engine.python_program import START_UP, Unsupported, check, parse_argv
from tests.engine_support import output, tar_of

IMAGE = "python:3.13-alpine"


@pytest.fixture
def engine() -> Engine:
    e = Engine()
    e.pull(IMAGE)
    reported: list[str] = []
    e.runtime.report = lambda program, message: reported.append(program)
    e.reported = reported  # type: ignore[attr-defined]
    return e


def create(e: Engine, *cmd: str, **extra):
    c, _ = e.create_container({"Image": IMAGE, **({"Cmd": list(cmd)} if cmd else {}), **extra})
    return c


async def run(e: Engine, *cmd: str, **extra):
    c = create(e, *cmd, **extra)
    fut = e.wait_future(c.id, "next-exit")
    e.start_container(c.id)
    return c, await asyncio.wait_for(fut, 10)


def streams(c) -> list[tuple[int, bytes]]:
    return [(entry.stream, entry.data) for entry in c.logs]


async def until(predicate, what: str) -> None:
    for _ in range(200):
        if predicate():
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"never: {what}")


async def test_c_code_prints_to_stdout_and_stderr_and_ends(engine):
    c, code = await run(engine, "python", "-c", "print('hello')")
    assert (code, streams(c)) == (0, [(1, b"hello\n")])
    c, code = await run(engine, "python", "-c", "import sys;print('Hello', file=sys.stderr)")
    assert (code, streams(c)) == (0, [(2, b"Hello\n")])
    c, code = await run(engine, "python", "-c", "import time;time.sleep(0.05);print(1);time.sleep(0.05);print(2)")
    assert (code, output(c)) == (0, "1\n2\n")
    c, code = await run(engine, "python", "-c", "for i in range(3):\n  if i == 1: continue\n  print(f'{i=} {i*2:03d}')")
    assert output(c) == "i=0 000\ni=2 004\n"


async def test_stdout_is_block_buffered_without_a_tty_and_line_buffered_on_one(engine):
    code = "print('early');import time;time.sleep(600)"
    piped = create(engine, "python", "-c", code)
    tty = create(engine, "python", "-c", code, Tty=True)
    unbuffered = create(engine, "python", "-u", "-c", code)
    for c in (piped, tty, unbuffered):
        engine.start_container(c.id)
    await until(lambda: output(tty) and output(unbuffered), "the line-buffered and unbuffered output")
    assert output(tty) == "early\r\n" and output(unbuffered) == "early\n"
    assert output(piped) == ""  # held in the 8 KiB buffer while the program sleeps
    await engine.stop_container(piped.id, timeout=0)  # SIGKILL: the buffer is lost, as in CPython
    assert (piped.exit_code, output(piped)) == (137, "")
    for c in (tty, unbuffered):
        await engine.kill_container(c.id)


async def test_files_of_the_container_are_read_and_written(engine):
    c = create(engine, "python", "-c", "print(open('tmp/bar/foo.txt').read())")
    engine.archive_put(c.id, "/tmp", tar_of({"bar/foo.txt": "hello world"}))
    fut = engine.wait_future(c.id, "next-exit")
    engine.start_container(c.id)
    assert await asyncio.wait_for(fut, 10) == 0 and output(c) == "hello world\n"
    c, code = await run(engine, "python", "-c", "with open('tmp/foo.txt', 'w') as f: f.write('test\\n')", Tty=True)
    assert code == 0 and c.fs().read("/tmp/foo.txt") == b"test\n"


async def test_errors_are_tracebacks_with_status_1_and_exit_gives_its_status(engine):
    c, code = await run(engine, "python", "-c", "print(open('nope').read())")
    assert code == 1 and output(c) == ('Traceback (most recent call last):\n  File "<string>", line 1, in <module>\n'
                                       "FileNotFoundError: [Errno 2] No such file or directory: 'nope'\n")
    c, code = await run(engine, "python", "-c", "print('a')\nx = 1/0")
    assert code == 1 and output(c).endswith("line 2, in <module>\nZeroDivisionError: division by zero\n")
    assert streams(c)[0] == (1, b"a\n")  # stdout is flushed before the traceback
    c, code = await run(engine, "python", "-c", "import sys; sys.exit(3)")
    assert (code, output(c)) == (3, "")
    c, code = await run(engine, "python", "-c", "exit('bye')")
    assert (code, streams(c)) == (1, [(2, b"bye\n")])
    c, code = await run(engine, "python", "-c", "print(undefined)")
    assert code == 1 and output(c).endswith("NameError: name 'undefined' is not defined\n")
    c, code = await run(engine, "python", "/app/missing.py")
    assert code == 2 and "can't open file '/app/missing.py': [Errno 2] No such file or directory" in output(c)
    c, code = await run(engine, "python", "-V")
    assert (code, output(c)) == (0, "Python 3.13.15\n")  # the image's PYTHON_VERSION


async def test_the_repl_on_a_tty_prompts_echoes_values_and_runs_blocks(engine):
    c = create(engine, "python", Tty=True, OpenStdin=True)
    fut = engine.wait_future(c.id, "next-exit")
    engine.start_container(c.id)
    await until(lambda: output(c).endswith(">>> "), "the first prompt")
    assert output(c).startswith("Python 3.13.15 ")  # the banner (not with -q)

    def typed(line: str) -> None:
        terminal_input(line.encode() + b"\r", c.stdin, lambda d: c.emit(1, d))

    for line in ("1+1", "for i in range(2):", "  print(i)", "", "x", "exit(4)"):
        typed(line)
        await until(lambda: output(c).endswith((">>> ", "... ")) or c.status == "exited", f"the prompt after {line}")
    assert await asyncio.wait_for(fut, 5) == 4
    transcript = output(c).split("information.\r\n", 1)[1]
    assert transcript == (">>> 1+1\r\n2\r\n>>> for i in range(2):\r\n...   print(i)\r\n... \r\n0\r\n1\r\n>>> x\r\n"
                          'Traceback (most recent call last):\r\n  File "<stdin>", line 1, in <module>\r\n'
                          "NameError: name 'x' is not defined\r\n>>> exit(4)\r\n")


async def test_the_shell_container_of_clients_stays_up_until_stopped(engine):
    """aiodocker's fixture: `python` with Tty and OpenStdin and nobody attached waits at its prompt; its
    execs of `python -c` print and end."""
    c = create(engine, "python", Tty=True, OpenStdin=True)
    engine.start_container(c.id)
    await until(lambda: output(c).endswith(">>> "), "the prompt")
    ex = engine.create_exec(c.id, {"Cmd": ["python", "-c", "import sys;print('Hello', file=sys.stderr)"],
                                   "AttachStdout": True, "AttachStderr": True})
    q = ex.subscribe()
    engine.start_exec(ex.id)
    await asyncio.wait_for(ex.done.wait(), 5)
    assert ex.exit_code == 0 and (await q.get()) == (2, b"Hello\n")
    assert c.status == "running"
    await engine.stop_container(c.id, timeout=0)
    assert c.exit_code == 137


async def test_without_a_tty_the_program_is_read_from_stdin_then_run(engine):
    c = create(engine, "python", OpenStdin=True, StdinOnce=True)
    fut = engine.wait_future(c.id, "next-exit")
    engine.start_container(c.id)
    c.stdin.feed(b"print('hi')\nimport sys\nprint('e', file=sys.stderr)\n")
    await asyncio.sleep(0.05)
    assert c.status == "running" and output(c) == ""  # nothing runs before the end of the input
    c.stdin.close()
    assert await asyncio.wait_for(fut, 5) == 0
    assert streams(c) == [(2, b"e\n"), (1, b"hi\n")]  # stderr is line-buffered, stdout flushed at exit


async def test_a_listening_program_listens_in_the_container(engine):
    code = "import socket\ns=socket.socket()\ns.bind(('0.0.0.0', 5678))\ns.listen()\nwhile True: s.accept()"
    c = create(engine, "python", "-c", code)
    engine.start_container(c.id)
    await until(lambda: c.net.listening(5678), "port 5678 listening")
    assert c.status == "running"
    await engine.kill_container(c.id)


async def test_code_outside_the_subset_stays_opaque_and_is_reported(engine):
    c = create(engine, "python", "-c", "import numpy; print(numpy.zeros(3))")
    engine.start_container(c.id)
    await until(lambda: engine.reported, "the finding")  # type: ignore[attr-defined]
    assert c.status == "running" and output(c) == ""  # the opaque main process: until a signal ends it
    assert engine.reported == ["python"]  # type: ignore[attr-defined]
    await engine.kill_container(c.id)
    c = create(engine, "python", "-c", "print(eval('1'))")  # a real builtin the subset has not
    engine.start_container(c.id)
    await asyncio.sleep(START_UP + 0.05)  # reported once per program: nothing new to wait for
    assert c.status == "running" and output(c) == ""
    await engine.kill_container(c.id)


def test_the_command_line_is_cpythons():
    assert parse_argv(["python", "-c", "x", "a"]) == (set(), "c", "x", ["-c", "a"])
    assert parse_argv(["python", "-uc", "x"]) == ({"u"}, "c", "x", ["-c"])
    assert parse_argv(["python", "-cprint(1)"]) == (set(), "c", "print(1)", ["-c"])
    assert parse_argv(["python", "-q"]) == ({"q"}, "stdin", "", [""])
    assert parse_argv(["python", "-W", "ignore", "app.py", "-v"]) == (set(), "file", "app.py", ["app.py", "-v"])
    assert parse_argv(["python", "-m", "http.server"])[1:3] == ("m", "http.server")
    assert parse_argv(["python3", "--version"])[1] == "version"


def test_the_subset_is_checked_before_anything_runs():
    import ast

    check(ast.parse("import time, sys, os, socket\nprint(len('x'))"))
    for code in ("import numpy", "def f(): pass", "try:\n  pass\nexcept Exception:\n  pass", "[x for x in y]",
                 "lambda: 1", "class A: pass"):
        with pytest.raises(Unsupported):
            check(ast.parse(code))
