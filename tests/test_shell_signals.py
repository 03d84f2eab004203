"""Signals and traps (mockd/engine/shell/signals.py), as a container's process receives them: `trap`, `kill` of
the shell's own pid, and signals sent from outside through the process (what `docker kill`/`stop` do)."""

from __future__ import annotations

import asyncio

from mockd.engine.filesystem import MountedFS
from mockd.engine.pipe import Pipe
from mockd.engine.registry import base_rootfs
from mockd.engine.runtime import Process
from tests.shell_support import run


def test_pid_1_ignores_signals_it_does_not_trap():
    """As in a container without an init: the kernel does not apply default actions to PID 1."""
    assert run("kill $$; kill -INT $$; echo alive", pid=1) == (0, "alive\n", "")
    assert run("kill $$; echo never", pid=7) == (143, "", "")
    assert run("kill -9 $$; echo never", pid=1) == (137, "", "")  # SIGKILL cannot be ignored


def test_ignored_and_reset_traps():
    assert run("trap '' TERM; kill $$; echo ignored", pid=7) == (0, "ignored\n", "")
    assert run("trap 'echo t' TERM; trap - TERM; kill $$; echo never", pid=7) == (143, "", "")


def test_exit_trap_runs_once_at_the_end_and_sees_the_status():
    assert run("trap 'echo cleanup $?' EXIT; set -e; false; echo never") == (1, "cleanup 1\n", "")
    assert run("trap 'echo once' EXIT; (exit 2); sh -c 'exit 3'; echo $?") == (0, "3\nonce\n", "")


def _start(script: str, pid: int = 1) -> tuple[Process, list[bytes], asyncio.Future]:
    out: list[bytes] = []
    done: asyncio.Future = asyncio.get_running_loop().create_future()
    proc = Process(argv=["sh", "-c", script], fs=MountedFS(base_rootfs()), env={"PATH": "/bin"},
                   write=lambda stream, data: out.append(data), stdin=Pipe(closed=True), pid=pid)
    proc.start(done.set_result)
    return proc, out, done


def test_a_signal_from_outside_runs_the_trap():
    async def main() -> tuple[int, bytes]:
        proc, out, done = _start("trap 'echo caught; exit 3' TERM; echo ready; while :; do sleep 0.01; done")
        while b"ready\n" not in out:
            await asyncio.sleep(0.01)
        assert proc.kill(15) is False  # trapped: the process goes on until its trap exits
        return await asyncio.wait_for(done, 5), b"".join(out)

    assert asyncio.run(main()) == (3, b"ready\ncaught\n")


def test_an_untrapped_signal_from_outside_ends_a_non_init_process():
    async def main() -> int:
        proc, out, done = _start("echo ready; sleep 100", pid=12)
        while not out:
            await asyncio.sleep(0.01)
        assert proc.kill(15) is True
        return await asyncio.wait_for(done, 5)

    assert asyncio.run(main()) == 143
