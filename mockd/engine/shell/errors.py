"""The shell's control-flow exceptions and the errors it reports."""

from __future__ import annotations


class ShellExit(Exception):
    def __init__(self, code: int):
        self.code = code


class Killed(ShellExit):
    """The shell was killed by a signal it does not trap (`kill $$`): it ends at once with 128+signal."""


class LoopControl(Exception):
    def __init__(self, kind: str, levels: int = 1):
        self.kind = kind
        self.levels = levels  # `break 2` leaves two loops


class FunctionReturn(Exception):
    def __init__(self, code: int):
        self.code = code


class ShellError(Exception):
    """An expansion error (${x?}, set -u, arithmetic): a non-interactive shell prints it and exits with 2."""


class StartError(Exception):
    """Raised before the process starts (the runtime's error); `exit_code` is what the CLI exits with."""

    def __init__(self, message: str, exit_code: int = 127):
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code


class SyntaxErr(Exception):
    pass
