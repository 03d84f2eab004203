"""Images: config, layers (filesystem diffs), history, tags, and the store that resolves references."""

from __future__ import annotations

import copy
import fnmatch
import json
from dataclasses import dataclass, field
from typing import Any

from . import references
from .errors import Conflict, InvalidParameter, NotFound
from .filesystem import FileTree, Layer, apply_layer, tar_layer
from .filters import label_matches
from .ids import digest, now_ns, parse_time, rfc3339, short

DEFAULT_ENV = ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]


def empty_config() -> dict:
    return {"Hostname": "", "Domainname": "", "User": "", "AttachStdin": False, "AttachStdout": False,
            "AttachStderr": False, "ExposedPorts": None, "Tty": False, "OpenStdin": False, "StdinOnce": False,
            "Env": list(DEFAULT_ENV), "Cmd": None, "Image": "", "Volumes": None, "WorkingDir": "",
            "Entrypoint": None, "OnBuild": None, "Labels": None}


def zero_config() -> dict:
    """The config of an image no container made (imported): Go's zero container.Config."""
    return {**empty_config(), "Env": None}


@dataclass
class Image:
    config: dict
    layers: list[Layer]
    history: list[dict]
    created_ns: int = field(default_factory=now_ns)
    parent: str = ""
    comment: str = ""
    author: str = ""
    container: str = ""
    container_config: dict | None = None
    architecture: str = "amd64"
    os: str = "linux"
    repo_tags: list[str] = field(default_factory=list)
    repo_digests: list[str] = field(default_factory=list)
    id: str = ""
    _rootfs: FileTree | None = field(default=None, repr=False)
    _diff_ids: list[str] | None = field(default=None, repr=False)
    _layer_tars: list[bytes] | None = field(default=None, repr=False)
    raw_config: bytes | None = field(default=None, repr=False)  # a loaded image keeps its exact config blob
    build_steps: tuple[str, ...] = ()  # the build cache's keys of the steps that built it (build_cache.py)

    def __post_init__(self) -> None:
        if not self.id:
            self.id = digest(self.config_json())

    # -- content --
    def rootfs(self) -> FileTree:
        if self._rootfs is None:
            tree = FileTree()
            for layer in self.layers:
                apply_layer(tree, layer)
            self._rootfs = tree
        return self._rootfs

    def layer_tars(self) -> list[bytes]:
        if self._layer_tars is None:
            self._layer_tars = [tar_layer(layer) for layer in self.layers]
        return self._layer_tars

    def diff_ids(self) -> list[str]:
        if self._diff_ids is None:
            self._diff_ids = [digest(t) for t in self.layer_tars()]
        return self._diff_ids

    @property
    def size(self) -> int:
        return sum(len(n.data) for layer in self.layers for n in layer.values() if n is not None)

    def config_json(self) -> bytes:
        """The image config blob (its digest is the image id), as `docker save` writes it."""
        if self.raw_config is not None:
            return self.raw_config
        doc = {
            "architecture": self.architecture,
            "config": self.config,
            "container": self.container,
            "container_config": self.container_config or empty_config(),
            "created": rfc3339(self.created_ns),
            "docker_version": "20.10.24",
            "history": self.history,
            "os": self.os,
            "rootfs": {"type": "layers", "diff_ids": self.diff_ids()},
        }
        if self.author:
            doc["author"] = self.author
        if self.comment:
            doc["comment"] = self.comment
        return json.dumps(doc, sort_keys=True, separators=(",", ":")).encode()

    # -- views --
    def inspect(self) -> dict:
        return {
            "Id": self.id,
            "RepoTags": list(self.repo_tags),
            "RepoDigests": list(self.repo_digests),
            "Parent": self.parent,
            "Comment": self.comment,
            "Created": rfc3339(self.created_ns) if self.created_ns else "",  # a config without a creation time
            "Container": self.container,
            "ContainerConfig": copy.deepcopy(self.container_config or zero_config()),
            "DockerVersion": "20.10.24",
            "Author": self.author,
            "Config": copy.deepcopy(self.config),
            "Architecture": self.architecture,
            "Variant": "",
            "Os": self.os,
            "Size": self.size,
            "VirtualSize": self.size,
            "GraphDriver": {"Name": "overlay2", "Data": {
                "MergedDir": f"/var/lib/docker/overlay2/{short(self.id)}/merged",
                "UpperDir": f"/var/lib/docker/overlay2/{short(self.id)}/diff",
                "WorkDir": f"/var/lib/docker/overlay2/{short(self.id)}/work"}},
            "RootFS": {"Type": "layers", "Layers": self.diff_ids()},
            "Metadata": {"LastTagTime": "0001-01-01T00:00:00Z"},
            "Descriptor": {"mediaType": "application/vnd.oci.image.index.v1+json", "digest": self.id,
                           "size": len(self.config_json())},
        }

    def summary(self, containers: int = -1) -> dict:
        return {
            "Id": self.id,
            "ParentId": self.parent,
            "RepoTags": list(self.repo_tags),
            "RepoDigests": list(self.repo_digests) or None,
            "Created": self.created_ns // 1_000_000_000,
            "Size": self.size,
            "SharedSize": -1,
            "VirtualSize": self.size,
            "Labels": dict(self.config.get("Labels") or {}) or None,
            "Containers": containers,
            "Descriptor": {"mediaType": "application/vnd.oci.image.index.v1+json", "digest": self.id,
                           "size": len(self.config_json())},
        }

    def history_view(self) -> list[dict]:
        """`GET /images/{name}/history`: newest first; only the top entry carries the id and tags."""
        layer_iter = iter(self.layers)
        entries = []
        for h in self.history:
            layer = None if h.get("empty_layer") else next(layer_iter, None)
            size = sum(len(n.data) for n in layer.values() if n is not None) if layer else 0
            entries.append({"Id": "<missing>", "Created": _created_seconds(h.get("created"), self.created_ns),
                            "CreatedBy": h.get("created_by", ""), "Tags": None, "Size": size,
                            "Comment": h.get("comment", "")})
        entries.reverse()
        if entries:
            entries[0]["Id"] = self.id
            entries[0]["Tags"] = list(self.repo_tags) or None
        return entries


def _created_seconds(created: str | None, fallback_ns: int) -> int:
    ns = parse_time(created) if created else None
    return (ns or fallback_ns) // 1_000_000_000


class ImageStore:
    def __init__(self) -> None:
        self.images: dict[str, Image] = {}
        self.tags: dict[str, str] = {}  # "repo:tag" -> image id
        self.changes = 0  # counts add/tag/untag/remove: seeds and builds change images without an event
        # The classic builder's cached steps (build_cache.Snapshot by key): what dockerd's intermediate images are.
        self.build_cache: dict[str, Any] = {}

    def clear(self) -> None:
        self.images.clear()
        self.tags.clear()
        self.build_cache.clear()
        self.changes += 1

    def add(self, image: Image, names: list[str] = ()) -> Image:
        self.changes += 1
        existing = self.images.get(image.id)
        if existing is None:
            self.images[image.id] = image
            existing = image
        for name in names:
            self.tag(existing, name)
        return existing

    def tag(self, image: Image, name: str) -> str | None:
        """Point repo:tag at the image; returns the id it was taken from (an older image), if any."""
        ref = references.parse(name)
        key = ref.name
        old = self.tags.get(key)
        if old == image.id:
            return None
        self.changes += 1
        if old and old in self.images:
            self.images[old].repo_tags.remove(key)
        self.tags[key] = image.id
        image.repo_tags.append(key)
        return old

    def untag(self, key: str) -> Image:
        self.changes += 1
        image_id = self.tags.pop(key)
        image = self.images[image_id]
        image.repo_tags.remove(key)
        return image

    def remove(self, image: Image) -> None:
        self.changes += 1
        del self.images[image.id]
        # dockerd removes the untagged intermediate images with the image: its cached steps go unless another
        # image was built through them.
        kept = {key for other in self.images.values() for key in other.build_steps}
        for key in set(image.build_steps) - kept:
            self.build_cache.pop(key, None)

    def find(self, ref: str) -> Image | None:
        if not ref:
            return None
        if ref.startswith("sha256:") and ref in self.images:
            return self.images[ref]
        if references.is_id_like(ref):
            hexpart = ref.removeprefix("sha256:")
            hits = [img for img in self.images.values() if img.id[7:].startswith(hexpart)]
            if len(hits) == 1:
                return hits[0]
        try:
            parsed = references.parse(ref)
        except InvalidParameter:
            return None
        if parsed.digest:
            for image in self.images.values():
                if f"{parsed.repo}@{parsed.digest}" in image.repo_digests or image.id == parsed.digest:
                    return image
            return None
        image_id = self.tags.get(parsed.name)
        return self.images.get(image_id) if image_id else None

    def get(self, ref: str) -> Image:
        image = self.find(ref)
        if image is None and ref and not references.is_id_like(ref):
            references.parse(ref)  # GetImage refuses what is no reference (400) before it looks
        if image is None:
            raise NotFound(f"No such image: {_display(ref)}")
        return image

    def list(self, filters: dict[str, list[str]], all_: bool = False) -> list[Image]:
        images = sorted(self.images.values(), key=lambda i: -i.created_ns)
        out = []
        for image in images:
            if not _image_matches(self, image, filters):
                continue
            out.append(image)
        return out

    def check_remove(self, image: Image, ref: str, force: bool, users: list[tuple[str, bool]]) -> None:
        """dockerd's conflicts for `docker rmi` (users: (container id, running))."""
        by_id = references.is_id_like(ref) and self.find(ref) is image and ref not in self.tags \
            and not any(t.split(":")[0] == ref for t in image.repo_tags)
        if by_id and len(image.repo_tags) > 1 and not force:
            raise Conflict(f"conflict: unable to delete {short(image.id)} (must be forced) - "
                           "image is referenced in multiple repositories")
        if users and (by_id or len(image.repo_tags) <= 1):
            running = [cid for cid, is_running in users if is_running]
            if running and (by_id or not force):
                raise Conflict(f"conflict: unable to delete {short(image.id)} (cannot be forced) - image is being "
                               f"used by running container {short(running[0])}" if by_id else
                               f"conflict: unable to remove repository reference \"{ref}\" (must force) - container "
                               f"{short(running[0])} is using its referenced image {short(image.id)}")
            if not force:
                if by_id:
                    raise Conflict(f"conflict: unable to delete {short(image.id)} (must be forced) - image is being "
                                   f"used by stopped container {short(users[0][0])}")
                raise Conflict(f"conflict: unable to remove repository reference \"{ref}\" (must force) - container "
                               f"{short(users[0][0])} is using its referenced image {short(image.id)}")


def _display(ref: str) -> str:
    if references.is_id_like(ref):
        return ref
    try:
        return references.parse(ref).name
    except InvalidParameter:
        return ref


def _image_matches(store: ImageStore, image: Image, filters: dict[str, list[str]]) -> bool:
    for key, values in filters.items():
        if not values:
            continue
        if key == "dangling":
            want = values[0].lower() in ("true", "1")
            if (not image.repo_tags) != want:
                return False
        elif key == "label":
            if not all(label_matches(image.config.get("Labels") or {}, v) for v in values):
                return False
        elif key == "reference":
            if not any(ref_matches(tag, v) for tag in image.repo_tags for v in values):
                return False
        elif key in ("before", "since"):
            pivot = store.find(values[0])
            if pivot is None:
                raise NotFound(f"No such image: {values[0]}")
            if key == "before" and not image.created_ns < pivot.created_ns:
                return False
            if key == "since" and not image.created_ns > pivot.created_ns:
                return False
        elif key == "until":
            limit = parse_time(values[0])
            if limit is not None and image.created_ns > limit:
                return False
        else:
            raise InvalidParameter(f"invalid filter '{key}'")
    return True


def ref_matches(tag: str, pattern: str) -> bool:
    repo = tag.rsplit(":", 1)[0]
    if ":" in pattern.rsplit("/", 1)[-1]:
        return fnmatch.fnmatchcase(tag, pattern)
    return fnmatch.fnmatchcase(repo, pattern)
