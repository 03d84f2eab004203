"""Engine unit tests: the container lifecycle (start, stop, kill, pause, wait, remove) and the restart policy."""

from __future__ import annotations

import asyncio

import pytest

from mockd.engine import Conflict, Engine, EngineError, InvalidParameter, NotModified
from tests.engine_support import busybox_engine, output, run_body


@pytest.fixture
def engine() -> Engine:
    return busybox_engine()


async def test_missing_executable_is_a_start_error(engine):
    c, _ = engine.create_container(run_body("nosuch"), "")
    with pytest.raises(EngineError) as err:
        engine.start_container(c.id)
    assert err.value.status == 400 and 'exec: "nosuch": executable file not found in $PATH' in err.value.message
    assert c.exit_code == 127 and c.status == "created"


async def test_wait_before_start_and_stdin(engine):
    c, _ = engine.create_container(run_body("cat", OpenStdin=True, StdinOnce=True))
    fut = engine.wait_future(c.id, "next-exit")
    queue = c.subscribe()
    engine.start_container(c.id)
    c.stdin.feed(b"hello\n")
    c.stdin.close()
    assert await asyncio.wait_for(fut, 5) == 0
    assert await queue.get() == (1, b"hello\n")
    assert await queue.get() is None


async def test_stop_kill_restart_pause(engine):
    c, _ = engine.create_container(run_body("sleep", "100"))
    engine.start_container(c.id)
    with pytest.raises(NotModified):
        engine.start_container(c.id)
    engine.pause_container(c.id)
    assert c.status == "paused"
    engine.unpause_container(c.id)
    await engine.stop_container(c.id, timeout=0)
    assert c.status == "exited" and c.exit_code == 137  # PID 1 ignores SIGTERM: killed after the timeout
    await engine.restart_container(c.id, timeout=1)
    assert c.status == "running"
    await engine.kill_container(c.id, "KILL")
    assert c.exit_code == 137
    with pytest.raises(Conflict, match="is not running"):
        await engine.kill_container(c.id)


async def test_signals_pid1_trap_and_init(engine):
    trapped, _ = engine.create_container(run_body("sh", "-c", "trap 'echo bye; exit 0' TERM; "
                                                  "while true; do sleep 1; done"))
    engine.start_container(trapped.id)
    await asyncio.sleep(0.05)
    await engine.stop_container(trapped.id, timeout=5)
    assert trapped.exit_code == 0 and output(trapped) == "bye\n"
    with_init, _ = engine.create_container(run_body("sleep", "100", HostConfig={"Init": True}))
    engine.start_container(with_init.id)
    await engine.stop_container(with_init.id, timeout=5)
    assert with_init.exit_code == 143
    plain, _ = engine.create_container(run_body("sleep", "100"))
    engine.start_container(plain.id)
    await engine.kill_container(plain.id, "TERM")  # ignored by PID 1
    assert plain.status == "running"
    await engine.kill_container(plain.id)
    assert plain.exit_code == 137


async def test_auto_remove_and_removed_condition(engine):
    c, _ = engine.create_container(run_body("echo", "bye", HostConfig={"AutoRemove": True}))
    fut = engine.wait_future(c.id, "removed")
    engine.start_container(c.id)
    assert await asyncio.wait_for(fut, 5) == 0
    assert engine.find_container(c.id) is None
    actions = [e.action for e in engine.events.history if e.type == "container"]
    assert actions == ["create", "start", "die", "destroy"]


async def test_remove_running_needs_force(engine):
    c, _ = engine.create_container(run_body("sleep", "100"))
    engine.start_container(c.id)
    with pytest.raises(Conflict, match="You cannot remove a running container"):
        await engine.remove_container(c.id)
    await engine.remove_container(c.id, force=True)
    assert c.id not in engine.containers


async def test_restart_policy_on_failure(engine):
    c, _ = engine.create_container(run_body("false", HostConfig={
        "RestartPolicy": {"Name": "on-failure", "MaximumRetryCount": 2}}))
    engine.start_container(c.id)
    for _ in range(50):
        await asyncio.sleep(0.05)
        if c.restart_count == 2 and c.status == "exited":
            break
    assert c.restart_count == 2 and c.status == "exited" and c.exit_code == 1


async def _until(predicate, tries: int = 100) -> None:
    for _ in range(tries):
        if predicate():
            return
        await asyncio.sleep(0.02)


async def test_restart_policy_always_restarts_until_stopped(engine):
    c, _ = engine.create_container(run_body("sh", "-c", "echo run", HostConfig={"RestartPolicy": {"Name": "always"}}))
    engine.start_container(c.id)
    await _until(lambda: c.restart_count >= 2)
    assert c.restart_count >= 2 and output(c).count("run\n") >= 2
    await engine.stop_container(c.id, timeout=0)
    count = c.restart_count
    await asyncio.sleep(0.3)
    assert c.status == "exited" and c.restart_count == count  # a manual stop is never restarted


async def test_restart_policy_no_and_success_under_on_failure(engine):
    for policy, cmd in (({"Name": "no"}, "false"), ({"Name": "on-failure"}, "true")):
        c, _ = engine.create_container(run_body(cmd, HostConfig={"RestartPolicy": policy}))
        fut = engine.wait_future(c.id, "next-exit")
        engine.start_container(c.id)
        await asyncio.wait_for(fut, 5)
        await asyncio.sleep(0.2)
        assert c.status == "exited" and c.restart_count == 0


async def test_restart_policy_and_auto_remove_exclude_each_other(engine):
    with pytest.raises(InvalidParameter, match="can't create 'AutoRemove' container with restart policy"):
        engine.create_container(run_body("true", HostConfig={"AutoRemove": True,
                                                             "RestartPolicy": {"Name": "always"}}))
    c, _ = engine.create_container(run_body("true", HostConfig={"AutoRemove": True}))
    with pytest.raises(InvalidParameter, match="AutoRemove is enabled"):
        engine.update_container(c.id, {"RestartPolicy": {"Name": "always"}})


async def test_a_restarted_container_gets_a_fresh_process_and_pid(engine):
    c, _ = engine.create_container(run_body("sh", "-c", "sleep 0.05; exit 1", HostConfig={
        "RestartPolicy": {"Name": "on-failure", "MaximumRetryCount": 1}}))
    engine.start_container(c.id)
    first_process, first_pid = c.process, c.pid
    await _until(lambda: c.restart_count == 1 and c.status == "running")
    assert c.process is not first_process and c.pid != first_pid and c.pid > 4000
    await _until(lambda: c.status == "exited")
    actions = [e.action for e in engine.events.history if e.actor_id == c.id]
    assert actions == ["create", "start", "die", "start", "die"]
