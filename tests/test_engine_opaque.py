"""The opaque process: an executable in the image with no simulation runs as a silent program with PID 1
semantics; an interpreter reading stdin ends with it; a finding once per program."""

from __future__ import annotations

import asyncio

import pytest

from mockd.engine import Engine
from mockd.engine.errors import EngineError
from mockd.engine.opaque import reads_program_from_stdin
from mockd.engine.seed import parse_seed
from tests.engine_support import output

SEED = """
images:
  - {ref: "python:3.12", cmd: ["python3"], files: {/usr/local/bin/python3: "\\u007fELF opaque",
                                                   /usr/local/bin/python: "\\u007fELF opaque"}}
  - {ref: "nginx:1", cmd: ["nginx", "-g", "daemon off;"], files: {/usr/sbin/nginx: "\\u007fELF opaque"}}
"""


@pytest.fixture
def engine() -> Engine:
    reported: list[tuple[str, str]] = []
    e = Engine(parse_seed(SEED))
    e.runtime.report = lambda program, message: reported.append((program, message))
    e.reported = reported  # type: ignore[attr-defined]
    return e


def create(e: Engine, image: str, *cmd: str, **extra):
    body = {"Image": image, **({"Cmd": list(cmd)} if cmd else {}), **extra}
    c, _ = e.create_container(body)
    return c


async def test_a_server_keeps_running_and_stop_ends_in_sigkill_after_the_timeout(engine):
    c = create(engine, "nginx:1")
    engine.start_container(c.id)
    await asyncio.sleep(0.05)
    assert c.status == "running" and output(c) == ""
    await engine.stop_container(c.id, timeout=1)  # SIGTERM ignored by PID 1 without a handler
    assert (c.status, c.exit_code) == ("exited", 137)
    assert engine.reported == [("nginx", "program nginx is not simulated; script it with a rule")]  # type: ignore
    engine.start_container(c.id)
    await engine.kill_container(c.id)
    assert engine.reported == [("nginx", "program nginx is not simulated; script it with a rule")]  # type: ignore


async def test_with_init_the_signal_is_forwarded(engine):
    c = create(engine, "nginx:1", HostConfig={"Init": True})
    engine.start_container(c.id)
    await engine.stop_container(c.id, timeout=10)
    assert c.exit_code == 143


async def test_an_interpreter_reads_its_program_from_stdin_until_eof(engine):
    closed = create(engine, "python:3.12")  # no OpenStdin: stdin is /dev/null, the REPL ends at once
    fut = engine.wait_future(closed.id, "next-exit")
    engine.start_container(closed.id)
    assert await asyncio.wait_for(fut, 5) == 0
    c = create(engine, "python:3.12", OpenStdin=True, StdinOnce=True)
    fut = engine.wait_future(c.id, "next-exit")
    engine.start_container(c.id)
    c.stdin.feed(b"print('hi')\n")
    await asyncio.sleep(0.05)
    assert c.status == "running"
    c.stdin.close()  # the attached client ended its input
    assert await asyncio.wait_for(fut, 5) == 0 and output(c) == ""
    script = create(engine, "python:3.12", "python", "app.py")
    engine.start_container(script.id)
    await asyncio.sleep(0.05)
    assert script.status == "running"  # a script is a program of its own: it runs until stopped
    await engine.kill_container(script.id)
    assert script.exit_code == 137


async def test_an_exec_of_an_opaque_program_ends_at_once_and_pause_freezes_it(engine):
    c = create(engine, "python:3.12", OpenStdin=True, Tty=True)
    engine.start_container(c.id)
    ex = engine.create_exec(c.id, {"Cmd": ["python", "-c", "print(1)"], "AttachStdout": True})
    engine.start_exec(ex.id)
    await asyncio.wait_for(ex.done.wait(), 5)
    assert ex.exit_code == 0
    engine.pause_container(c.id)
    c.stdin.close()
    await asyncio.sleep(0.05)
    assert c.status == "paused"  # a frozen process reads nothing, so it sees no end of input
    engine.unpause_container(c.id)
    for _ in range(100):
        if c.status == "exited":
            break
        await asyncio.sleep(0.02)
    assert (c.status, c.exit_code) == ("exited", 0)


async def test_an_absent_executable_keeps_dockerds_start_error(engine):
    c = create(engine, "python:3.12", "ruby")
    with pytest.raises(EngineError, match='exec: "ruby": executable file not found in \\$PATH') as err:
        engine.start_container(c.id)
    assert err.value.status == 400 and c.exit_code == 127
    assert engine.reported == []  # type: ignore[attr-defined]


@pytest.mark.parametrize(("argv", "reads"), [
    (["python"], True), (["python3.12", "-u"], True), (["/usr/bin/python3", "-"], True), (["node"], True),
    (["irb"], True), (["perl"], True), (["ruby", "-"], True), (["php"], True),
    (["python", "app.py"], False), (["python", "-c", "print(1)"], False), (["python", "-mhttp.server"], False),
    (["node", "-e", "1"], False), (["nginx"], False), (["java", "-jar", "x.jar"], False),
])
def test_which_command_lines_read_a_program_from_stdin(argv, reads):
    assert reads_program_from_stdin(argv) is reads
