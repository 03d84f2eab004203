"""Volumes (local driver): named and anonymous, each with its own file tree that outlives containers."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .errors import Conflict, InvalidParameter, NotFound
from .filesystem import FileTree
from .filters import label_matches
from .ids import new_id, now_ns, rfc3339

ANONYMOUS_LABEL = "com.docker.volume.anonymous"
_NAME = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_.-]+$")


@dataclass
class Volume:
    name: str
    driver: str = "local"
    labels: dict[str, str] = field(default_factory=dict)
    options: dict[str, str] = field(default_factory=dict)
    created_ns: int = field(default_factory=now_ns)
    tree: FileTree = field(default_factory=FileTree)
    anonymous: bool = False

    @property
    def mountpoint(self) -> str:
        return f"/var/lib/docker/volumes/{self.name}/_data"

    def inspect(self, ref_count: int | None = None) -> dict:
        out = {
            "CreatedAt": rfc3339(self.created_ns).split(".")[0].rstrip("Z") + "Z",
            "Driver": self.driver,
            "Labels": dict(self.labels) if self.labels else None,
            "Mountpoint": self.mountpoint,
            "Name": self.name,
            "Options": dict(self.options) if self.options else None,
            "Scope": "local",
        }
        if ref_count is not None:
            out["UsageData"] = {"Size": self.tree.total_size(), "RefCount": ref_count}
        return out


class VolumeStore:
    def __init__(self) -> None:
        self.volumes: dict[str, Volume] = {}

    def clear(self) -> None:
        self.volumes.clear()

    def create(self, name: str = "", driver: str = "local", labels: dict | None = None,
               options: dict | None = None, anonymous: bool = False) -> tuple[Volume, bool]:
        """Returns (volume, created). Creating an existing name returns it, like dockerd."""
        if not name:
            name = new_id()
            anonymous = True
        elif not _NAME.match(name):
            raise InvalidParameter(f'create {name}: "{name}" includes invalid characters for a local volume name, '
                                   'only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host '
                                   "directory, use absolute path")
        if name in self.volumes:
            return self.volumes[name], False
        labels = dict(labels or {})
        if anonymous:
            labels.setdefault(ANONYMOUS_LABEL, "")
        if driver not in ("local", ""):
            raise NotFound(f'error looking up volume plugin {driver}: plugin "{driver}" not found')
        volume = Volume(name=name, driver=driver or "local", labels=labels, options=dict(options or {}),
                        anonymous=anonymous)
        self.volumes[name] = volume
        return volume, True

    def get(self, name: str) -> Volume:
        volume = self.volumes.get(name)
        if volume is None:
            raise NotFound(f"get {name}: no such volume")
        return volume

    def remove(self, name: str, users: list[str], force: bool = False) -> Volume:
        volume = self.volumes.get(name)
        if volume is None:
            if force:
                return Volume(name=name)
            raise NotFound(f"get {name}: no such volume")
        if users:
            raise Conflict(f"remove {name}: volume is in use - [{', '.join(users)}]")
        del self.volumes[name]
        return volume

    def matches(self, volume: Volume, filters: dict[str, list[str]], in_use: bool) -> bool:
        for key, values in filters.items():
            if not values:
                continue
            if key == "name":
                if not any(v in volume.name for v in values):
                    return False
            elif key == "driver":
                if volume.driver not in values:
                    return False
            elif key == "dangling":
                want = values[0].lower() in ("true", "1")
                if in_use == want:
                    return False
            elif key == "label":
                if not all(label_matches(volume.labels, v) for v in values):
                    return False
            elif key == "label!":
                if any(label_matches(volume.labels, v) for v in values):
                    return False
            elif key == "all":
                continue
            else:
                raise InvalidParameter(f"invalid filter '{key}'")
        return True
