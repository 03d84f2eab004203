"""An engine bound to its data root: loaded (or created) at start, every change journaled, restored as dockerd
restores (moby daemon/daemon.go, restore): a container that was running is stopped — with the exit code its
stop gave after a clean shutdown, 255 after a crash — and then started again if its restart policy says so
(always; unless-stopped unless it was stopped by hand; on-failure after a non-zero exit, within its retries).

`POST /_mockd/reset` returns the daemon to its seed and the data root with it (a new snapshot of the seeded
state): what reset empties does not come back on the next start. The seed is applied only to a new data root;
a data root that holds a state starts from that state."""

from __future__ import annotations

import asyncio
import gc
import logging

from mockd.engine import Engine
from mockd.engine.events import Event
from mockd.engine.ids import now_ns

from . import codec
from .store import DataRoot

log = logging.getLogger("mockd.persist")

# dockerd's shutdown stops containers with their own stop timeout (default 10 s), all at once.
DEFAULT_STOP_TIMEOUT = 10


class PersistedEngine:
    def __init__(self, engine: Engine, root: str) -> None:
        self.engine = engine
        self.store = DataRoot(root)
        self._replace = False
        if self.store.check():
            # Loading makes millions of objects, none of them garbage: the cyclic collector would walk the
            # daemon's whole heap (the loaded specs) again and again for nothing (5,000 containers: 2.7 s -> 1.5).
            enabled = gc.isenabled()
            gc.disable()
            try:
                self._restore(self.store.load())
            finally:
                if enabled:
                    gc.enable()
        else:
            self.store.create(engine.state)
        self.store.started(engine.state)
        self._attach()
        engine.reset_hooks.append(self._after_reset)

    def _attach(self) -> None:
        self.engine.state.events.listeners.append(self._observe)

    def _observe(self, event: Event) -> None:
        self.store.observe(self.engine.state, event)

    def _after_reset(self) -> None:
        self._replace = True
        self._attach()

    def _restore(self, objects: dict) -> None:
        state = self.engine.state
        codec.install(state, objects)
        state.events.clear()
        crashed = not self.store.was_clean
        for c in state.containers.values():
            if c.status in ("running", "paused", "restarting"):
                # After a clean stop none should be running (the shutdown stopped them); after a crash dockerd
                # finds their tasks gone and records 255.
                c.status = "exited"
                c.exit_code = 255
                c.finished_ns = now_ns()
                c.pid = 0
            if c.status == "exited" and self._should_restart(c, crashed):
                state.seed_starts.append((c.id, "running"))

    @staticmethod
    def _should_restart(c, crashed: bool) -> bool:
        policy = c.host_config.get("RestartPolicy") or {}
        name = policy.get("Name") or "no"
        retry = int(policy.get("MaximumRetryCount") or 0)
        if name == "always":
            return True
        if name == "unless-stopped":
            return not c.manual_stop
        if name == "on-failure":
            return c.exit_code != 0 and (retry == 0 or c.restart_count < retry)
        return False

    async def commit(self) -> None:
        """Every change so far on disk (the HTTP layer awaits this before it answers a write)."""
        if self._replace:
            self._replace = False
            await self.store.replace(self.engine.state)
        await self.store.commit(self.engine.state)

    async def close(self) -> None:
        """A clean stop: running containers stopped as dockerd's shutdown stops them, then the clean mark."""
        running = [c for c in self.engine.containers.values() if c.running]
        if running:
            await asyncio.gather(*(self.engine.stop_container(c.id, timeout=_stop_timeout(c)) for c in running),
                                 return_exceptions=True)
            for c in running:
                c.manual_stop = False  # the daemon stopped it, not its user: unless-stopped restarts it
                self.store.dirty.add(("container", c.id))
        await self.commit()
        await self.store.close(self.engine.state)


def _stop_timeout(c) -> int:
    value = c.config.get("StopTimeout")
    return DEFAULT_STOP_TIMEOUT if value is None else int(value)
