"""Bounds on what a simulated program can do, so that no container's script ever stalls mockd's event loop or
grows its memory without end. Each bound is chosen so that a real shell's user would not notice it:

- all shells together work at most about SLICE per pass of the event loop (scheduler.py; checked at command
  boundaries, loop turns and inside long-running applets), instead of being stopped: `while :; do :; done`
  runs forever, as it would, and a request waits a few SLICEs however many scripts are busy;
- a pipeline's writer waits while its reader has Pipe.LIMIT unread (a Linux pipe's 64 KiB), and gets SIGPIPE
  (exit 141) once the reader has ended, so `yes | head -n 1` ends;
- a single value (a variable, a word, a command substitution's output) larger than MAX_VALUE ends the process
  as the kernel's OOM killer ends a container that exhausted its memory: exit 137, no message;
- recursion deeper than MAX_DEPTH nested function calls and command substitutions (or than Python's stack
  allows) ends the process as busybox ends on a stack overflow: SIGSEGV, exit 139, no message. busybox goes
  thousands deep, a known difference; the bound keeps each overflow cheap (unwinding Python's whole stack took
  tens of milliseconds of the event loop, every time a `while :; do sh -c 'f() { f; }; f'; done` went round).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol

SLICE = 0.001  # seconds of shell work per pass of the event loop (all shells together)
MAX_VALUE = 16 * 1024 * 1024  # characters in one value
OOM_STATUS = 128 + 9  # killed by SIGKILL, as the OOM killer does
STACK_OVERFLOW_STATUS = 128 + 11  # SIGSEGV
BROKEN_PIPE_STATUS = 128 + 13  # SIGPIPE
MAX_DEPTH = 100


class OutOfMemory(Exception):
    """A value outgrew MAX_VALUE: the whole process ends (not just a subshell), with OOM_STATUS."""


def check_size(value: str | bytes | bytearray | int) -> None:
    if (value if isinstance(value, int) else len(value)) > MAX_VALUE:
        raise OutOfMemory()


class _Nesting(Protocol):
    depth: int


@contextmanager
def nested(ctx: _Nesting) -> Iterator[None]:
    """One level of a process's recursion (a function call, a command substitution); RecursionError past
    MAX_DEPTH, which ends the process as a stack overflow."""
    if ctx.depth >= MAX_DEPTH:
        raise RecursionError("shell recursion past limits.MAX_DEPTH")
    ctx.depth += 1
    try:
        yield
    finally:
        ctx.depth -= 1
