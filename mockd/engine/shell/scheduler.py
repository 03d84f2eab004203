"""Turns on the event loop for simulated processes: how busy shells share the loop with everything else.

A request served by mockd takes several passes of the event loop (accept, read, handler, write, close). If every
busy shell ran a slice of work in every pass, one request would wait (passes x shells x slice): ten scripts in
`while :; do :; done` with a 2 ms slice held a `/_ping` for ~200 ms. So all shells of one loop share ONE turn
per pass: a turn is limits.SLICE of work by whichever shells run in that pass; a shell that finds the turn used
up waits in a FIFO queue (round robin: each busy shell gets its share) and the loop goes on to its I/O. A pass
of the loop therefore spends at most about SLICE on shells, however many of them are busy, and a shell alone on
an idle loop still gets nearly all of the CPU (a turn every other pass).

Busy shells together also get at most DUTY of each WINDOW of wall time: past that, the next turn waits for the
next window and the loop sleeps meanwhile. A process that is always runnable is the one the OS preempts for
milliseconds at a time on a loaded machine (every request then waits for that too); one that sleeps half the
time gets the CPU back at once when a request arrives. Scripts that do not run for long never reach the cap.

The turn ends with the pass: claiming it schedules ``_end_turn`` with ``call_soon``, which runs in the next pass;
it also wakes the first waiting shell, whose task resumes in the next pass (and claims a fresh turn there).
"""

from __future__ import annotations

import asyncio
import time
import weakref
from collections import deque

from . import limits

WINDOW = 0.010  # seconds
DUTY = 0.5  # of each WINDOW, at most this share goes to shell turns


class Scheduler:
    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._waiting: deque[asyncio.Future[None]] = deque()
        self._turn_started: float | None = None  # None: no shell has worked in this pass of the loop yet
        self._end: asyncio.Handle | None = None  # the scheduled end of the current turn
        self._resting = False  # the window's share is spent: no turns until the next window
        self._window_started = 0.0
        self._window_work = 0.0  # seconds of shell turns in the current WINDOW

    def _claim(self) -> None:
        self._turn_started = time.monotonic()
        if self._end is None:
            self._end = self._loop.call_soon(self._end_turn)

    def _end_turn(self) -> None:
        self._end = None
        self._turn_started = None
        self._resting = False
        while self._waiting:
            waiter = self._waiting.popleft()
            if not waiter.done():  # a cancelled waiter (its container was killed) gives its place up
                waiter.set_result(None)  # its task resumes in the next pass, before the next _end_turn
                break
        if self._waiting:
            # One waiter woken per pass, even when the woken one was cancelled before it could claim its turn.
            self._end = self._loop.call_soon(self._end_turn)

    def _used_up(self, now: float) -> None:
        """The current turn is used up: count it against the window, rest once the window's share is spent."""
        if self._resting or self._turn_started is None:
            return
        if now - self._window_started >= WINDOW:
            self._window_started, self._window_work = now, 0.0
        self._window_work += now - self._turn_started
        if self._window_work < DUTY * WINDOW:
            return
        # The turn ends (and the next waiter wakes) when the next window begins; the loop sleeps till then.
        self._resting = True
        if self._end is not None:
            self._end.cancel()
        self._end = self._loop.call_later(self._window_started + WINDOW - now, self._end_turn)

    async def checkpoint(self) -> None:
        """Go on at once while this pass's turn lasts; else wait for a turn of one's own."""
        if self._turn_started is None and not self._resting:
            self._claim()
            return
        now = time.monotonic()
        if not self._resting and now - self._turn_started < limits.SLICE:  # type: ignore[operator]
            return
        self._used_up(now)
        waiter = self._loop.create_future()
        self._waiting.append(waiter)
        await waiter  # _end_turn is scheduled (a turn was claimed): it wakes the waiters one after the other
        self._claim()


_SCHEDULERS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Scheduler] = weakref.WeakKeyDictionary()


def scheduler() -> Scheduler:
    """The scheduler of the running event loop (tests run shells on loops of their own)."""
    loop = asyncio.get_running_loop()
    found = _SCHEDULERS.get(loop)
    if found is None:
        found = _SCHEDULERS[loop] = Scheduler(loop)
    return found
