"""Engine unit tests: `runtime.launch`, the one way a process starts in a container."""

from __future__ import annotations

import asyncio

import pytest

from mockd.engine.filesystem import FileTree, MountedFS
from mockd.engine.pipe import Pipe
from mockd.engine.process import Rule
from mockd.engine.runtime import Job, Runtime, StartError, container_job, launch, process_env, rule_for
from tests.engine_support import busybox_engine, run_body


def _job(tree: FileTree, argv: list[str], **extra) -> tuple[Job, list[tuple[int, bytes]]]:
    out: list[tuple[int, bytes]] = []
    job = Job(argv=argv, fs=MountedFS(tree), env={"PATH": "/bin"}, write=lambda s, d: out.append((s, d)),
              stdin=Pipe(closed=True), **extra)
    return job, out


def _busybox_tree() -> FileTree:
    return busybox_engine().images.get("busybox").rootfs().copy()


async def _exit_of(job: Job, **kwargs) -> int:
    done: asyncio.Future = asyncio.get_running_loop().create_future()
    launch(job, done.set_result, **kwargs)
    return await asyncio.wait_for(done, 5)


async def test_launch_runs_the_command_and_reports_its_exit():
    job, out = _job(_busybox_tree(), ["sh", "-c", "echo hi; echo oops >&2; exit 5"], hostname="box")
    seen = []
    assert await _exit_of(job, before_start=lambda proc: seen.append((proc.pid, proc.alive))) == 5
    assert out == [(1, b"hi\n"), (2, b"oops\n")]
    assert seen == [(1, False)]  # told before the process is started


async def test_launch_refuses_before_anything_runs():
    tree = _busybox_tree()
    called = []
    job, _ = _job(tree, ["nosuch"], pid=lambda: called.append("pid") or 7)
    with pytest.raises(StartError) as err:
        launch(job, called.append, lambda proc: called.append("before"))
    assert err.value.exit_code == 127 and 'exec: "nosuch": executable file not found in $PATH' in err.value.message
    job, _ = _job(tree, ["true"], user="ghost")
    with pytest.raises(StartError) as err:
        launch(job, called.append)
    assert err.value.exit_code == 126 and "unable to find user ghost" in err.value.message
    job, _ = _job(tree, ["/etc/passwd"])
    with pytest.raises(StartError, match="permission denied") as err:
        launch(job, called.append)
    assert err.value.exit_code == 126
    assert called == []  # no pid taken, no callback


async def test_launch_checks_can_be_skipped_and_rules_need_no_executable():
    tree = _busybox_tree()
    job, _ = _job(tree, ["true"], user="ghost", check_user=False)
    assert await _exit_of(job) == 0
    job, out = _job(FileTree(), ["myapp", "serve"], rule=Rule(stdout="scripted\n", exit_code=3))
    assert await _exit_of(job) == 3 and out == [(1, b"scripted\n")]


async def test_a_callable_pid_is_taken_once_the_checks_passed():
    runtime = Runtime()
    job, _ = _job(_busybox_tree(), ["sh", "-c", "echo $$"], pid=runtime.next_pid)
    pids = []
    await _exit_of(job, before_start=lambda proc: pids.append(proc.pid))
    assert pids and pids[0] > 4000


async def test_container_job_takes_the_containers_environment_rules_and_defaults():
    engine = busybox_engine()
    c, _ = engine.create_container(run_body("true", Env=["A=1", "HOME=/home/x"], User="nobody",
                                            WorkingDir="/work"))
    assert process_env(c, ["A=2", "B=3"]) == {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                                              "A": "2", "HOME": "/home/x", "B": "3", "HOSTNAME": c.id[:12]}
    rule = Rule(command="echo *", image="busy*")
    assert rule_for([Rule(command="nope"), rule], c, ["echo", "x"]) is rule
    assert rule_for([rule], c, ["true"]) is None
    job = container_job(c, ["id"], [rule], write=lambda s, d: None, stdin=Pipe(closed=True))
    assert (job.cwd, job.user, job.hostname, job.rule) == ("/work", "nobody", c.id[:12], None)
    job = container_job(c, ["echo", "x"], [rule], write=lambda s, d: None, stdin=Pipe(closed=True), cwd="/tmp",
                        user="root")
    assert (job.cwd, job.user, job.rule) == ("/tmp", "root", rule)


async def test_runtime_cancels_its_tasks():
    runtime = Runtime()
    task = runtime.spawn(asyncio.sleep(100))
    runtime.cancel_tasks()
    with pytest.raises(asyncio.CancelledError):
        await task
