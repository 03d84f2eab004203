"""Run a Python module under an audit hook that records what would touch the host: a program started
(subprocess, exec, spawn, fork, system) or a file opened for writing outside the allowed directories.

    python tests/host_audit.py LOG ALLOWED_DIR[:ALLOWED_DIR...] -m MODULE [ARGS...]
    python tests/host_audit.py LOG ALLOWED_DIR -c CODE          (the control case of tests/test_host_isolation.py)

One line per event goes to LOG (opened before the hook is installed, written with os.write so the hook does not
see its own writes). Python's bytecode cache and /dev/null are allowed everywhere."""

from __future__ import annotations

import os
import runpy
import sys

WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND
PROGRAM_EVENTS = {"subprocess.Popen", "os.system", "os.exec", "os.posix_spawn", "os.spawn", "os.fork", "os.forkpty",
                  "pty.spawn"}


def main() -> None:
    log_path, allowed_spec, kind, target, *rest = sys.argv[1:]
    allowed = tuple(os.path.realpath(p) + os.sep for p in allowed_spec.split(":") if p)
    log_fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)

    def record(line: str) -> None:
        os.write(log_fd, (line.replace("\n", " ") + "\n").encode())

    def writes(mode: object, flags: object) -> bool:
        if isinstance(mode, str) and any(c in mode for c in "wax+"):
            return True
        return isinstance(flags, int) and bool(flags & WRITE_FLAGS)

    def hook(event: str, args: tuple) -> None:
        if event in PROGRAM_EVENTS:
            record(f"program {event} {args[:2]!r}")
        elif event == "open" and args and isinstance(args[0], str | bytes):
            path = os.fsdecode(args[0])
            if not writes(args[1] if len(args) > 1 else None, args[2] if len(args) > 2 else None):
                return
            real = os.path.realpath(path)
            if real == "/dev/null" or "__pycache__" in real or real.startswith(allowed):
                return
            record(f"write {real}")

    sys.addaudithook(hook)
    if kind == "-m":
        sys.argv = [target, *rest]
        runpy.run_module(target, run_name="__main__", alter_sys=True)
    else:
        exec(compile(target, "<control>", "exec"), {"__name__": "__main__"})


if __name__ == "__main__":
    main()
