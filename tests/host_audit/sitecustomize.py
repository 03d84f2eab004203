"""Loaded by the Python of a mockd under audit (tests/test_host_side_effects.py puts this directory first on
PYTHONPATH): every event that runs a host program or changes a host file is appended to $MOCKD_AUDIT_LOG as a
JSON line. Opens for reading are not recorded (mockd reads its own package and specs)."""

import json
import os
import sys

_LOG = os.environ.get("MOCKD_AUDIT_LOG")
# Events that start a program, and events that change the filesystem besides open() (path is their first arg).
_RUN = {"subprocess.Popen", "os.system", "os.exec", "os.posix_spawn", "os.spawn", "os.fork", "os.forkpty",
        "pty.spawn", "ctypes.dlopen"}
_CHANGE = {"os.remove", "os.rename", "os.replace", "os.rmdir", "os.mkdir", "os.chmod", "os.chown", "os.truncate",
           "os.link", "os.symlink", "os.utime", "shutil.rmtree", "shutil.copyfile", "shutil.move"}
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND
_busy = False


def _writes(mode, flags) -> bool:
    if isinstance(mode, str):
        return any(c in mode for c in "wax+")
    return isinstance(flags, int) and bool(flags & _WRITE_FLAGS)


def _hook(event: str, args: tuple) -> None:
    global _busy
    if _busy or not _LOG:
        return
    if event == "open":
        path, mode, flags = (list(args) + [None, None, None])[:3]
        if not _writes(mode, flags) or not isinstance(path, (str, bytes)):
            return
        record = {"event": event, "path": os.fsdecode(path)}
    elif event in _CHANGE:
        record = {"event": event, "path": os.fsdecode(args[0]) if isinstance(args[0], (str, bytes)) else repr(args[0])}
    elif event in _RUN:
        record = {"event": event, "args": repr(args)[:300]}
    else:
        return
    _busy = True  # the log's own open() is not an event to record
    try:
        with open(_LOG, "a") as log:
            log.write(json.dumps(record) + "\n")
    finally:
        _busy = False


if _LOG:
    with open(_LOG, "a") as _log:  # proof that the hook is in this process (the test requires it)
        _log.write(json.dumps({"event": "hook-loaded", "argv": sys.argv[:3]}) + "\n")
    sys.addaudithook(_hook)
