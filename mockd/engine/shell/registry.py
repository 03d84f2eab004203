"""The table of built-in commands (shell builtins and the applets of a busybox-like image) and argument helpers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

# (shell, argv, io) -> exit status. Typed loosely so this table imports nothing of the interpreter that reads it.
Builtin = Callable[..., Awaitable[int]]
BUILTINS: dict[str, Builtin] = {}


def builtin(*names: str):
    def register(fn: Builtin) -> Builtin:
        for name in names:
            BUILTINS[name] = fn
        return fn
    return register


SPECIAL_BUILTINS = {"break", "continue", "exit", "export", "cd", "set", "unset", ":", "read", "shift", "trap", "wait",
                    "exec", ".", "eval", "return", "local", "command", "type"}
# POSIX's special builtins: a redirection error on one of them ends a non-interactive shell (`exec 3<missing`).
POSIX_SPECIAL_BUILTINS = {"break", ":", ".", "continue", "eval", "exec", "exit", "export", "readonly", "return", "set",
                          "shift", "times", "trap", "unset"}
ASH_BUILTINS = {".", ":", "[", "break", "cd", "command", "continue", "echo", "eval", "exec", "exit", "export", "false",
                "kill", "local", "printf", "pwd", "read", "return", "set", "shift", "test", "trap", "true", "type",
                "unset", "wait"}


def parse_flags(args: list[str], known: str) -> tuple[set[str], list[str]]:
    flags, rest = set(), []
    for i, arg in enumerate(args):
        if arg == "--":
            rest.extend(args[i + 1:])
            break
        if arg.startswith("-") and len(arg) > 1 and all(c in known for c in arg[1:]):
            flags.update(arg[1:])
        else:
            rest.append(arg)
    return flags, rest
