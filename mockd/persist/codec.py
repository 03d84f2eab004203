"""What of an engine object is kept: its data, never its live parts (processes, streams, waiters, sockets).

Objects are pickled: they are the engine's own dataclasses, and the state directory is the daemon's private
store (like dockerd's /var/lib/docker, readable by its owner only), so no foreign input is unpickled."""

from __future__ import annotations

import copy
import pickle
from typing import Any

from mockd.engine import filesystem
from mockd.engine.containers import Container
from mockd.engine.filesystem import FileTree
from mockd.engine.images import Image
from mockd.engine.netns import NetNamespace
from mockd.engine.pipe import Pipe
from mockd.engine.state import DaemonState

KINDS = ("container", "image", "tags", "volume", "network")


def _container_data(c: Container) -> Container:
    out = copy.copy(c)
    out.subscribers = set()
    out.stdin = None  # type: ignore[assignment]  # made fresh on load
    out.process = None
    out.exit_waiters = []
    out.removed_waiters = []
    out.net = None  # type: ignore[assignment]
    out.published = None
    out.image = out.image.id  # type: ignore[assignment]  # re-linked to the stored image on load
    # A volume's files are the volume's record, shared by every container mounting it: re-linked on load.
    out.mounts = [copy.copy(m) for m in c.mounts]
    for m in out.mounts:
        if m.type == "volume":
            m.tree = None  # type: ignore[assignment]
    return out


def _image_data(image: Image) -> Image:
    out = copy.copy(image)
    out._rootfs = None  # caches, rebuilt from the layers
    out._layer_tars = None
    return out


def current(state: DaemonState, kind: str, key: str) -> Any | None:
    """The object under (kind, key) now, ready to pickle; None when it is gone."""
    if kind == "container":
        c = state.containers.get(key)
        return None if c is None else _container_data(c)
    if kind == "image":
        image = state.images.images.get(key)
        return None if image is None else _image_data(image)
    if kind == "tags":
        return dict(state.images.tags)
    if kind == "volume":
        return state.volumes.volumes.get(key)
    if kind == "network":
        return state.networks.networks.get(key)
    raise ValueError(kind)


def encode(kind: str, key: str, obj: Any | None) -> bytes:
    return pickle.dumps((kind, key, obj), protocol=pickle.HIGHEST_PROTOCOL)


def decode(payload: bytes) -> tuple[str, str, Any | None]:
    kind, key, obj = pickle.loads(payload)
    if kind not in KINDS:
        raise ValueError(f"unknown record kind {kind!r}")
    return kind, key, obj


def everything(state: DaemonState) -> dict[str, dict[str, Any]]:
    """The whole state as the snapshot holds it: kind -> key -> object."""
    return {
        "container": {k: _container_data(c) for k, c in state.containers.items()},
        "image": {k: _image_data(i) for k, i in state.images.images.items()},
        "tags": {"": dict(state.images.tags)},
        "volume": dict(state.volumes.volumes),
        "network": dict(state.networks.networks),
    }


def install(state: DaemonState, objects: dict[str, dict[str, Any]]) -> None:
    """Replace the stores' contents with the loaded objects (containers re-linked to their images)."""
    state.images.images = dict(objects["image"])
    state.images.tags = dict(objects["tags"].get("", {}))
    state.volumes.volumes = dict(objects["volume"])
    state.networks.networks = dict(objects["network"])
    state.containers = {}
    for key, c in objects["container"].items():
        image = state.images.images.get(c.image) or next(iter(state.images.images.values()), None)
        if image is None:
            continue  # its image is gone with no stand-in: dockerd drops such a container at restore too
        c.image = image
        for m in c.mounts:
            if m.type == "volume":
                volume = state.volumes.volumes.get(m.name)
                m.tree = volume.tree if volume is not None else FileTree()
            elif m.type == "bind":  # one simulated host directory for every container binding it, as before
                m.tree = state.binds.setdefault(filesystem.norm(m.source), m.tree)
        c.stdin = Pipe(closed=True)
        c.net = NetNamespace()
        state.containers[key] = c
