"""The ``--record FILE.jsonl`` traffic record: one JSON object per exchange (format: docs/record-format.md).

apicheck re-checks a record against any version, so each line carries what a check needs: the
concrete request (method, path, query, headers that matter, body), the matched template and
operationId, the requested version, the status and content type of the answer, and the findings
mockd made at the time.
"""

from __future__ import annotations

import hashlib
import json
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


class Recorder:
    """Appends exchanges to a JSONL file while started; thread-safe, line-buffered."""

    def __init__(self) -> None:
        self._file: IO[str] | None = None
        self._path: Path | None = None
        self._lock = threading.Lock()
        self.count = 0
        self.started_at: float | None = None

    @property
    def active(self) -> bool:
        return self._file is not None

    @property
    def path(self) -> str | None:
        return str(self._path) if self._path else None

    def start(self, path: str | Path, *, append: bool = True) -> None:
        self.stop()
        self._path = Path(path)
        self._path.parent.mkdir(parents=True, exist_ok=True)
        self._file = self._path.open("a" if append else "w", encoding="utf-8", buffering=1)
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
