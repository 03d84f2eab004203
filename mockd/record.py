"""The ``--record FILE.jsonl`` traffic record: one JSON object per exchange (format: docs/record-format.md).

apicheck re-checks a record against any version, so each line carries what a check needs: the
concrete request (method, path, query, headers that matter, body), the matched template and
operationId, the requested version, the status and content type of the answer, and the findings
mockd made at the time.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import stat
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from specs.validation import NO_BODY

FORMAT = "mockd-record/1"

# Request headers recorded (lower-case names). Credentials are never written: X-Registry-Auth
# and X-Registry-Config are recorded as the decoded size only.
RECORDED_HEADERS = ("host", "user-agent", "content-type", "content-length", "transfer-encoding",
                    "connection", "upgrade")
SECRET_HEADERS = ("x-registry-auth", "x-registry-config", "authorization")


def body_entry(raw: bytes, parsed: Any, content_type: str | None) -> dict[str, Any] | None:
    """``{"json": value}`` for a JSON body, else ``{"content_type", "size", "sha256"}``; None when empty."""
    if parsed is not NO_BODY:
        return {"json": parsed}
    if not raw:
        return None
    return {"content_type": content_type, "size": len(raw), "sha256": hashlib.sha256(raw).hexdigest()}


def header_entry(headers: Any) -> dict[str, str]:
    out = {}
    for name in RECORDED_HEADERS:
        if name in headers:
            out[name] = headers[name]
    for name in SECRET_HEADERS:
        if name in headers:
            out[name] = f"<{len(headers[name])} bytes>"
    return out


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


class RecordRefused(Exception):
    """A record path the control plane may not open: ``status`` and a message for the caller."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class Recorder:
    """Appends exchanges to a JSONL file while started; thread-safe, line-buffered.

    Two ways to start: :meth:`start` opens any path (the operator's own ``--record FILE``);
    :meth:`start_confined` is what the control plane uses: the path must lie in the ``--record-dir``
    directory, and an existing file is opened only if this process created it (see its docstring).
    """

    def __init__(self) -> None:
        self._file: IO[str] | None = None
        self._path: Path | None = None
        self._lock = threading.Lock()
        self.count = 0
        self.started_at: float | None = None
        self._created: set[tuple[int, int]] = set()  # (st_dev, st_ino) of the files this process created

    @property
    def active(self) -> bool:
        return self._file is not None

    @property
    def path(self) -> str | None:
        return str(self._path) if self._path else None

    def start(self, path: str | Path, *, append: bool = True) -> None:
        """The operator's ``--record FILE``: any path, appended to (or truncated with ``append=False``)."""
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        existed = target.exists()
        handle = target.open("a" if append else "w", encoding="utf-8", buffering=1)
        if not existed:
            info = os.fstat(handle.fileno())
            self._created.add((info.st_dev, info.st_ino))
        self._switch(target, handle)

    def start_confined(self, root: str | Path, requested: str, *, append: bool = True) -> None:
        """A record file asked for over the control plane, confined to ``root`` (``--record-dir``).

        A relative path is taken inside ``root``. Refused (403): ``..`` components, and any path that,
        once its directories' symlinks are resolved, lies outside ``root``; a symlink as the file
        itself (never followed, O_NOFOLLOW). A file that does not exist is created (mode 0600, with
        O_EXCL so nothing is clobbered); a file that exists is opened only if this process created it
        (a record it made earlier: appended to, or truncated with ``"append": false``), otherwise
        refused (409) and left untouched — mockd never truncates or appends to a file it did not make.
        """
        base = Path(os.path.realpath(root))
        wanted = Path(requested)
        if ".." in wanted.parts:
            raise RecordRefused(403, f"record path {requested!r}: '..' is not allowed")
        if not wanted.is_absolute():
            wanted = base / wanted
        parent = Path(os.path.realpath(wanted.parent))
        if parent != base and base not in parent.parents:
            raise RecordRefused(403, f"record path {requested!r} is outside the record directory {base}")
        parent.mkdir(parents=True, exist_ok=True)
        target = parent / wanted.name
        handle = self._open_confined(target, requested, append)
        self._switch(target, handle)

    def _open_confined(self, target: Path, requested: str, append: bool) -> IO[str]:
        try:
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
        except FileExistsError:
            fd = self._reopen_own(target, requested, append)
        else:
            info = os.fstat(fd)
            self._created.add((info.st_dev, info.st_ino))
        return os.fdopen(fd, "a", encoding="utf-8", buffering=1)

    def _reopen_own(self, target: Path, requested: str, append: bool) -> int:
        info = os.lstat(target)
        if stat.S_ISLNK(info.st_mode):
            raise RecordRefused(403, f"record path {requested!r} is a symlink; not following it")
        if not stat.S_ISREG(info.st_mode) or (info.st_dev, info.st_ino) not in self._created:
            raise RecordRefused(409, f"record path {requested!r} exists and was not created by this mockd; "
                                     "not writing to it (choose a new name)")
        try:
            fd = os.open(target, os.O_WRONLY | os.O_APPEND | os.O_NOFOLLOW | os.O_CLOEXEC)
        except OSError as exc:  # swapped for a symlink since the lstat
            if exc.errno == errno.ELOOP:
                raise RecordRefused(403, f"record path {requested!r} is a symlink; not following it") from None
            raise
        now = os.fstat(fd)
        if (now.st_dev, now.st_ino) != (info.st_dev, info.st_ino):  # swapped for another file since the lstat
            os.close(fd)
            raise RecordRefused(409, f"record path {requested!r} changed while opening it; not writing to it")
        if not append:
            os.ftruncate(fd, 0)
        return fd

    def _switch(self, path: Path, handle: IO[str]) -> None:
        self.stop()
        with self._lock:
            self._path = path
            self._file = handle
            self.count = 0
            self.started_at = time.time()

    def stop(self) -> dict[str, Any]:
        """Close the file; the final status (path and exchange count kept for the answer)."""
        with self._lock:
            if self._file is not None:
                self._file.close()
            self._file = None
        return self.status()

    def status(self) -> dict[str, Any]:
        return {"active": self.active, "path": self.path, "exchanges": self.count, "format": FORMAT}

    def write(self, entry: dict[str, Any]) -> None:
        with self._lock:
            if self._file is None:
                return
            self._file.write(json.dumps(entry, separators=(",", ":"), default=str) + "\n")
            self.count += 1


def read_record(path: str | Path) -> list[dict[str, Any]]:
    """All exchanges of a record file (blank lines skipped)."""
    out = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                out.append(json.loads(line))
    return out
