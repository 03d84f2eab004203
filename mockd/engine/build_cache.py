"""The classic builder's cache: a step whose parent and instruction (and, for COPY/ADD, content) were built
before is not run again; dockerd says " ---> Using cache" and goes on from the image that step committed.

dockerd keeps those images as the intermediate images of a build (`docker images -a`); mockd keeps each
step's result (config, files, layers, history) under a key that chains the step to its parent, and records on
each built image the keys of its steps (`Image.build_steps`). A step's result lives while some image was built
through it; a failed build's steps stay, as its intermediate images do in dockerd.

`cachefrom` (docker build --cache-from) limits the cache to the steps of the images named (those that exist):
with `cachefrom=["nosuch"]` nothing is taken from the cache (measured on dockerd 20.10)."""

from __future__ import annotations

import copy
from dataclasses import dataclass

from .filesystem import FileTree, Layer
from .images import Image, ImageStore


@dataclass
class Snapshot:
    config: dict
    tree: FileTree
    layers: list[Layer]
    history: list[dict]


class StepCache:
    """One build's view of the store's cache."""

    def __init__(self, images: ImageStore, nocache: bool = False, cache_from: list[str] | None = None) -> None:
        self.store = images.build_cache
        self.enabled = not nocache
        self.allowed: set[str] | None = None  # None: every cached step; else the steps of the cache_from images
        self.sources: list[Image] | None = None
        if cache_from:
            self.sources = [img for img in (images.find(ref) for ref in cache_from) if img is not None]
            self.allowed = {key for img in self.sources for key in img.build_steps}

    def get(self, key: str) -> Snapshot | None:
        if not self.enabled or (self.allowed is not None and key not in self.allowed):
            return None
        hit = self.store.get(key)
        return None if hit is None else Snapshot(copy.deepcopy(hit.config), hit.tree.copy(), list(hit.layers),
                                                 copy.deepcopy(hit.history))

    def put(self, key: str, config: dict, tree: FileTree, layers: list[Layer], history: list[dict]) -> None:
        self.store[key] = Snapshot(copy.deepcopy(config), tree.copy(), list(layers), copy.deepcopy(history))

    def image(self, images: ImageStore, steps: tuple[str, ...]) -> Image | None:
        """The image an earlier build committed from the same steps, when every step came from the cache."""
        if not self.enabled or not steps:
            return None
        candidates = images.images.values() if self.sources is None else self.sources
        return next((img for img in candidates if img.build_steps == steps), None)
