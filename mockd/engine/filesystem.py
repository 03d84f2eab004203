"""The simulated filesystem: immutable nodes in path-keyed trees, layers as diffs, mounts, and tar in/out.

Trees share nodes; a write replaces the node, so "changed since the image" is an identity test. That keeps
container layers (a copy of the image's merged tree) cheap and makes `docker diff`/commit exact.
"""

from __future__ import annotations

import errno
import io
import posixpath
import stat as statmod
import tarfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace

from .ids import rfc3339

FILE, DIR, SYMLINK = "file", "dir", "symlink"
WHITEOUT_PREFIX = ".wh."
OPAQUE = ".wh..wh..opq"


@dataclass(frozen=True)
class Node:
    kind: str
    data: bytes = b""
    mode: int = 0o644  # permission bits only
    mtime: float = field(default_factory=time.time)
    uid: int = 0
    gid: int = 0
    target: str = ""  # symlink target

    @property
    def size(self) -> int:
        return len(self.data) if self.kind == FILE else (len(self.target) if self.kind == SYMLINK else 4096)

    @property
    def st_mode(self) -> int:
        kind_bits = {FILE: statmod.S_IFREG, DIR: statmod.S_IFDIR, SYMLINK: statmod.S_IFLNK}[self.kind]
        return kind_bits | self.mode

    def go_mode(self) -> int:
        """The mode as Go's os.FileMode encodes it (what `X-Docker-Container-Path-Stat` carries)."""
        bits = self.mode & 0o777
        if self.kind == DIR:
            bits |= 1 << 31
        elif self.kind == SYMLINK:
            bits |= 1 << 27
        return bits


def norm(path: str) -> str:
    path = posixpath.normpath("/" + (path or "/"))
    return "/" + path.lstrip("/")


def parent_of(path: str) -> str:
    return posixpath.dirname(path) or "/"


MAX_SYMLINKS = 255  # what dockerd's scoped symlink resolution follows at most


class TarError(Exception):
    """A tar that dockerd's untar refuses; the text is Go's."""


class FileTree:
    """One directory tree. Paths are absolute and normalised; "/" always exists."""

    def __init__(self, nodes: dict[str, Node] | None = None):
        self.nodes: dict[str, Node] = nodes if nodes is not None else {}
        self.nodes.setdefault("/", Node(DIR, mode=0o755))

    def copy(self) -> FileTree:
        return FileTree(dict(self.nodes))

    # -- reading --
    def get(self, path: str) -> Node | None:
        return self.nodes.get(norm(path))

    def resolve(self, path: str, depth: int = 0) -> str:
        """Follow symlinks in every component (like the kernel would), returning the real path."""
        path = norm(path)
        if depth > 20:
            raise OSError("Too many levels of symbolic links")
        parts = [p for p in path.split("/") if p]
        current = "/"
        for i, part in enumerate(parts):
            candidate = norm(posixpath.join(current, part))
            node = self.nodes.get(candidate)
            if node is not None and node.kind == SYMLINK:
                target = node.target if node.target.startswith("/") else posixpath.join(current, node.target)
                rest = "/".join(parts[i + 1:])
                return self.resolve(posixpath.join(target, rest) if rest else target, depth + 1)
            current = candidate
        return current

    def lookup(self, path: str) -> Node | None:
        return self.nodes.get(self.resolve(path))

    def exists(self, path: str) -> bool:
        return self.lookup(path) is not None

    def is_dir(self, path: str) -> bool:
        node = self.lookup(path)
        return node is not None and node.kind == DIR

    def read(self, path: str) -> bytes:
        node = self.lookup(path)
        if node is None:
            raise FileNotFoundError(path)
        if node.kind == DIR:
            raise IsADirectoryError(path)
        return node.data

    def listdir(self, path: str) -> list[str]:
        real = self.resolve(path)
        node = self.nodes.get(real)
        if node is None:
            raise FileNotFoundError(path)
        if node.kind != DIR:
            raise NotADirectoryError(path)
        prefix = real.rstrip("/") + "/"
        return sorted(p[len(prefix):] for p in self.nodes if p.startswith(prefix) and "/" not in p[len(prefix):]
                      and p != "/")

    def walk(self, path: str = "/") -> Iterator[tuple[str, Node]]:
        """The node at path and everything below it, parents before children."""
        path = norm(path)
        if path not in self.nodes:
            return
        prefix = path.rstrip("/") + "/"
        yield path, self.nodes[path]
        for p in sorted(p for p in self.nodes if p.startswith(prefix) and p != path):
            yield p, self.nodes[p]

    # -- writing --
    def _need_parent(self, path: str) -> None:
        parent = self.nodes.get(self.resolve(parent_of(path)))
        if parent is None:
            raise FileNotFoundError(parent_of(path))
        if parent.kind != DIR:
            raise NotADirectoryError(parent_of(path))

    def write(self, path: str, data: bytes, mode: int | None = None, append: bool = False,
              uid: int = 0, gid: int = 0) -> None:
        real = self.resolve(path)
        self._need_parent(real)
        old = self.nodes.get(real)
        if old is not None and old.kind == DIR:
            raise IsADirectoryError(path)
        if append and old is not None:
            data = old.data + data
        self.nodes[real] = Node(FILE, data, mode if mode is not None else (old.mode if old else 0o644),
                                uid=old.uid if old else uid, gid=old.gid if old else gid)

    def put(self, path: str, node: Node) -> None:
        """Place a node as is (tar extraction, layers); creates missing parents."""
        path = norm(path)
        self.mkdir(parent_of(path), parents=True)
        old = self.nodes.get(path)
        if old is not None and old.kind == DIR and node.kind != DIR:
            self.remove(path, recursive=True)
        if old is not None and old.kind == DIR and node.kind == DIR:
            # Re-extracting a directory keeps its contents.
            pass
        self.nodes[path] = node

    def mkdir(self, path: str, parents: bool = False, mode: int = 0o755, uid: int = 0, gid: int = 0) -> None:
        real = self.resolve(path)
        node = self.nodes.get(real)
        if node is not None:
            if node.kind == DIR:
                if parents:
                    return
                raise FileExistsError(path)
            raise FileExistsError(path)
        if parents:
            parent = parent_of(real)
            if parent != real:
                self.mkdir(parent, parents=True)
        else:
            self._need_parent(real)
        self.nodes[real] = Node(DIR, mode=mode, uid=uid, gid=gid)

    def symlink(self, target: str, path: str) -> None:
        path = norm(path)
        self._need_parent(path)
        self.nodes[path] = Node(SYMLINK, target=target, mode=0o777)

    def remove(self, path: str, recursive: bool = False) -> None:
        path = norm(path)
        if path == "/":
            raise PermissionError("cannot remove /")
        node = self.nodes.get(path)
        if node is None:
            raise FileNotFoundError(path)
        prefix = path + "/"
        children = [p for p in self.nodes if p.startswith(prefix)]
        if children and not recursive:
            raise OSError("Directory not empty")
        for p in children:
            del self.nodes[p]
        del self.nodes[path]

    def touch(self, path: str) -> None:
        real = self.resolve(path)
        node = self.nodes.get(real)
        if node is None:
            self.write(real, b"")
        else:
            self.nodes[real] = replace(node, mtime=time.time())

    def stat(self, path: str) -> dict:
        """The JSON behind `X-Docker-Container-Path-Stat`."""
        node = self.get(path)
        if node is None:
            raise FileNotFoundError(path)
        # An mtime of 0 is the epoch (a tar entry without a time), not Go's zero time.
        mtime = rfc3339(int(node.mtime * 1e9)) if node.mtime else "1970-01-01T00:00:00Z"
        return {"name": posixpath.basename(norm(path)) or "/", "size": node.size, "mode": node.go_mode(),
                "mtime": mtime, "linkTarget": node.target}

    def total_size(self) -> int:
        return sum(len(n.data) for n in self.nodes.values() if n.kind == FILE)


# -- layers --------------------------------------------------------------------------------------------------

Layer = dict[str, Node | None]  # path -> node, or None for a whiteout


def diff(base: FileTree, current: FileTree) -> Layer:
    """The layer that turns base into current."""
    layer: Layer = {}
    for path, node in current.nodes.items():
        if base.nodes.get(path) is not node:
            layer[path] = node
    for path in base.nodes:
        if path not in current.nodes and parent_of(path) in current.nodes:
            layer[path] = None
    layer.pop("/", None)
    return layer


def apply_layer(tree: FileTree, layer: Layer) -> None:
    for path in sorted(layer, key=lambda p: (p.count("/"), p)):
        node = layer[path]
        if node is None:
            if path in tree.nodes:
                tree.remove(path, recursive=True)
        else:
            tree.put(path, node)


def changes(base: FileTree, current: FileTree) -> list[tuple[str, int]]:
    """`docker diff`: 0 modified, 1 added, 2 deleted; parents of changes show as modified."""
    result: dict[str, int] = {}
    for path, node in current.nodes.items():
        old = base.nodes.get(path)
        if old is None:
            result[path] = 1
        elif old is not node and not (old.kind == DIR and node.kind == DIR and old.mode == node.mode):
            result[path] = 0
    for path in base.nodes:
        if path not in current.nodes and parent_of(path) in current.nodes:
            result[path] = 2
    for path in list(result):
        parent = parent_of(path)
        while parent != "/":
            if parent in base.nodes and parent in current.nodes and parent not in result:
                result[parent] = 0
            parent = parent_of(parent)
    result.pop("/", None)
    return sorted(result.items())


# -- tar -----------------------------------------------------------------------------------------------------

def _tarinfo(name: str, node: Node) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.mode = node.mode
    info.mtime = int(node.mtime)
    info.uid, info.gid = node.uid, node.gid
    if node.kind == DIR:
        info.type = tarfile.DIRTYPE
    elif node.kind == SYMLINK:
        info.type = tarfile.SYMTYPE
        info.linkname = node.target
    else:
        info.size = len(node.data)
    return info


def tar_entries(entries: Iterator[tuple[str, Node]] | list[tuple[str, Node]]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, node in entries:
            info = _tarinfo(name, node)
            tar.addfile(info, io.BytesIO(node.data) if node.kind == FILE else None)
    return buf.getvalue()


def tar_path(tree: FileTree, path: str) -> bytes:
    """`GET /containers/{id}/archive`: the entry named after the basename, and everything below it."""
    path = norm(path)
    base = posixpath.basename(path) or "."
    entries = []
    for p, node in tree.walk(path):
        rel = p[len(path):].lstrip("/") if path != "/" else p.lstrip("/")
        name = posixpath.join(base, rel) if rel else base
        entries.append((name, node))
    return tar_entries(entries)


def tar_tree(tree: FileTree, exclude: tuple[str, ...] = ()) -> bytes:
    """The whole tree as a rootfs tar (export, layers)."""
    entries = []
    for p, node in tree.walk("/"):
        if p == "/" or any(p == e or p.startswith(e + "/") for e in exclude):
            continue
        entries.append((p.lstrip("/"), node))
    return tar_entries(entries)


def tar_layer(layer: Layer) -> bytes:
    """A layer tar with overlay-style whiteouts, as `docker save` writes it."""
    entries = []
    for path in sorted(layer):
        node = layer[path]
        if node is None:
            entries.append((posixpath.join(parent_of(path), WHITEOUT_PREFIX + posixpath.basename(path)).lstrip("/"),
                            Node(FILE, mode=0o600, mtime=0)))
        else:
            entries.append((path.lstrip("/"), node))
    return tar_entries(entries)


def _read_tar(data: bytes) -> Iterator[tuple[tarfile.TarInfo, bytes]]:
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:*") as tar:
        for info in tar:
            content = b""
            if info.isreg():
                extracted = tar.extractfile(info)
                content = extracted.read() if extracted else b""
            yield info, content


def node_from(info: tarfile.TarInfo, content: bytes) -> Node | None:
    if info.isdir():
        return Node(DIR, mode=info.mode & 0o7777, mtime=info.mtime, uid=info.uid, gid=info.gid)
    if info.issym():
        return Node(SYMLINK, target=info.linkname, mode=0o777, mtime=info.mtime)
    if info.isreg():
        return Node(FILE, content, mode=info.mode & 0o7777, mtime=info.mtime, uid=info.uid, gid=info.gid)
    return None  # devices, fifos, hard links: not modelled


def layer_from_tar(data: bytes) -> Layer:
    layer: Layer = {}
    if data and not data.strip(b"\0"):
        return layer  # only end-of-archive blocks (tarfile calls that unreadable): the empty layer of a `docker save`
    for info, content in _read_tar(data):
        path = norm(info.name)
        base = posixpath.basename(path)
        if base == OPAQUE:
            continue
        if base.startswith(WHITEOUT_PREFIX):
            layer[norm(posixpath.join(parent_of(path), base[len(WHITEOUT_PREFIX):]))] = None
            continue
        if info.islnk():
            target = layer.get(norm(info.linkname))
            if target is not None:
                layer[path] = target
            continue
        node = node_from(info, content)
        if node is not None:
            layer[path] = node
    layer.pop("/", None)
    return layer


def _refuse_kind_change(existing: Node | None, new: Node, target: str, name: str) -> None:
    """``noOverwriteDirNonDir``: a directory may not replace a file there, nor a file a directory."""
    if existing is not None and (existing.kind == DIR) != (new.kind == DIR):
        kind = "directory" if existing.kind == DIR else "non-directory"
        other = "non-directory" if existing.kind == DIR else "directory"
        raise IsADirectoryError(f"cannot overwrite {kind} \"{target}\" with {other} \"{name}\"")


def extract_tar(tree: FileTree, data: bytes, dest: str, no_overwrite_dir_non_dir: bool = False) -> list[str]:
    """Unpack a tar under dest (which must be a directory). Returns the paths written."""
    dest = tree.resolve(dest)
    node = tree.nodes.get(dest)
    if node is None:
        raise FileNotFoundError(dest)
    if node.kind != DIR:
        raise NotADirectoryError(dest)
    written = []
    for info, content in _read_tar(data):
        rel = norm(info.name).lstrip("/")
        if not rel:
            continue
        target = norm(posixpath.join(dest, rel))
        new = node_from(info, content)
        if new is None:
            if info.islnk():
                linked = tree.get(norm(posixpath.join(dest, info.linkname)))
                if linked is not None:
                    tree.put(target, linked)
            continue
        if no_overwrite_dir_non_dir:
            _refuse_kind_change(tree.nodes.get(target), new, target, rel)
        tree.put(target, new)
        written.append(target)
    return written


def read_tar_files(data: bytes) -> dict[str, tuple[tarfile.TarInfo, bytes]]:
    """All entries of a tar by normalised relative name (build contexts, save/load archives)."""
    out = {}
    for info, content in _read_tar(data):
        out[norm(info.name).lstrip("/")] = (info, content)
    return out


# -- a container's view: its rootfs with volumes mounted in ---------------------------------------------------

@dataclass
class Mount:
    destination: str
    tree: FileTree
    read_only: bool = False
    subpath: str = ""  # a volume mounted from this directory of it (VolumeOptions.Subpath, API 1.45)


class MountedFS:
    """A rootfs with mounts; the shell, `docker cp` and exec all see files through this."""

    # What the runtime mounts over a `--read-only` rootfs and so stays writable (dockerd's bind-mounted /etc files).
    RUNTIME_WRITABLE = ("/dev", "/proc", "/sys", "/etc/hostname", "/etc/hosts", "/etc/resolv.conf")

    def __init__(self, root: FileTree, mounts: list[Mount] | None = None, read_only_root: bool = False):
        self.root = root
        self.mounts = sorted(mounts or [], key=lambda m: -len(m.destination))
        self.read_only_root = read_only_root

    def _locate(self, path: str, for_write: bool = False) -> tuple[FileTree, str]:
        path = norm(path)
        for mount in self.mounts:
            d = mount.destination
            if path == d or path.startswith(d.rstrip("/") + "/"):
                if for_write and mount.read_only:
                    raise PermissionError("Read-only file system")
                return mount.tree, norm(mount.subpath + "/" + path[len(d):]) if mount.subpath else norm(path[len(d):])
        if for_write and self.read_only_root and not any(path == w or path.startswith(w + "/")
                                                         for w in self.RUNTIME_WRITABLE):
            raise PermissionError("Read-only file system")
        return self.root, path

    def get(self, path: str) -> Node | None:
        tree, inner = self._locate(path)
        return tree.get(inner)

    def lookup(self, path: str) -> Node | None:
        tree, inner = self._locate(path)
        return tree.lookup(inner)

    def exists(self, path: str) -> bool:
        return self.lookup(path) is not None

    def is_dir(self, path: str) -> bool:
        tree, inner = self._locate(path)
        return tree.is_dir(inner)

    def read(self, path: str) -> bytes:
        tree, inner = self._locate(path)
        return tree.read(inner)

    def write(self, path: str, data: bytes, mode: int | None = None, append: bool = False) -> None:
        tree, inner = self._locate(path, for_write=True)
        tree.write(inner, data, mode=mode, append=append)

    def mkdir(self, path: str, parents: bool = False) -> None:
        tree, inner = self._locate(path, for_write=True)
        tree.mkdir(inner, parents=parents)

    def remove(self, path: str, recursive: bool = False) -> None:
        tree, inner = self._locate(path, for_write=True)
        if inner == "/":
            raise PermissionError("Device or resource busy")
        tree.remove(inner, recursive=recursive)

    def touch(self, path: str) -> None:
        tree, inner = self._locate(path, for_write=True)
        tree.touch(inner)

    def listdir(self, path: str) -> list[str]:
        tree, inner = self._locate(path)
        names = set(tree.listdir(inner))
        norm_path = norm(path)
        for mount in self.mounts:
            if parent_of(mount.destination) == norm_path and mount.destination != "/":
                names.add(posixpath.basename(mount.destination))
        return sorted(names)

    def stat(self, path: str) -> dict:
        """``docker cp``'s stat (dockerd's ``statPath``): the last component is not followed; a symlink's
        ``linkTarget`` is where it leads, fully resolved inside the container."""
        real = self.resolve(path, follow_final=False)
        tree, inner = self._locate(real)
        info = tree.stat(inner)
        info["name"] = posixpath.basename(norm(path)) or "/"
        if info["linkTarget"]:
            info["linkTarget"] = self.resolve(real)
        return info

    def tar_path(self, path: str) -> bytes:
        tree, inner = self._locate(path)
        if inner == "/" and norm(path) != "/":
            data = tar_path(tree, "/")
            # Rename the "." root entry to the mount point's basename.
            files = list(_read_tar(data))
            base = posixpath.basename(norm(path))
            entries = []
            for info, content in files:
                rel = info.name.removeprefix(".").lstrip("/")
                node = node_from(info, content)
                if node is not None:
                    entries.append((posixpath.join(base, rel) if rel else base, node))
            return tar_entries(entries)
        return tar_path(tree, inner)

    def resolve(self, path: str, follow_final: bool = True) -> str:
        """``path`` with its symlinks followed inside this container's root, across mounts, as dockerd's
        ``FollowSymlinkInScope`` does: an absolute target starts again at the container's root, ``..`` stops
        there, and at most 255 links are followed. ``follow_final=False`` leaves the last component as it is
        (lstat, a tar entry that replaces a link)."""
        pending = [part for part in norm(path).split("/") if part]
        done = "/"
        links = 0
        while pending:
            part = pending.pop(0)
            candidate = norm(posixpath.join(done, part))
            if not pending and not follow_final:
                return candidate
            node = self.get(candidate)
            if node is None or node.kind != SYMLINK:
                done = candidate
                continue
            links += 1
            if links > MAX_SYMLINKS:
                raise OSError(errno.ELOOP, f"too many links in {path}")
            if node.target.startswith("/"):
                done = "/"
            pending = [p for p in node.target.split("/") if p] + pending
        return done

    def extract(self, data: bytes, dest: str, no_overwrite_dir_non_dir: bool = False) -> list[str]:
        """Unpack a tar into the directory ``dest`` as dockerd's untar does, chrooted to the container's root:
        an entry's directories are resolved through symlinks inside the root (``lnk/f`` with ``lnk -> /etc``
        lands in /etc), missing ones are made, an entry may not climb out of ``dest``, and a hard link must
        name a file that exists inside ``dest``. Returns the paths written. Errors: :class:`TarError` with
        Go's text."""
        dest = self.resolve(dest)
        written = []
        for info, content in _read_tar(data):
            name = posixpath.normpath(info.name)
            if name in (".", "/"):
                continue
            shown = norm(posixpath.join(dest, name))  # the path as Go's untar names it in its errors
            if shown != dest and not shown.startswith(dest.rstrip("/") + "/"):
                raise TarError(f'"{info.name}" is outside of "{dest}"')
            target = norm(posixpath.join(self.resolve(parent_of(shown)), posixpath.basename(shown)))
            if info.islnk():
                linked_path = norm(posixpath.join(dest, info.linkname))
                if not linked_path.startswith(dest):  # Go's check is a plain prefix test
                    raise TarError(f'invalid hardlink "{linked_path}" -> "{info.linkname}"')
                linked = self.get(self.resolve(linked_path, follow_final=False))
                if linked is None:
                    raise TarError(f"link {linked_path} {shown}: no such file or directory")
                new: Node | None = linked
            else:
                new = node_from(info, content)
            if new is None:
                continue  # devices and fifos are not modelled
            tree, inner = self._locate(target, for_write=True)
            if no_overwrite_dir_non_dir:
                _refuse_kind_change(tree.nodes.get(inner), new, target, name)
            tree.put(inner, new)
            written.append(target)
        return written
