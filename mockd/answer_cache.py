"""Encoded answers kept until the daemon's state changes (issue 15's "cache idempotent reads").

Every entry belongs to one engine change mark (:meth:`mockd.engine.Engine.change_mark`: the reset generation
and the count of state-change events); a request that sees a newer mark drops them all. A key carries what
else the answer depends on (the requested version, the query). An answer with time-dependent text
(``Up 5 seconds``) is stored with the moment that text may change next and not served from then on. So a hit
is byte-for-byte the answer the uncached path would build at that moment (tests/test_answer_cache.py compares
them over a workflow). Bounded in bytes: once ``limit_bytes`` is reached, the whole cache starts over."""

from __future__ import annotations

from collections.abc import Callable, Hashable

# What a builder returns: the encoded answer, and the time (ns, the engine's clock) it stops being true, if any.
Built = tuple[bytes, int | None]


class AnswerCache:
    def __init__(self, limit_bytes: int = 64 * 1024 * 1024) -> None:
        self.limit_bytes = limit_bytes
        self._entries: dict[Hashable, tuple[Built, int]] = {}  # key -> (answer, when it was built)
        self._mark: Hashable = None
        self._bytes = 0
        self.enabled = True  # off: every answer built afresh (the uncached path, for the comparison test)
        self.hits = 0
        self.misses = 0

    def get(self, key: Hashable, build: Callable[[], Built], *, mark: Hashable, now: int = 0) -> Built:
        """The answer for ``key`` in state ``mark`` at time ``now``, built (and kept) when missing or expired."""
        if mark != self._mark:
            self.clear()
            self._mark = mark
        if not self.enabled:
            return build()
        found = self._entries.get(key)
        # Valid from when it was built (a clock set back must not serve a later moment's text) to its deadline.
        if found is not None and found[1] <= now and (found[0][1] is None or now < found[0][1]):
            self.hits += 1
            return found[0]
        self.misses += 1
        value = build()
        if self._bytes + len(value[0]) > self.limit_bytes:
            self.clear()
        self._entries[key] = (value, now)
        self._bytes += len(value[0])
        return value

    def clear(self) -> None:
        self._entries.clear()
        self._bytes = 0

    def __len__(self) -> int:
        return len(self._entries)
