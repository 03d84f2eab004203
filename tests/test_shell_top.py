"""busybox top in a container: screens, keys and signals (busybox 1.35's procps/top.c; the container facts were
measured with `docker run busybox top` on dockerd 20.10, see tests/test_exec_attach_vs_dockerd.py)."""

from __future__ import annotations

import asyncio

import pytest

from mockd.engine.filesystem import MountedFS
from mockd.engine.pipe import Pipe, terminal_input
from mockd.engine.registry import base_rootfs
from mockd.engine.runtime import Process


async def _started(argv: list[str], *, tty: bool = False, stdin: Pipe | None = None, pid: int = 1):
    out: list[bytes] = []
    done: asyncio.Future[int] = asyncio.get_running_loop().create_future()
    proc = Process(argv=argv, fs=MountedFS(base_rootfs()), env={"PATH": "/bin"}, write=lambda _s, d: out.append(d),
                   stdin=stdin or Pipe(closed=True), pid=pid, tty=tty)
    proc.start(lambda code: done.set_result(code))
    for _ in range(200):  # the first screen comes after top's first CPU sample
        if out:
            break
        await asyncio.sleep(0.05)
    return proc, out, done


@pytest.mark.parametrize(("sig", "code"), [(15, 143), (2, 130), (1, 129), (10, 138), (9, 137)])
def test_top_as_pid_1_ends_on_its_fatal_signals(sig, code):
    async def main() -> int:
        proc, out, done = await _started(["top"])
        assert out and out[0].startswith(b"\x1b[H\x1b[JMem: ")
        proc.kill(sig)
        return await asyncio.wait_for(done, 5)
    assert asyncio.run(main()) == code


def test_other_signals_keep_their_default_action_in_pid_1():
    async def main() -> bool:
        proc, _, done = await _started(["top"])
        proc.kill(28)  # SIGWINCH: ignored by default
        proc.kill(31)  # SIGSYS: not caught, and PID 1 ignores what it does not catch
        await asyncio.sleep(0.2)
        alive = not done.done()
        proc.kill(9)
        await done
        return alive
    assert asyncio.run(main())


@pytest.mark.parametrize("key", [b"q", b"Q", b"\x03", b"\x04"])
def test_keys_that_end_top(key):
    async def main() -> tuple[int, bytes]:
        stdin = Pipe()
        _, out, done = await _started(["top", "-d", "60"], stdin=stdin)
        stdin.feed(key)
        return await asyncio.wait_for(done, 5), out[-1]
    assert asyncio.run(main()) == (0, b"\n")


def test_top_on_a_tty_reads_raw_keys_and_ends_each_screen_with_cr():
    async def main() -> tuple[int, list[bytes], bool]:
        stdin = Pipe()
        _, out, done = await _started(["top", "-d", "60"], tty=True, stdin=stdin)
        echoed: list[bytes] = []
        terminal_input(b"q", stdin, echoed.append)  # raw mode: no echo, no waiting for a newline
        code = await asyncio.wait_for(done, 5)
        return code, echoed, out[0].endswith(b"top\r")
    assert asyncio.run(main()) == (0, [], True)


def test_batch_mode_counts_screens():
    async def main() -> tuple[int, bytes]:
        _, out, done = await _started(["top", "-b", "-n", "2", "-d", "0"])
        code = await asyncio.wait_for(done, 5)
        return code, b"".join(out)
    code, text = asyncio.run(main())
    assert code == 0 and b"\x1b" not in text
    assert text.count(b"  PID  PPID USER     STAT   VSZ %VSZ %CPU COMMAND\n") == 2
    assert text.endswith(b"top\n\n")
