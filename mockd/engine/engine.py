"""The Engine: one in-memory Docker daemon, a facade over its areas. Knows nothing of HTTP: handlers call these
methods and render what they return or raise.

The areas, each a module: containers (`container_ops`), their lifecycle and restart policy (`lifecycle`), exec
(`exec_ops`), mounts, volumes and `docker cp` (`mounts`), networks (`network_ops`), images (`image_ops`, with
`build`), the daemon as a whole (`system`). They share one `DaemonState` (the stores) and one `Runtime` (pids,
background tasks, the one `launch` of a process). `reset()` makes a fresh state and fresh areas; the seed
document, if any, is applied by `seed.apply_seed`, the one place seeding happens.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

from . import seed as seeding
from .container_ops import ContainerOps
from .containers import Container, LogEntry
from .events import EventBus
from .exec_ops import ExecOps
from .execs import ExecInstance
from .filesystem import FileTree
from .image_ops import ImageOps
from .images import Image, ImageStore
from .lifecycle import Lifecycle
from .mounts import Mounts
from .network_ops import NetworkOps
from .networks import Network, NetworkStore
from .peers import ContainerLink
from .process import Rule
from .publish import Publisher
from .registry import MockRegistry
from .runtime import Runtime
from .state import DaemonState, Swarm
from .system import SystemOps
from .volumes import Volume, VolumeStore


class Engine:
    def __init__(self, seed: dict | None = None, publish_ports: str = "loopback", *,
                 registry_strict: bool = False) -> None:
        """`seed`: a parsed seed document (`seed.parse_seed`) the engine starts from and returns to on reset.
        `publish_ports`: where published ports listen, `loopback`, `all` or `off` (`publish.py`).
        `registry_strict`: the registry has only the catalog, the seed's and pushed images (`--registry strict`)."""
        self.seed_data = seed
        self.publisher = Publisher(publish_ports)
        self.registry_strict = registry_strict
        self.runtime = Runtime()
        self.state = DaemonState()
        self.reset_hooks: list[Callable[[], None]] = []  # called after each reset, on the fresh state
        self.reset()

    # -- the whole daemon --
    def reset(self) -> None:
        """Back to the seeded state: processes killed, a fresh state, the seed applied again."""
        self.runtime.generation += 1
        self.state.end()
        self.runtime.cancel_tasks()
        self.runtime.unsimulated.clear()  # findings are cleared with a reset: report the programs again
        self.publisher.close_all()
        self.state = DaemonState(registry=MockRegistry(strict=self.registry_strict))
        network_ops = NetworkOps(self.state)
        self.mounts = Mounts(self.state)
        self.network_ops = network_ops
        self.lifecycle = Lifecycle(self.state, self.runtime, network_ops, self.publisher)
        self.lifecycle.link = lambda c: ContainerLink(self, c)
        self.container_ops = ContainerOps(self.state, self.mounts, network_ops, self.lifecycle)
        self.exec_ops = ExecOps(self.state, self.runtime)
        self.image_ops = ImageOps(self.state)
        self.system = SystemOps(self.state)
        if self.seed_data is not None:
            seeding.apply_seed(self, self.seed_data)
            self.state.events.clear()
        for hook in self.reset_hooks:
            hook()

    def load_seed(self, seed: dict) -> None:
        """Replace the seed and return to it. The swarm membership stays: a seed describes no swarm."""
        swarm = self.state.swarm
        self.seed_data = seed
        self.reset()
        self.state.swarm = swarm

    def start_seeded(self) -> None:
        """Start seeded running containers if a loop runs now (else on the next call, from a handler)."""
        if self.state.seed_starts:
            seeding.start_seeded(self)

    def ensure_ready(self) -> Engine:
        self.start_seeded()
        return self

    # -- the stores, as handlers and tests read them --
    @property
    def generation(self) -> int:
        return self.runtime.generation

    @property
    def events(self) -> EventBus:
        return self.state.events

    def change_mark(self) -> tuple[int, int]:
        """Changes whenever the daemon's state may have: a reset, or any state-change event."""
        return self.runtime.generation, self.state.events.emitted

    @property
    def images(self) -> ImageStore:
        return self.state.images

    @property
    def registry(self) -> MockRegistry:
        return self.state.registry

    @property
    def containers(self) -> dict[str, Container]:
        return self.state.containers

    @property
    def execs(self) -> dict[str, ExecInstance]:
        return self.state.execs

    @property
    def volumes(self) -> VolumeStore:
        return self.state.volumes

    @property
    def networks(self) -> NetworkStore:
        return self.state.networks

    @property
    def binds(self) -> dict[str, FileTree]:
        return self.state.binds

    @property
    def rules(self) -> list[Rule]:
        return self.state.rules

    @rules.setter
    def rules(self, rules: list[Rule]) -> None:
        self.state.rules = rules

    @property
    def swarm(self) -> Swarm:
        return self.state.swarm

    # -- lookups --
    def find_container(self, ref: str) -> Container | None:
        return self.state.find_container(ref)

    def find_container_by_name(self, name: str) -> Container | None:
        return self.state.find_container_by_name(name)

    def container(self, ref: str) -> Container:
        return self.state.container(ref)

    def volume_users(self, name: str) -> list[str]:
        return self.state.volume_users(name)

    def image_users(self, image: Image) -> list[tuple[str, bool]]:
        return self.state.image_users(image)

    # -- containers (container_ops.ContainerOps) --
    def create_container(self, body: dict, name: str = "", platform: str = "") -> tuple[Container, list[str]]:
        return self.container_ops.create_container(body, name, platform)

    def list_containers(self, all_: bool = False, limit: int = -1, filters: dict | None = None,
                        latest: bool = False) -> list[Container]:
        return self.container_ops.list_containers(all_, limit, filters, latest)

    def link_names(self) -> dict[str, list[str]]:
        """Container id -> the "/parent/alias" names legacy links give it (the list's Names)."""
        return self.state.link_names()

    def rename_container(self, ref: str, new_name: str) -> None:
        return self.container_ops.rename_container(ref, new_name)

    def update_container(self, ref: str, changes: dict) -> list[str]:
        return self.container_ops.update_container(ref, changes)

    def resize_container(self, ref: str, h: int, w: int) -> None:
        return self.container_ops.resize_container(ref, h, w)

    def top(self, ref: str, ps_args: str = "-ef") -> dict:
        return self.container_ops.top(ref, ps_args)

    def stats(self, ref: str, previous: dict | None = None) -> dict:
        return self.container_ops.stats(ref, previous)

    def changes(self, ref: str) -> list[dict]:
        return self.container_ops.changes(ref)

    def export(self, ref: str) -> bytes:
        return self.container_ops.export(ref)

    def log_entries(self, ref: str, stdout: bool = True, stderr: bool = True, since: str | None = None,
                    until: str | None = None, tail: str | None = "all") -> list[LogEntry]:
        return self.container_ops.log_entries(ref, stdout, stderr, since, until, tail)

    def attach(self, ref: str) -> Container:
        return self.container_ops.attach(ref)

    def detached(self, c: Container) -> None:
        return self.container_ops.detached(c)

    async def prune_containers(self, filters: dict | None = None) -> dict:
        return await self.container_ops.prune_containers(filters)

    # -- lifecycle (lifecycle.Lifecycle) --
    def start_container(self, ref: str) -> Container:
        return self.lifecycle.start_container(ref)

    async def stop_container(self, ref: str, timeout: int | None = None, signal: str | None = None) -> Container:
        return await self.lifecycle.stop_container(ref, timeout, signal)

    async def kill_container(self, ref: str, signal: str | None = None) -> Container:
        return await self.lifecycle.kill_container(ref, signal)

    async def restart_container(self, ref: str, timeout: int | None = None, signal: str | None = None) -> Container:
        return await self.lifecycle.restart_container(ref, timeout, signal)

    def pause_container(self, ref: str) -> Container:
        return self.lifecycle.pause_container(ref)

    def unpause_container(self, ref: str) -> Container:
        return self.lifecycle.unpause_container(ref)

    def wait_future(self, ref: str, condition: str = "not-running") -> asyncio.Future:
        return self.lifecycle.wait_future(ref, condition)

    async def remove_container(self, ref: str, force: bool = False, volumes: bool = False,
                               link: bool = False) -> None:
        return await self.lifecycle.remove_container(ref, force, volumes, link)

    # -- exec (exec_ops.ExecOps) --
    def create_exec(self, ref: str, config: dict) -> ExecInstance:
        return self.exec_ops.create_exec(ref, config)

    def get_exec(self, exec_id: str) -> ExecInstance:
        return self.exec_ops.get_exec(exec_id)

    def start_exec(self, exec_id: str) -> ExecInstance:
        return self.exec_ops.start_exec(exec_id)

    def resize_exec(self, exec_id: str, h: int, w: int) -> None:
        return self.exec_ops.resize_exec(exec_id, h, w)

    def exec_detached(self, exec_id: str) -> None:
        return self.exec_ops.exec_detached(exec_id)

    # -- mounts, volumes and archive (mounts.Mounts) --
    def archive_stat(self, ref: str, path: str) -> dict:
        return self.mounts.archive_stat(ref, path)

    def archive_get(self, ref: str, path: str) -> tuple[dict, bytes]:
        return self.mounts.archive_get(ref, path)

    def archive_put(self, ref: str, path: str, data: bytes, no_overwrite_dir_non_dir: bool = False) -> None:
        return self.mounts.archive_put(ref, path, data, no_overwrite_dir_non_dir)

    def create_volume(self, name: str = "", driver: str = "local", labels: dict | None = None,
                      options: dict | None = None) -> Volume:
        return self.mounts.create_volume(name, driver, labels, options)

    def list_volumes(self, filters: dict | None = None) -> list[Volume]:
        return self.mounts.list_volumes(filters)

    def remove_volume(self, name: str, force: bool = False) -> None:
        return self.mounts.remove_volume(name, force)

    def prune_volumes(self, filters: dict | None = None, only_anonymous: bool = True) -> dict:
        return self.mounts.prune_volumes(filters, only_anonymous)

    # -- networks (network_ops.NetworkOps) --
    def create_network(self, body: dict, unique: bool = True) -> Network:
        return self.network_ops.create_network(body, unique)

    def network_containers(self, net: Network) -> dict:
        return self.network_ops.network_containers(net)

    def remove_network(self, ref: str) -> None:
        return self.network_ops.remove_network(ref)

    def connect_network(self, ref: str, container_ref: str, endpoint: dict | None = None) -> None:
        return self.network_ops.connect_network(ref, container_ref, endpoint)

    def disconnect_network(self, ref: str, container_ref: str, force: bool = False) -> None:
        return self.network_ops.disconnect_network(ref, container_ref, force)

    def prune_networks(self, filters: dict | None = None) -> dict:
        return self.network_ops.prune_networks(filters)

    # -- images (image_ops.ImageOps) --
    def pull(self, from_image: str, tag: str = "", platform: str = "") -> list[dict]:
        return self.image_ops.pull(from_image, tag, platform)

    def push(self, name: str, tag: str = "") -> list[dict]:
        return self.image_ops.push(name, tag)

    def list_images(self, filters: dict[str, list[str]], all_: bool = False, shared_size: bool = False) -> list[dict]:
        return self.image_ops.list_images(filters, all_, shared_size)

    def inspect_image(self, ref: str) -> Image:
        return self.image_ops.inspect_image(ref)

    def tag_image(self, source: str, repo: str, tag: str = "") -> None:
        return self.image_ops.tag_image(source, repo, tag)

    def remove_image(self, ref: str, force: bool = False, noprune: bool = False) -> list[dict]:
        return self.image_ops.remove_image(ref, force, noprune)

    def prune_images(self, filters: dict | None = None) -> dict:
        return self.image_ops.prune_images(filters)

    def prune_build_cache(self, filters: dict | None = None) -> dict:
        return self.image_ops.prune_build_cache(filters)

    def search(self, term: str, limit: int = 25, filters: dict | None = None, automated: bool = True) -> list[dict]:
        return self.image_ops.search(term, limit, filters, automated)

    def save(self, names: list[str]) -> bytes:
        return self.image_ops.save(names)

    def load(self, data: bytes, quiet: bool = False) -> list[dict]:
        return self.image_ops.load(data, quiet)

    def import_image(self, data: bytes, repo: str = "", tag: str = "", changes: list[str] | None = None,
                     message: str = "", platform: str = "") -> list[dict]:
        return self.image_ops.import_image(data, repo, tag, changes, message, platform)

    def commit(self, container_ref: str, repo: str = "", tag: str = "", comment: str = "",
               author: str = "", changes: list[str] | None = None, pause: bool = True,
               config: dict | None = None) -> Image:
        return self.image_ops.commit(container_ref, repo, tag, comment, author, changes, pause, config)

    def check_build_context(self, context: bytes, dockerfile_path: str) -> None:
        self.image_ops.check_build_context(context, dockerfile_path)

    def build(self, context: bytes, tags: list[str], **options) -> AsyncIterator[dict]:
        return self.image_ops.build(context, tags, **options)

    # -- system (system.SystemOps) --
    def join_swarm(self, node_id: str) -> None:
        return self.system.join_swarm(node_id)

    def leave_swarm(self) -> None:
        return self.system.leave_swarm()

    def info_counts(self) -> dict[str, int]:
        return self.system.info_counts()

    def daemon_facts(self) -> dict[str, Any]:
        return self.system.daemon_facts()

    def disk_usage(self) -> dict:
        return self.system.disk_usage()

    def dump(self) -> dict:
        return self.system.dump()
