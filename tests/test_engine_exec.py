"""Engine unit tests: exec."""

from __future__ import annotations

import asyncio

import pytest

from mockd.engine import Conflict, Engine, InvalidParameter, NotFound
from tests.engine_support import busybox_engine, run_body


@pytest.fixture
def engine() -> Engine:
    return busybox_engine()


async def test_exec(engine):
    c, _ = engine.create_container(run_body("sleep", "100"))
    engine.start_container(c.id)
    ex = engine.create_exec(c.id, {"Cmd": ["sh", "-c", "echo in-exec; exit 4"], "AttachStdout": True})
    q = ex.subscribe()
    engine.start_exec(ex.id)
    await asyncio.wait_for(ex.done.wait(), 5)
    assert ex.exit_code == 4 and (await q.get()) == (1, b"in-exec\n")
    await engine.remove_container(c.id, force=True)


async def test_exec_takes_its_own_env_user_and_workdir(engine):
    c, _ = engine.create_container(run_body("sleep", "100", Env=["A=container"], WorkingDir="/tmp"))
    engine.start_container(c.id)
    ex = engine.create_exec(c.id, {"Cmd": ["sh", "-c", "echo $A $B; id -u; pwd"], "Env": ["B=exec"],
                                   "User": "nobody", "WorkingDir": "/etc"})
    q = ex.subscribe()
    engine.start_exec(ex.id)
    await asyncio.wait_for(ex.done.wait(), 5)
    chunks = []
    while (item := await q.get()) is not None:
        chunks.append(item[1])
    assert b"".join(chunks).decode().splitlines() == ["container exec", "65534", "/etc"]
    assert ex.exit_code == 0 and not ex.running and ex.id in c.finished_execs
    actions = [e.action for e in engine.events.history if e.actor_id == c.id]
    assert actions[-3:] == ["exec_create: sh -c echo $A $B; id -u; pwd", "exec_start: sh -c echo $A $B; id -u; pwd",
                            "exec_die"]
    await engine.remove_container(c.id, force=True)


async def test_exec_of_a_missing_command_reports_runcs_error(engine):
    c, _ = engine.create_container(run_body("sleep", "100"))
    engine.start_container(c.id)
    ex = engine.create_exec(c.id, {"Cmd": ["nosuch"], "AttachStdout": True})
    q = ex.subscribe()
    engine.start_exec(ex.id)
    assert ex.exit_code == 126 and ex.pid == 0 and ex.process is None
    line = (await q.get())[1].decode()
    assert line.startswith("OCI runtime exec failed: exec failed: unable to start container process: exec: "
                           '"nosuch": executable file not found in $PATH')
    with pytest.raises(Conflict, match="has already run"):
        engine.start_exec(ex.id)
    await engine.remove_container(c.id, force=True)


async def test_exec_needs_a_running_unpaused_container_and_a_command(engine):
    c, _ = engine.create_container(run_body("sleep", "100"))
    with pytest.raises(Conflict, match="is not running"):
        engine.create_exec(c.id, {"Cmd": ["true"]})
    engine.start_container(c.id)
    with pytest.raises(InvalidParameter, match="No exec command specified"):
        engine.create_exec(c.id, {"Cmd": []})
    ex = engine.create_exec(c.id, {"Cmd": ["sleep", "100"]})
    engine.start_exec(ex.id)
    assert ex.running and ex.pid > 4000 and ex.inspect()["Pid"] == ex.pid
    engine.pause_container(c.id)
    assert not ex.process.running.is_set()
    with pytest.raises(Conflict, match="is paused"):
        engine.create_exec(c.id, {"Cmd": ["true"]})
    engine.unpause_container(c.id)
    assert ex.process.running.is_set()
    await engine.stop_container(c.id, timeout=0)
    await asyncio.wait_for(ex.done.wait(), 5)
    assert ex.exit_code == 137  # the container's exit kills its execs
    with pytest.raises(NotFound, match="No such exec instance: nope"):
        engine.get_exec("nope")


async def test_resize_waits_for_the_exec_to_start_as_dockerd_does(engine, monkeypatch):
    """A client resizes right after the start's 101, before the runtime ran the process: dockerd waits for it
    (up to 10 s, then a 500); an ended exec is gone for a resize (404) — both measured on dockerd 20.10."""
    from mockd.engine import EngineError, exec_ops

    c, _ = engine.create_container(run_body("sleep", "100"))
    engine.start_container(c.id)
    ex = engine.create_exec(c.id, {"Cmd": ["sleep", "100"], "Tty": True})
    resize = asyncio.ensure_future(engine.resize_exec(ex.id, 25, 80))
    await asyncio.sleep(0.01)
    assert not resize.done()  # waiting for the start
    engine.start_exec(ex.id)
    await asyncio.wait_for(resize, 5)
    assert ex.tty_size == (25, 80)
    done = engine.create_exec(c.id, {"Cmd": ["true"]})
    engine.start_exec(done.id)
    await asyncio.wait_for(done.done.wait(), 5)
    with pytest.raises(NotFound, match="no such exec"):
        await engine.resize_exec(done.id, 10, 10)
    monkeypatch.setattr(exec_ops, "EXEC_READY_TIMEOUT", 0.01)
    never = engine.create_exec(c.id, {"Cmd": ["true"]})
    with pytest.raises(EngineError) as err:
        await engine.resize_exec(never.id, 10, 10)
    assert (err.value.status, err.value.message) == (500, "timeout waiting for exec session ready")
    await engine.remove_container(c.id, force=True)
