"""Signals to the shell: `trap` (actions run at the next command, EXIT when the shell ends) and `kill` of the
shell's own process id (a trap, or the signal's default action)."""

from __future__ import annotations

from .errors import Killed
from .interpreter import Shell
from .registry import builtin


@builtin("trap")
async def b_trap(sh: Shell, args, io) -> int:
    from ..process import parse_signal

    if len(args) < 3:
        return 0
    action = args[1]
    for name in args[2:]:
        if name in ("EXIT", "0"):
            sh.exit_trap = None if action in ("-", "") else action
            continue
        try:
            sig = parse_signal(name)
        except ValueError:
            # busybox counts lines of a `sh -c` script from 0 here; mockd does not track lines, so always 0.
            io.err(f"{sh.name}: trap: line 0: {name}: invalid signal specification\n".encode())
            return 1
        if action == "-":
            sh.ctx.traps.pop(sig, None)
        else:
            sh.ctx.traps[sig] = action
    return 0


@builtin("kill")
async def b_kill(sh: Shell, args, io) -> int:
    """Signals to the shell itself ($$) act as they would (a trap, or the default action); other process ids are
    not simulated and are accepted silently."""
    from ..process import parse_signal

    rest, sig = args[1:], 15
    try:
        if rest[:1] == ["-s"] and len(rest) > 1:
            sig, rest = parse_signal(rest[1]), rest[2:]
        elif rest and rest[0].startswith("-") and rest[0] != "--" and len(rest[0]) > 1:
            sig, rest = (0 if rest[0] == "-0" else parse_signal(rest[0][1:])), rest[1:]
    except ValueError:
        io.err(f"{sh.name}: bad signal name '{rest[0].lstrip('-')}'\n".encode())
        return 1
    for target in rest:
        if target == str(sh.ctx.pid) and sig:
            _signal_self(sh, sig)
    return 0


def _signal_self(sh: Shell, sig: int) -> None:
    if sig in sh.ctx.traps:
        sh.ctx.pending.append(sig)  # the trap runs at the next command, as a real shell runs it after the builtin
    elif sig in (17, 18, 23, 28) or (sh.ctx.pid == 1 and sig != 9):
        return  # ignored by default, or PID 1 without a handler
    elif sig in (19, 20, 21, 22):
        if sh.ctx.running is not None:
            sh.ctx.running.clear()
    else:
        raise Killed(128 + sig)
