"""test and [: file, string and integer conditions."""

from __future__ import annotations

from ...filesystem import DIR, SYMLINK
from ..interpreter import Shell
from ..registry import builtin


@builtin("test", "[")
async def b_test(sh: Shell, args, io) -> int:
    expr = args[1:]
    if args[0] == "[":
        if not expr or expr[-1] != "]":
            io.err(f"{sh.name}: missing ]\n".encode())
            return 2
        expr = expr[:-1]
    return 0 if _test(sh, expr) else 1


def _test(sh: Shell, expr: list[str]) -> bool:
    if not expr:
        return False
    if expr[0] == "!":
        return not _test(sh, expr[1:])
    for i, word in enumerate(expr):
        if word in ("-a", "-o") and 0 < i < len(expr) - 1:
            left, right = _test(sh, expr[:i]), _test(sh, expr[i + 1:])
            return (left and right) if word == "-a" else (left or right)
    if len(expr) == 1:
        return expr[0] != ""
    if len(expr) == 2:
        op, arg = expr
        node = sh.ctx.fs.lookup(sh.path(arg)) if op in ("-e", "-f", "-d", "-s", "-x", "-r", "-w", "-L", "-h") else None
        return {
            "-n": arg != "", "-z": arg == "", "-e": node is not None,
            "-f": node is not None and node.kind == "file", "-d": node is not None and node.kind == DIR,
            "-s": node is not None and node.size > 0, "-x": node is not None and bool(node.mode & 0o111),
            "-r": node is not None, "-w": node is not None,
            "-L": (sh.ctx.fs.get(sh.path(arg)) or node) is not None and getattr(sh.ctx.fs.get(sh.path(arg)), "kind",
                                                                                "") == SYMLINK,
        }.get(op, False)
    left, op, right = expr[0], expr[1], expr[2]
    if op in ("=", "=="):
        return left == right
    if op == "!=":
        return left != right
    try:
        a, b = int(left), int(right)
    except ValueError:
        return False
    return {"-eq": a == b, "-ne": a != b, "-lt": a < b, "-le": a <= b, "-gt": a > b, "-ge": a >= b}.get(op, False)
