"""Bounds on what a simulated program can do, so that no container's script ever stalls mockd's event loop or
grows its memory without end. Each bound is chosen so that a real shell's user would not notice it:

- a shell yields to the event loop after every SLICE of continuous work (at command boundaries, loop turns and
  inside long-running applets), instead of being stopped: `while :; do :; done` runs forever, as it would;
- a pipeline's writer waits while its reader has Pipe.LIMIT unread (a Linux pipe's 64 KiB), and gets SIGPIPE
  (exit 141) once the reader has ended, so `yes | head -n 1` ends;
- a single value (a variable, a word, a command substitution's output) larger than MAX_VALUE ends the process
  as the kernel's OOM killer ends a container that exhausted its memory: exit 137, no message;
- recursion deeper than Python's stack allows ends the process as busybox ends on a stack overflow:
  SIGSEGV, exit 139, no message. mockd's depth (about 90 nested function calls, 30 through $(...)) is lower
  than busybox's (thousands), a known difference.
"""

from __future__ import annotations

SLICE = 0.002  # seconds of work between two yields to the event loop
MAX_VALUE = 16 * 1024 * 1024  # characters in one value
OOM_STATUS = 128 + 9  # killed by SIGKILL, as the OOM killer does
STACK_OVERFLOW_STATUS = 128 + 11  # SIGSEGV
BROKEN_PIPE_STATUS = 128 + 13  # SIGPIPE


class OutOfMemory(Exception):
    """A value outgrew MAX_VALUE: the whole process ends (not just a subshell), with OOM_STATUS."""


def check_size(value: str | bytes | bytearray | int) -> None:
    if (value if isinstance(value, int) else len(value)) > MAX_VALUE:
        raise OutOfMemory()
