"""The daemon's state between two resets: the stores, the seed's rules, the swarm membership. The engine makes
a fresh `DaemonState` on every reset, so a new piece of state is reset by being declared here."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .containers import Container, legacy_links
from .errors import InvalidParameter, no_such_container
from .events import EventBus
from .execs import ExecInstance
from .filesystem import FileTree
from .images import Image, ImageStore
from .networks import NetworkStore
from .process import Rule
from .registry import MockRegistry
from .volumes import VolumeStore


@dataclass
class Swarm:
    """Whether this node is in a swarm: manager endpoints answer 503 while it is not."""

    active: bool = False
    node_id: str = ""


def _networks() -> NetworkStore:
    store = NetworkStore()
    store.reset_defaults()  # the predefined bridge, host and none
    return store


@dataclass
class DaemonState:
    events: EventBus = field(default_factory=EventBus)
    images: ImageStore = field(default_factory=ImageStore)
    registry: MockRegistry = field(default_factory=MockRegistry)
    containers: dict[str, Container] = field(default_factory=dict)
    execs: dict[str, ExecInstance] = field(default_factory=dict)
    volumes: VolumeStore = field(default_factory=VolumeStore)
    networks: NetworkStore = field(default_factory=_networks)
    binds: dict[str, FileTree] = field(default_factory=dict)  # simulated host directories behind bind mounts
    rules: list[Rule] = field(default_factory=list)
    swarm: Swarm = field(default_factory=Swarm)
    seed_starts: list[tuple[str, str]] = field(default_factory=list)  # (container id, state) still to start

    def end(self) -> None:
        """Before the state is dropped: processes cancelled, streams ended, waiters answered -1."""
        for container in self.containers.values():
            if container.process is not None and container.process.task is not None:
                container.process.task.cancel()
            container.end_streams()
            for fut in container.exit_waiters + container.removed_waiters:
                if not fut.done():
                    fut.set_result(-1)
        for ex in self.execs.values():
            if ex.process is not None and ex.process.task is not None:
                ex.process.task.cancel()
            ex.end_streams()

    # -- lookups every area needs --
    def find_container_by_name(self, name: str) -> Container | None:
        for c in self.containers.values():
            if c.name == name:
                return c
        return None

    def find_container(self, ref: str) -> Container | None:
        if not ref:
            return None
        if ref in self.containers:
            return self.containers[ref]
        if "/" in ref.strip("/"):
            return self.find_linked(ref)
        c = self.find_container_by_name(ref.lstrip("/"))
        if c is not None:
            return c
        hits = [c for c in self.containers.values() if c.id.startswith(ref)]
        if len(hits) > 1:
            raise InvalidParameter(f"Multiple IDs found with provided prefix: {ref}")
        return hits[0] if hits else None

    def find_linked(self, link_name: str) -> Container | None:
        """The container a legacy link name ("parent/alias") names: dockerd registers it as a name of the linked
        container, so every lookup by name finds it."""
        parent_name, _, alias = link_name.strip("/").rpartition("/")
        parent = self.find_container_by_name(parent_name)
        if parent is None:
            return None
        target = next((t for t, a in legacy_links(parent) if a == alias), None)
        return self.find_container_by_name(target) if target is not None else None

    def link_names(self) -> dict[str, list[str]]:
        """Container id -> the "/parent/alias" names its legacy links give it (the container list's Names)."""
        out: dict[str, list[str]] = {}
        for parent in self.containers.values():
            for target, alias in legacy_links(parent):
                linked = self.find_container_by_name(target)
                if linked is not None:
                    out.setdefault(linked.id, []).append(f"/{parent.name.lstrip('/')}/{alias}")
        return out

    def container(self, ref: str) -> Container:
        c = self.find_container(ref)
        if c is None:
            raise no_such_container(ref)
        return c

    def container_event(self, c: Container, action: str, **extra: Any) -> None:
        attrs = {"image": c.image_ref, "name": c.name}
        attrs.update({k: str(v) for k, v in (c.config.get("Labels") or {}).items()})
        attrs.update({k: str(v) for k, v in extra.items()})
        self.events.emit("container", action, c.id, attrs)

    def volume_users(self, name: str) -> list[str]:
        return [c.id for c in self.containers.values() if any(m.type == "volume" and m.name == name
                                                             for m in c.mounts)]

    def image_users(self, image: Image) -> list[tuple[str, bool]]:
        return [(c.id, c.running) for c in self.containers.values() if c.image.id == image.id]

    def image_container_counts(self) -> dict[str, int]:
        """Image id -> how many containers use it."""
        counts: dict[str, int] = {}
        for c in self.containers.values():
            counts[c.image.id] = counts.get(c.image.id, 0) + 1
        return counts
