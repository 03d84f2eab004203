"""Mounts and what moves files in and out of a container: bind mounts, volumes (created on use, copied up from
the image), tmpfs, `--volumes-from`; the volume store's create/list/remove/prune; `docker cp`'s archive
endpoints."""

from __future__ import annotations

import posixpath

from . import filesystem
from .containers import Container, MountPoint
from .errors import EngineError, InvalidParameter, NotFound
from .filesystem import FileTree, TarError
from .gotar import go_tar_problem
from .state import DaemonState
from .volumes import Volume

# A bind's propagation mode, given among its options (`/src:/dst:rw,rshared`); dockerd's default is rprivate.
PROPAGATIONS = ("shared", "rshared", "slave", "rslave", "private", "rprivate")

def _subpath(text: str) -> str:
    """VolumeOptions.Subpath as dockerd checks it (filepath.IsLocal): relative, never leaving the volume."""
    if not text:
        return ""
    cleaned = posixpath.normpath(text)
    if text.startswith("/") or cleaned == ".." or cleaned.startswith("../"):
        raise InvalidParameter('invalid mount config for type "volume": subpath must be a relative path within '
                               "the volume")
    return "/" + cleaned if cleaned != "." else ""


class Mounts:
    def __init__(self, state: DaemonState) -> None:
        self.state = state

    def make_mounts(self, c: Container, config: dict) -> list[MountPoint]:
        mounts: dict[str, MountPoint] = {}
        hc = c.host_config
        for bind in hc.get("Binds") or []:
            parts = bind.split(":")
            if len(parts) < 2:
                raise InvalidParameter(f"invalid volume specification: '{bind}'")
            source, dest = parts[0], parts[1]
            mode = parts[2] if len(parts) > 2 else ""
            rw = "ro" not in mode.split(",")
            if not dest.startswith("/"):
                raise InvalidParameter(f"invalid volume specification: '{bind}': invalid mount config for type "
                                       f"\"volume\": invalid mount path: '{dest}' mount path must be absolute")
            dest = filesystem.norm(dest)
            if source.startswith("/"):
                tree = self.state.binds.setdefault(filesystem.norm(source), FileTree())
                given = [o for o in mode.split(",") if o in PROPAGATIONS]
                mounts[dest] = MountPoint("bind", dest, tree, source=source, mode=mode, rw=rw,
                                          propagation=given[-1] if given else "rprivate")
            else:
                mounts[dest] = self._volume_mount(c, source, dest, rw, mode or "z")
        for spec in hc.get("Mounts") or []:
            kind = spec.get("Type") or "volume"
            dest = filesystem.norm(spec.get("Target") or spec.get("Destination") or "")
            rw = not spec.get("ReadOnly")
            if kind == "bind":
                source = spec.get("Source") or ""
                tree = self.state.binds.setdefault(filesystem.norm(source), FileTree())
                propagation = (spec.get("BindOptions") or {}).get("Propagation") or "rprivate"
                mounts[dest] = MountPoint("bind", dest, tree, source=source, rw=rw, propagation=propagation)
            elif kind == "tmpfs":
                mounts[dest] = MountPoint("tmpfs", dest, FileTree(), rw=rw)
            else:
                opts = spec.get("VolumeOptions") or {}
                subpath = _subpath(opts.get("Subpath") or "")
                mounts[dest] = self._volume_mount(c, spec.get("Source") or "", dest, rw, "",
                                                  labels=opts.get("Labels"), nocopy=bool(opts.get("NoCopy")) or
                                                  bool(subpath), subpath=subpath)
        for ref in hc.get("VolumesFrom") or []:
            source_ref, _, mode = ref.partition(":")
            other = self.state.container(source_ref)
            for m in other.mounts:
                if m.destination in mounts:
                    continue
                rw = m.rw if mode != "ro" else False
                mounts[m.destination] = MountPoint(m.type, m.destination, m.tree, m.name, m.source, m.driver,
                                                   m.mode, rw, m.propagation)
        for dest in (c.config.get("Volumes") or {}):
            dest = filesystem.norm(dest)
            if dest not in mounts:
                mounts[dest] = self._volume_mount(c, "", dest, True, "")
        for path in (hc.get("Tmpfs") or {}):
            mounts[filesystem.norm(path)] = MountPoint("tmpfs", filesystem.norm(path), FileTree())
        return sorted(mounts.values(), key=lambda m: m.destination)

    def _volume_mount(self, c: Container, name: str, dest: str, rw: bool, mode: str,
                      labels: dict | None = None, nocopy: bool = False, subpath: str = "") -> MountPoint:
        volume, created = self.state.volumes.create(name, labels=labels, anonymous=not name)
        if created:
            self.state.events.emit("volume", "create", volume.name, {"driver": volume.driver})
        if not nocopy and len(volume.tree.nodes) == 1:
            # Copy-up: an empty volume gets what the image has at the mount point.
            image_tree = c.rootfs
            if image_tree.is_dir(dest):
                for path, node in image_tree.walk(dest):
                    rel = path[len(dest):] or "/"
                    if rel != "/":
                        volume.tree.put(rel, node)
        return MountPoint("volume", dest, volume.tree, name=volume.name, source=volume.mountpoint,
                          driver=volume.driver, mode=mode, rw=rw, subpath=subpath)


    # -- archive (docker cp) --
    @staticmethod
    def _archive_target(c: Container, path: str) -> str:
        """`path` in the container: a relative one is taken from the working directory."""
        return path if path.startswith("/") else posixpath.join(c.config.get("WorkingDir") or "/", path)

    def archive_stat(self, ref: str, path: str) -> dict:
        c = self.state.container(ref)
        fs = c.fs()
        target = fs.resolve(self._archive_target(c, path), follow_final=False)
        if fs.get(target) is None:
            raise NotFound(f"Could not find the file {path} in container {ref}")
        return fs.stat(target)

    def archive_get(self, ref: str, path: str) -> tuple[dict, bytes]:
        stat = self.archive_stat(ref, path)
        c = self.state.container(ref)
        fs = c.fs()
        data = fs.tar_path(fs.resolve(self._archive_target(c, path), follow_final=False))
        self.state.container_event(c, "archive-path")
        return stat, data

    def archive_put(self, ref: str, path: str, data: bytes, no_overwrite_dir_non_dir: bool = False) -> None:
        c = self.state.container(ref)
        fs = c.fs()
        target = fs.resolve(self._archive_target(c, path))
        if fs.get(target) is None:
            raise NotFound(f"Could not find the file {path} in container {ref}")
        if not fs.is_dir(target):
            # Newer dockerds answer 400 (errdefs.InvalidParameter); 20.10's plain error gave a 500.
            raise InvalidParameter("extraction point is not a directory")
        if c.host_config.get("ReadonlyRootfs") and not any(
                target == m.destination or target.startswith(m.destination + "/") for m in c.mounts):
            raise EngineError("container rootfs is marked read-only", 403)
        problem = go_tar_problem(data)
        if problem is not None:  # Go's tar reader in the chrooted untar child
            raise EngineError(f"Error processing tar file(exit status 1): {problem}", 500)
        try:
            fs.extract(data, target, no_overwrite_dir_non_dir)
        except TarError as err:
            # dockerd untars in a re-executed chrooted child: its failure arrives as "exit status 1".
            raise EngineError(f"Error processing tar file(exit status 1): {err}", 500) from None
        except PermissionError:
            raise EngineError("mounted volume is marked read-only", 403) from None
        except IsADirectoryError as err:
            raise InvalidParameter(str(err)) from None
        except Exception as err:  # noqa: BLE001 - a broken tar is the client's error
            raise InvalidParameter(f"Error processing tar file({err}): ") from None
        self.state.container_event(c, "extract-to-dir")


    # -- volumes --
    def create_volume(self, name: str = "", driver: str = "local", labels: dict | None = None,
                      options: dict | None = None) -> Volume:
        volume, _created = self.state.volumes.create(name, driver or "local", labels, options)
        # The volume service logs "create" for every create, of a volume that exists too (measured on 20.10).
        self.state.events.emit("volume", "create", volume.name, {"driver": volume.driver})
        return volume

    def list_volumes(self, filters: dict | None = None) -> list[Volume]:
        return [v for v in sorted(self.state.volumes.volumes.values(), key=lambda v: v.name)
                if self.state.volumes.matches(v, filters or {}, bool(self.state.volume_users(v.name)))]

    def remove_volume(self, name: str, force: bool = False) -> None:
        users = self.state.volume_users(name) if name in self.state.volumes.volumes else []
        volume = self.state.volumes.remove(name, users, force)  # raises while containers use it
        self.state.events.emit("volume", "destroy", name, {"driver": volume.driver})

    def prune_volumes(self, filters: dict | None = None, only_anonymous: bool = True) -> dict:
        filters = dict(filters or {})
        all_flag = (filters.pop("all", None) or ["false"])[0].lower() in ("true", "1")
        deleted, reclaimed = [], 0
        for v in list(self.state.volumes.volumes.values()):
            if self.state.volume_users(v.name):
                continue
            if only_anonymous and not all_flag and not v.anonymous:
                continue
            if not self.state.volumes.matches(v, filters, False):
                continue
            reclaimed += v.tree.total_size()
            del self.state.volumes.volumes[v.name]
            self.state.events.emit("volume", "destroy", v.name, {"driver": v.driver})
            deleted.append(v.name)
        self.state.events.emit("volume", "prune", "", {"reclaimed": str(reclaimed)})
        return {"VolumesDeleted": deleted, "SpaceReclaimed": reclaimed}  # dockerd: [] here, null for the others

