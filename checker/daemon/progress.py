"""A progress bar on a terminal; silent in CI and when stderr is not a terminal."""

from __future__ import annotations

import os
import sys
import threading
from typing import TextIO


class ProgressBar:
    def __init__(self, stream: TextIO | None = None, enabled: bool | None = None) -> None:
        self.stream = stream or sys.stderr
        if enabled is None:
            enabled = self.stream.isatty() and not os.environ.get("CI")
        self.enabled = enabled
        self.stage = ""
        self.done = 0
        self.total = 0
        self._lock = threading.Lock()

    def __call__(self, stage: str, done: int, total: int) -> None:
        if not self.enabled:
            return
        with self._lock:
            if stage != self.stage:
                self.stage, self.done, self.total = stage, 0, 0
            self.done += done
            if total:
                self.total = total
            self._draw()

    def _draw(self) -> None:
        width = 30
        if self.total:
            filled = min(width, width * self.done // max(self.total, 1))
            bar = "#" * filled + "-" * (width - filled)
            text = f"\r{self.stage:16} [{bar}] {self.done}/{self.total}"
        else:
            text = f"\r{self.stage:16} {self.done} requests"
        self.stream.write(text.ljust(70))
        self.stream.flush()

    def close(self) -> None:
        if self.enabled:
            self.stream.write("\r" + " " * 70 + "\r")
            self.stream.flush()
