"""The engine's state on disk under ``--data-root``: a snapshot plus a journal of changes since it.

Layout of the directory:
- ``mockd-state.json``: ``{"format": "mockd-state", "version": N}``; a directory without it that is not
  empty is foreign and refused, a version above `FORMAT_VERSION` is refused with both versions.
- ``snapshot-G.bin``: the whole state at generation G (pickled; see codec.py), written to a temporary file,
  fsync'ed and renamed, so a crash leaves the old or the new one, never half of one.
- ``journal-G.bin``: the changes since snapshot G, one record per object as it now is (or its deletion).
- ``clean-shutdown``: present only after a clean stop; without it the last run crashed.

Durability (group commit): an engine event marks the object it concerns dirty; `commit()` encodes the dirty
objects on the event loop (a consistent view), appends them and fsyncs in one worker thread, and returns once
its records are on disk. Requests that commit while a flush runs join the next batch: one fsync serves them
all, and the event loop never blocks on the disk. After `SNAPSHOT_BYTES` of journal a new snapshot is written
and the journal starts again, so recovery replays a bounded journal."""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import os
import pickle
from typing import Any

from mockd.engine.events import Event
from mockd.engine.ids import now_ns
from mockd.engine.state import DaemonState

from . import codec
from .journal import CorruptState, Journal, read_records

FORMAT = "mockd-state"
FORMAT_VERSION = 1
META = "mockd-state.json"
CLEAN = "clean-shutdown"
SNAPSHOT_BYTES = 64 * 1024 * 1024
AUTO_COMMIT_DELAY = 0.05  # changes made outside a request (a container exiting) are written this soon after


def _fsync_dir(path: str) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_atomic(root: str, name: str, data: bytes) -> None:
    tmp = os.path.join(root, name + ".tmp")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, os.path.join(root, name))
    _fsync_dir(root)


class DataRoot:
    def __init__(self, root: str) -> None:
        self.root = root
        self.generation = 0
        self.journal: Journal | None = None
        self.dirty: set[tuple[str, str]] = set()
        self.known_images: set[str] = set()
        self.was_clean = True
        self._pending: list[bytes] = []
        self._enqueued = 0
        self._durable = 0
        self._flush_task: asyncio.Task | None = None
        self._auto: asyncio.TimerHandle | None = None
        self._executor = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="mockd-fsync")

    # -- opening --
    def check(self) -> bool:
        """Whether the directory holds a state (False: new or empty). CorruptState when it is not mockd's."""
        os.makedirs(self.root, exist_ok=True)
        meta_path = os.path.join(self.root, META)
        if not os.path.exists(meta_path):
            if os.listdir(self.root):
                raise CorruptState(f"{self.root} is not empty and has no {META}: not a mockd data root")
            return False
        try:
            with open(meta_path) as f:
                meta = json.load(f)
        except (OSError, ValueError) as exc:
            raise CorruptState(f"{meta_path}: unreadable ({exc})") from None
        if not isinstance(meta, dict) or meta.get("format") != FORMAT or not isinstance(meta.get("version"), int):
            raise CorruptState(f"{meta_path}: not a mockd state description")
        if meta["version"] > FORMAT_VERSION:
            raise CorruptState(f"{self.root}: state format version {meta['version']} is newer than this mockd "
                               f"knows ({FORMAT_VERSION})")
        return True

    def load(self) -> dict[str, dict[str, Any]]:
        """The stored objects: the last snapshot with its journal replayed over it."""
        snapshots = sorted((int(n[9:-4]), n) for n in os.listdir(self.root)
                           if n.startswith("snapshot-") and n.endswith(".bin") and n[9:-4].isdigit())
        if not snapshots:
            raise CorruptState(f"{self.root}: {META} but no snapshot")
        self.generation, name = snapshots[-1]
        try:
            with open(os.path.join(self.root, name), "rb") as f:
                objects = pickle.load(f)
            if set(objects) != set(codec.KINDS):
                raise ValueError("unexpected contents")
        except Exception as exc:  # noqa: BLE001 - any failure to read it means the same: refuse to start
            raise CorruptState(f"{self.root}/{name}: unreadable snapshot ({type(exc).__name__}: {exc})") from None
        path = self._journal_path(self.generation)
        records, end = read_records(path)
        for i, payload in enumerate(records):
            try:
                kind, key, obj = codec.decode(payload)
            except Exception as exc:  # noqa: BLE001
                raise CorruptState(f"{path}: record {i} unreadable ({type(exc).__name__}: {exc})") from None
            if obj is None:
                objects[kind].pop(key, None)
            else:
                objects[kind][key] = obj
        self.was_clean = os.path.exists(os.path.join(self.root, CLEAN))
        self.journal = Journal(path, end)
        return objects

    def create(self, state: DaemonState) -> None:
        """A new data root holding `state` (the seed, or nothing)."""
        _write_atomic(self.root, META, json.dumps({"format": FORMAT, "version": FORMAT_VERSION}).encode())
        self._write_snapshot_sync(1, pickle.dumps(codec.everything(state), protocol=pickle.HIGHEST_PROTOCOL))

    def started(self, state: DaemonState) -> None:
        """The daemon runs on this state now: until a clean stop, a restart is after a crash."""
        self.known_images = set(state.images.images)
        try:
            os.unlink(os.path.join(self.root, CLEAN))
            _fsync_dir(self.root)
        except FileNotFoundError:
            pass

    # -- changes --
    def observe(self, state: DaemonState, event: Event) -> None:
        """An engine event: the objects it changed are dirty."""
        if event.type == "container":
            self.dirty.add(("container", event.actor_id))
            c = state.containers.get(event.actor_id)
            if c is not None:  # `docker cp` into a mounted volume changes it with a container event only
                self.dirty.update(("volume", m.name) for m in c.mounts if m.type == "volume")
        elif event.type == "image":
            now = set(state.images.images)
            for image_id in now ^ self.known_images:
                self.dirty.add(("image", image_id))
            if event.actor_id in now:
                self.dirty.add(("image", event.actor_id))
            self.known_images = now
            self.dirty.add(("tags", ""))
        elif event.type == "volume":
            self.dirty.add(("volume", event.actor_id))
        elif event.type == "network":
            self.dirty.add(("network", event.actor_id))
            if "container" in event.attributes:
                self.dirty.add(("container", event.attributes["container"]))
        else:
            return
        self._schedule_auto(state)

    def _schedule_auto(self, state: DaemonState) -> None:
        if self._auto is not None:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        self._auto = loop.call_later(AUTO_COMMIT_DELAY, self._auto_commit, state)

    def _auto_commit(self, state: DaemonState) -> None:
        self._auto = None
        asyncio.ensure_future(self.commit(state))

    def _encode_dirty(self, state: DaemonState) -> None:
        dirty, self.dirty = self.dirty, set()
        for kind, key in sorted(dirty):
            self._pending.append(codec.encode(kind, key, codec.current(state, kind, key)))
            self._enqueued += 1

    async def commit(self, state: DaemonState) -> None:
        """Return once every change made so far is on disk."""
        self._encode_dirty(state)
        target = self._enqueued
        while self._durable < target:
            if self._flush_task is None:
                self._flush_task = asyncio.ensure_future(self._flush(state))
            await asyncio.shield(self._flush_task)

    async def _flush(self, state: DaemonState) -> None:
        loop = asyncio.get_running_loop()
        try:
            while self._pending:
                batch, self._pending = self._pending, []
                assert self.journal is not None
                await loop.run_in_executor(self._executor, self.journal.append, batch)
                self._durable += len(batch)
                if self.journal.size > SNAPSHOT_BYTES:
                    await self._snapshot(state)
        finally:
            self._flush_task = None

    async def _snapshot(self, state: DaemonState) -> None:
        # Encoded here, on the loop, so it is one consistent view; the records enqueued after it are newer and
        # go to the new generation's journal.
        self._encode_dirty(state)
        self._pending.clear()  # the snapshot holds what they held
        mark = self._enqueued
        blob = pickle.dumps(codec.everything(state), protocol=pickle.HIGHEST_PROTOCOL)
        await asyncio.get_running_loop().run_in_executor(self._executor, self._next_generation, blob)
        self._durable = max(self._durable, mark)  # only now: a commit arriving meanwhile waits for it

    def _next_generation(self, blob: bytes) -> None:
        self._write_snapshot_sync(self.generation + 1, blob)

    def _write_snapshot_sync(self, generation: int, blob: bytes) -> None:
        _write_atomic(self.root, f"snapshot-{generation}.bin", blob)
        old = self.generation
        if self.journal is not None:
            self.journal.close()
        self.generation = generation
        self.journal = Journal(self._journal_path(generation), 0)
        _fsync_dir(self.root)
        # The new snapshot is durable: the older generation's files are no longer needed.
        for name in (f"snapshot-{old}.bin", f"journal-{old}.bin"):
            if old and old != generation:
                try:
                    os.unlink(os.path.join(self.root, name))
                except FileNotFoundError:
                    pass

    async def replace(self, state: DaemonState) -> None:
        """After a reset: the persisted state becomes the new (seeded) state as a whole."""
        self.dirty.clear()
        while self._flush_task is not None:
            await asyncio.shield(self._flush_task)
        self._pending.clear()
        mark = self._enqueued
        self.known_images = set(state.images.images)
        blob = pickle.dumps(codec.everything(state), protocol=pickle.HIGHEST_PROTOCOL)
        await asyncio.get_running_loop().run_in_executor(self._executor, self._next_generation, blob)
        self._durable = max(self._durable, mark)

    async def close(self, state: DaemonState) -> None:
        """A clean stop: everything written, then the mark that says so."""
        if self._auto is not None:
            self._auto.cancel()
            self._auto = None
        await self.commit(state)
        if self.journal is not None and self.journal.size:
            await self._snapshot(state)  # the next start reads one snapshot instead of replaying this journal
        await asyncio.get_running_loop().run_in_executor(
            self._executor, _write_atomic, self.root, CLEAN, str(now_ns()).encode())
        if self.journal is not None:
            self.journal.close()
            self.journal = None
        self._executor.shutdown(wait=True)

    def _journal_path(self, generation: int) -> str:
        return os.path.join(self.root, f"journal-{generation}.bin")
