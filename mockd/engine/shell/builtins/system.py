"""Applets about the process and the machine: sleep, env/printenv, hostname, id/whoami, pwd, date, uname, nproc,
yes, ps."""

from __future__ import annotations

import asyncio
import re
import time

from ..errors import StartError
from ..interpreter import Shell
from ..lookup import process_groups, resolve_user
from ..registry import builtin, parse_flags


@builtin("sleep")
async def b_sleep(sh: Shell, args, io) -> int:
    total = 0.0
    for arg in args[1:]:
        m = re.fullmatch(r"(\d+(?:\.\d*)?|\.\d+)([smhd]?)", arg)
        if not m:
            if arg == "infinity":
                total = float("inf")
                continue
            io.err(f"sleep: invalid number '{arg}'\n".encode())
            return 1
        total += float(m.group(1)) * {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}[m.group(2)]
    loop = asyncio.get_running_loop()
    deadline = loop.time() + total
    while True:
        await sh.checkpoint()
        remaining = deadline - loop.time()
        if remaining <= 0:
            return 0
        # Sleep in slices so a pause (which clears ctx.running) holds the process like a frozen cgroup.
        await asyncio.sleep(min(remaining, 0.25 if sh.ctx.running is not None else remaining))


@builtin("env", "printenv")
async def b_env(sh: Shell, args, io) -> int:
    if args[0] == "printenv" and len(args) > 1:
        status = 0
        for name in args[1:]:
            if name in sh.exported and name in sh.vars:
                io.out((sh.vars[name] + "\n").encode())
            else:
                status = 1
        return status
    rest = args[1:]
    extra = {}
    while rest and "=" in rest[0]:
        k, _, v = rest[0].partition("=")
        extra[k] = v
        rest = rest[1:]
    if rest:
        sub = sh.child(sh.args, sh.name)
        sub.vars.update(extra)
        sub.exported |= set(extra)
        return await sub.exec_external(rest, io)
    env = {**sh.env(), **extra}
    io.out("".join(f"{k}={v}\n" for k, v in env.items()).encode())
    return 0


@builtin("hostname")
async def b_hostname(sh: Shell, args, io) -> int:
    try:
        name = sh.ctx.fs.read("/etc/hostname").decode().strip() or sh.ctx.hostname
    except OSError:
        name = sh.ctx.hostname
    io.out((name + "\n").encode())
    return 0


@builtin("id", "whoami")
async def b_id(sh: Shell, args, io) -> int:
    """busybox id: `uid=0(root) gid=0(root) groups=0(root),...` (groups: the process's supplementary groups,
    lookup.process_groups), -u/-g/-G with -n for names (an id without a name: `id: unknown ID N`, status 1)."""
    try:
        uid, gid, uname, gname = resolve_user(sh.ctx.fs, sh.ctx.user)
        groups = process_groups(sh.ctx.fs, sh.ctx.user, sh.ctx.group_add)
    except StartError:
        uid, gid, uname, gname, groups = 0, 0, "root", "root", [0]
    if args[0] == "whoami":
        if uname is None:
            io.err(f"whoami: unknown uid {uid}\n".encode())
            return 1
        io.out((uname + "\n").encode())
        return 0
    flags, _ = parse_flags(args[1:], "ugGnr")
    group_names = _group_names(sh)
    status = 0

    def show(number: int, name: str | None) -> str:
        nonlocal status
        if "n" not in flags:
            return str(number)
        if name is None:
            io.err(f"id: unknown ID {number}\n".encode())
            status = 1
        return name or str(number)

    if "u" in flags:
        io.out((show(uid, uname) + "\n").encode())
    elif "g" in flags:
        io.out((show(gid, gname) + "\n").encode())
    elif "G" in flags:
        listed = [gid, *(g for g in groups if g != gid)]
        io.out((" ".join(show(g, group_names.get(g)) for g in listed) + "\n").encode())
    else:
        u = f"uid={uid}" + (f"({uname})" if uname else "")
        g = f"gid={gid}" + (f"({gname})" if gname else "")
        shown = ",".join(f"{n}({group_names[n]})" if n in group_names else str(n) for n in groups)
        io.out(f"{u} {g}{' groups=' + shown if shown else ''}\n".encode())
    return status


def _group_names(sh: Shell) -> dict[int, str]:
    try:
        rows = [line.split(":") for line in sh.ctx.fs.read("/etc/group").decode(errors="replace").splitlines()]
    except (OSError, ValueError):
        return {}
    names: dict[int, str] = {}
    for row in rows:
        if len(row) > 2 and row[2].isdigit():
            names.setdefault(int(row[2]), row[0])
    return names


@builtin("pwd")
async def b_pwd(sh: Shell, args, io) -> int:
    io.out((sh.cwd + "\n").encode())
    return 0


@builtin("date")
async def b_date(sh: Shell, args, io) -> int:
    fmt = next((a[1:] for a in args[1:] if a.startswith("+")), "%a %b %e %H:%M:%S UTC %Y")
    io.out((time.strftime(fmt, time.gmtime()) + "\n").encode())
    return 0


@builtin("uname")
async def b_uname(sh: Shell, args, io) -> int:
    flags, _ = parse_flags(args[1:], "asnrvmo")
    parts = {"s": "Linux", "n": sh.ctx.hostname, "r": "6.1.0-mockd", "v": "#1 SMP", "m": "x86_64", "o": "GNU/Linux"}
    chosen = "snrvmo" if "a" in flags else "".join(f for f in "snrvmo" if f in flags) or "s"
    io.out((" ".join(parts[f] for f in chosen) + "\n").encode())
    return 0


@builtin("nproc")
async def b_nproc(sh: Shell, args, io) -> int:
    io.out(b"2\n")
    return 0


@builtin("yes")
async def b_yes(sh: Shell, args, io) -> int:
    text = ((" ".join(args[1:]) or "y") + "\n").encode()
    if sh.out_pipe is not None:  # into a pipeline: as fast as the reader takes it (checkpoint waits for it)
        chunk = text * max(1, 8192 // len(text))
        while True:
            io.out(chunk)
            await sh.checkpoint()
    while True:  # into the container's output: paced, as the log store has no backpressure to give
        io.out(text)
        await asyncio.sleep(0.001)
        await sh.checkpoint()


@builtin("ps")
async def b_ps(sh: Shell, args, io) -> int:
    io.out(b"PID   USER     TIME  COMMAND\n    1 root      0:00 sh\n")
    return 0
