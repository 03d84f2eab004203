"""busybox `top`: a screen of the process list every few seconds until it is told to stop.

As busybox 1.35 does (procps/top.c, measured in a dockerd 20.10 container with and without a TTY):
- a screen is `ESC[H ESC[J` (home, clear), the Mem/CPU/Load average lines, the column header in reverse video and
  one line per process, each after a `\\n`, the last one followed by `\\r` (no newline); `-b` (batch) drops the
  escapes and ends the screen with `\\n`. The first screen comes ~0.1 s after the start (top samples CPU time
  twice), then one every `-d` seconds (default 5); `-n N` exits 0 after N screens.
- It installs a handler for busybox's "fatal" signals (HUP INT QUIT ABRT PIPE ALRM TERM USR1 USR2 VTALRM XCPU
  XFSZ) that re-raises the signal and, when that is ignored (PID 1 of a container), `_exit(128 | sig)`: so
  `docker stop` of a `top` container ends it at once with 143, unlike `sleep` (which PID 1 ignores until the
  SIGKILL). Other signals keep their default action.
- Keys from stdin (when it is open; a TTY is put in raw mode, so they come unechoed, one by one): `q`, Ctrl-C
  or Ctrl-D end it (a last `\\n`, exit 0); other keys redraw.
  At end of input (no `-i`, stdin is /dev/null) it just keeps redrawing.
The memory and load lines are the host's (a container's /proc/meminfo and /proc/loadavg are the host's); the
process list is top itself, the only process of the container the shell knows of.
"""

from __future__ import annotations

import asyncio
import re

from ...programs import Run
from ..interpreter import Shell
from ..lookup import resolve_user
from ..registry import builtin

FATAL_SIGNALS = (1, 2, 3, 6, 10, 12, 13, 14, 15, 24, 25, 26)  # busybox's BB_FATAL_SIGS
EXIT_KEYS = (b"q", b"Q", b"\x03", b"\x04")  # q, VINTR, VEOF (the terminal is put in raw mode)
FIRST_SAMPLE = 0.1  # top sleeps this long between its two first CPU samples before the first screen
DEFAULT_DELAY = 5.0
HEADER = "  PID  PPID USER     STAT   VSZ %VSZ %CPU COMMAND"
USAGE = """Usage: top [-bH] [-n COUNT] [-d SECONDS]

Show a view of process activity in real time.
Read the status of all processes from /proc each SECONDS
and show a screenful of them.
Keys:
\tN/M/P/T: sort by pid/mem/cpu/time
\tR: reverse sort
\tH: toggle threads
\tQ,^C: exit
Options:
\t-b\tBatch mode
\t-n N\tExit after N iterations
\t-d SEC\tDelay between updates
\t-H\tShow threads
"""
VSZ_KB = 2268  # busybox top's own virtual size, as measured
# What a host shows when /proc cannot be read (mockd may run where it has none): a quiet 16 GiB machine.
_MEMINFO_FALLBACK = {"MemTotal": 16384000, "MemFree": 15000000, "MemShared": 0, "Shmem": 9652, "Buffers": 8440,
                     "Cached": 608680}


class _Options:
    def __init__(self) -> None:
        self.batch = False
        self.count: int | None = None
        self.delay = DEFAULT_DELAY


def _parse(args: list[str]) -> _Options | str:
    """The options, or the offending option character (busybox's getopt32 with "d:n:bHm")."""
    opts = _Options()
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--":
            break
        if not arg.startswith("-") or arg == "-":
            i += 1  # busybox top ignores operands
            continue
        j = 1
        while j < len(arg):
            ch = arg[j]
            if ch in "dn":
                value = arg[j + 1:] or (args[i + 1] if i + 1 < len(args) else None)
                if value is None:
                    return ch + ":"
                if not arg[j + 1:]:
                    i += 1
                if ch == "n":
                    if not value.isdigit():
                        return "n=" + value
                    opts.count = int(value)
                else:
                    if not re.fullmatch(r"\d+(\.\d*)?|\.\d+", value):
                        return "d=" + value
                    opts.delay = float(value)
                break
            if ch == "b":
                opts.batch = True
            elif ch not in "Hm":
                return ch
            j += 1
        i += 1
    return opts


def _meminfo() -> dict[str, int]:
    try:
        with open("/proc/meminfo") as fh:
            rows = dict(line.split(":", 1) for line in fh if ":" in line)
        return {k: int(rows[k].split()[0]) if k in rows else 0 for k in _MEMINFO_FALLBACK}
    except (OSError, ValueError):
        return dict(_MEMINFO_FALLBACK)


def _loadavg(pid: int) -> str:
    try:
        with open("/proc/loadavg") as fh:
            fields = fh.read().split()
        return f"{fields[0]} {fields[1]} {fields[2]} 1/{fields[3].split('/')[-1]} {pid}"
    except (OSError, IndexError):
        return f"0.00 0.00 0.00 1/1 {pid}"


def screen(sh: Shell, batch: bool, width: int = 80) -> str:
    mem = _meminfo()
    total = mem["MemTotal"] or 1
    line = (f"Mem: {total - mem['MemFree']}K used, {mem['MemFree']}K free, {mem['MemShared'] + mem['Shmem']}K shrd, "
            f"{mem['Buffers']}K buff, {mem['Cached']}K cached")[:width - 1]
    try:
        uid, _gid, uname, _gname = resolve_user(sh.ctx.fs, sh.ctx.user)
    except Exception:  # noqa: BLE001 - the user was checked at start; a later edit of /etc/passwd shows the uid
        uid, uname = 0, None
    user = (uname or str(uid))[:8]
    pmem = (VSZ_KB * 100 + total // 2) // total
    proc = f"{sh.ctx.pid:5d}{0:6d} {user:<8} {'R':<4}{VSZ_KB:>6}{pmem:4d}%{0:4d}% top"[:width]
    cpu = "CPU:   0% usr   0% sys   0% nic 100% idle   0% io   0% irq   0% sirq"
    head = HEADER if batch else f"\x1b[7m{HEADER}\x1b[m"
    text = f"{line}\n{cpu}\nLoad average: {_loadavg(sh.ctx.pid)}\n{head}\n{proc}"
    return text + "\n" if batch else f"\x1b[H\x1b[J{text}\r"


@builtin("top")
async def b_top(sh: Shell, args, io) -> int:
    opts = _parse(args[1:])
    if isinstance(opts, str):
        if opts.startswith(("n=", "d=")):
            io.err(f"top: invalid number '{opts[2:]}'\n".encode())
        elif opts.endswith(":"):
            io.err(f"top: option requires an argument -- '{opts[0]}'\n{USAGE}".encode())
        else:
            io.err(f"top: invalid option -- '{opts}'\n{USAGE}".encode())
        return 1
    saved = {sig: sh.ctx.traps.get(sig) for sig in FATAL_SIGNALS}
    run = Run(sh, args, io)
    run.catch(*FATAL_SIGNALS)
    keys = _Keys(io.stdin)
    raw_before = io.stdin.raw
    if sh.ctx.tty:
        io.stdin.raw = True  # set_termios_to_raw: keys arrive one by one, unechoed
    try:
        sig = await run.wait_signal(FIRST_SAMPLE)
        shown = 0
        while sig is None:
            io.out(screen(sh, opts.batch).encode())
            shown += 1
            if opts.count is not None and shown >= opts.count:
                break
            sig, key = await _wait(run, keys, opts.delay)
            if key in EXIT_KEYS:
                break
        if sig is not None:
            return 128 | sig  # the handler re-raised it; ignored in PID 1, the handler's _exit(sig | 128)
        io.out(b"\n")
        return 0
    finally:
        keys.close()
        io.stdin.raw = raw_before
        for sig, action in saved.items():
            if action is None:
                sh.ctx.traps.pop(sig, None)
            else:
                sh.ctx.traps[sig] = action


class _Keys:
    """The keys typed at top: one reader of its stdin for the whole run (a read is never lost between waits)."""

    def __init__(self, stdin) -> None:
        self.stdin = stdin
        self.task: asyncio.Task | None = None
        self.eof = False

    def next(self) -> asyncio.Task | None:
        if self.eof:
            return None
        if self.task is None:
            self.task = asyncio.ensure_future(self.stdin.read(1))
        return self.task

    def take(self) -> bytes | None:
        if self.task is None or not self.task.done():
            return None
        data, self.task = self.task.result(), None
        if not data:
            self.eof = True  # "top </dev/null": no more keys, top only redraws
            return None
        return data

    def close(self) -> None:
        if self.task is not None:
            self.task.cancel()


async def _wait(run: Run, keys: _Keys, seconds: float) -> tuple[int | None, bytes | None]:
    """The delay between screens, cut short by a caught signal or a key: (signal, key)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while True:
        read = keys.next()
        signal_wait = asyncio.ensure_future(run.wait_signal(max(deadline - loop.time(), 0)))
        waits = {signal_wait} | ({read} if read is not None else set())
        done, _ = await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        if signal_wait not in done:
            signal_wait.cancel()
        elif (sig := signal_wait.result()) is not None:
            return sig, None
        key = keys.take()
        if key is not None:
            return None, key
        if loop.time() >= deadline:
            return None, None
