"""The built-in mock registry. A pull gets, in order: a seeded refusal, a pushed image, a seeded remote image,
the catalog's image (mockd/engine/catalog.py), else a synthetic generic image — or, when `strict`, Docker Hub's
answer for a repository it does not have. Pushed images are kept so a later pull returns them."""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field

from . import references
from .catalog import APPLETS, catalog
from .errors import NotFound
from .filesystem import DIR, FILE, SYMLINK, FileTree, Layer, Node, diff
from .ids import digest, parse_time, sha256_hex, short
from .images import DEFAULT_ENV, Image

SYNTHETIC_CREATED = "2024-01-01T00:00:00Z"
_EPOCH = 1704067200.0


def base_rootfs(hostname_hint: str = "") -> FileTree:
    """A small Linux root filesystem: busybox-style /bin, /etc with users, the usual directories."""
    tree = FileTree()
    for d, mode in (("/bin", 0o755), ("/dev", 0o755), ("/etc", 0o755), ("/home", 0o755), ("/proc", 0o555),
                    ("/root", 0o700), ("/sys", 0o555), ("/tmp", 0o1777), ("/usr", 0o755), ("/usr/bin", 0o755),
                    ("/usr/sbin", 0o755), ("/usr/local", 0o755), ("/usr/local/bin", 0o755), ("/sbin", 0o755),
                    ("/var", 0o755), ("/var/log", 0o755), ("/var/spool", 0o755), ("/var/www", 0o755)):
        tree.nodes[d] = Node(DIR, mode=mode, mtime=_EPOCH)
    busybox = b"#!mockd builtin: busybox\n"
    tree.nodes["/bin/busybox"] = Node(FILE, busybox, mode=0o755, mtime=_EPOCH)
    for applet in APPLETS:
        tree.nodes[f"/bin/{applet}"] = Node(FILE, busybox, mode=0o755, mtime=_EPOCH)
    tree.nodes["/usr/bin/env"] = Node(FILE, busybox, mode=0o755, mtime=_EPOCH)
    tree.nodes["/usr/bin/tail"] = Node(SYMLINK, target="/bin/tail", mode=0o777, mtime=_EPOCH)
    files = {
        "/etc/passwd": "root:x:0:0:root:/root:/bin/sh\ndaemon:x:1:1:daemon:/usr/sbin:/bin/false\n"
                       "www-data:x:33:33:www-data:/var/www:/bin/false\n"
                       "nobody:x:65534:65534:nobody:/home:/bin/false\n",
        "/etc/group": "root:x:0:\ndaemon:x:1:\nwheel:x:10:root\nwww-data:x:33:\nnogroup:x:65534:\n",
        "/etc/os-release": 'NAME="mockd Linux"\nID=mockd\nVERSION_ID=1.0\nPRETTY_NAME="mockd Linux 1.0"\n',
        "/etc/shells": "/bin/sh\n/bin/ash\n",
    }
    for path, text in files.items():
        tree.nodes[path] = Node(FILE, text.encode(), mode=0o644, mtime=_EPOCH)
    return tree


def synthetic_image(ref: references.Reference, config: dict | None = None,
                    files: dict[str, bytes | str] | None = None, created: str = SYNTHETIC_CREATED) -> Image:
    """A deterministic image for a reference: the same reference always gives the same id."""
    base = base_rootfs()
    layers: list[Layer] = [diff(FileTree(), base)]
    history = [{"created": created, "created_by": f"/bin/sh -c #(nop) ADD file:{sha256_hex(ref.repo)[:32]} in / "}]
    if files:
        top = base.copy()
        for path, content in files.items():
            data = content.encode() if isinstance(content, str) else content
            top.mkdir(path.rsplit("/", 1)[0] or "/", parents=True)
            top.write(path, data, mode=0o755 if data.startswith((b"#!", b"\x7fELF")) else 0o644)  # scripts, binaries
        layers.append(diff(base, top))
        history.append({"created": created, "created_by": "/bin/sh -c #(nop) COPY dir:seeded in / "})
    cfg = {"Env": list(DEFAULT_ENV), "Cmd": ["sh"]}
    cfg.update(config or {})
    full = {"Hostname": "", "Domainname": "", "User": "", "AttachStdin": False, "AttachStdout": False,
            "AttachStderr": False, "Tty": False, "OpenStdin": False, "StdinOnce": False, "Env": None, "Cmd": None,
            "Image": "", "Volumes": None, "WorkingDir": "", "Entrypoint": None, "OnBuild": None, "Labels": None}
    full.update(cfg)
    history.append({"created": created, "created_by": f"/bin/sh -c #(nop)  CMD {full['Cmd']!r}".replace("'", '"'),
                    "empty_layer": True})
    created_ns = parse_time(created) or 0
    image = Image(config=full, layers=layers, history=history, created_ns=created_ns,
                  container_config=None)
    return image


@dataclass
class Refusal:
    pattern: str
    kind: str = "denied"  # denied | manifest-unknown | message
    message: str = ""

    def error(self, ref: references.Reference) -> NotFound:
        if self.kind == "manifest-unknown":
            return NotFound(f"manifest for {ref.name} not found: manifest unknown: manifest unknown")
        if self.kind == "denied":
            return NotFound(f"pull access denied for {ref.repo}, repository does not exist or may require "
                            "'docker login': denied: requested access to the resource is denied")
        return NotFound(self.message or f"error pulling {ref.name}")


@dataclass
class RemoteImage:
    config: dict | None = None
    files: dict[str, bytes | str] | None = None


@dataclass
class MockRegistry:
    refusals: list[Refusal] = field(default_factory=list)
    remote: dict[str, RemoteImage] = field(default_factory=dict)  # "repo:tag" patterns described by the seed
    pushed: dict[str, Image] = field(default_factory=dict)
    credentials: dict[str, str] | None = None  # username -> password; None: every login succeeds
    strict: bool = False  # `--registry strict`: only the catalog, the seed and pushed images exist

    def refusal_for(self, ref: references.Reference) -> Refusal | None:
        for refusal in self.refusals:
            if fnmatch.fnmatchcase(ref.name, refusal.pattern) or fnmatch.fnmatchcase(ref.repo, refusal.pattern):
                return refusal
        return None

    def resolve(self, ref: references.Reference) -> Image:
        refusal = self.refusal_for(ref)
        if refusal is not None:
            raise refusal.error(ref)
        if ref.name in self.pushed:
            return self.pushed[ref.name]
        for pattern, remote in self.remote.items():
            if fnmatch.fnmatchcase(ref.name, pattern) or fnmatch.fnmatchcase(ref.repo, pattern):
                return synthetic_image(ref, remote.config, remote.files)
        cat = catalog()
        if cat.knows(ref.repo):
            variant = cat.variant(ref.repo, ref.tag) if ref.tag else cat.by_digest(ref.repo, ref.digest or "")
            if variant is None and self.strict:
                raise Refusal(ref.name, "manifest-unknown").error(ref)
            # Permissive: a tag the catalog does not list still gets that repository's closest real image.
            return cat.image(variant or cat.nearest(ref.repo, ref.tag or "latest"))
        if self.strict:
            raise Refusal(ref.name).error(ref)
        return synthetic_image(ref)

    def manifest_digest(self, ref: references.Reference, image: Image) -> str:
        # The catalog's images and synthetic ones alike: stable per (repository, image).
        return digest(f"{ref.repo}:{image.id}")

    def login(self, username: str, password: str) -> bool:
        if self.credentials is None:
            return True
        return self.credentials.get(username) == password


def pull_progress(ref: references.Reference, image: Image, manifest_digest: str, fresh: bool) -> list[dict]:
    """The JSON messages dockerd streams for a pull."""
    tag = ref.tag or ("latest" if not ref.digest else ref.digest)
    msgs: list[dict] = []
    if not fresh:
        msgs.append({"status": f"Pulling from {ref.path}", "id": tag})
        msgs.append({"status": f"Digest: {manifest_digest}"})
        msgs.append({"status": f"Status: Image is up to date for {ref.name}"})
        return msgs
    msgs.append({"status": f"Pulling from {ref.path}", "id": tag})
    layer_ids = [short(d) for d in image.diff_ids()]
    sizes = [len(t) for t in image.layer_tars()]
    for lid in layer_ids:
        msgs.append({"status": "Pulling fs layer", "progressDetail": {}, "id": lid})
    for lid, size in zip(layer_ids, sizes, strict=True):
        half = size // 2
        msgs.append({"status": "Downloading", "progressDetail": {"current": half, "total": size},
                     "progress": _bar(half, size), "id": lid})
        msgs.append({"status": "Verifying Checksum", "progressDetail": {}, "id": lid})
        msgs.append({"status": "Download complete", "progressDetail": {}, "id": lid})
    for lid, size in zip(layer_ids, sizes, strict=True):
        msgs.append({"status": "Extracting", "progressDetail": {"current": size, "total": size},
                     "progress": _bar(size, size), "id": lid})
        msgs.append({"status": "Pull complete", "progressDetail": {}, "id": lid})
    msgs.append({"status": f"Digest: {manifest_digest}"})
    msgs.append({"status": f"Status: Downloaded newer image for {ref.name}"})
    return msgs


def push_progress(ref: references.Reference, image: Image, manifest_digest: str) -> list[dict]:
    msgs: list[dict] = [{"status": f"The push refers to repository [{ref.domain}/{ref.path}]"}]
    for d, tar in zip(reversed(image.diff_ids()), reversed(image.layer_tars()), strict=True):
        lid = short(d)
        msgs.append({"status": "Preparing", "progressDetail": {}, "id": lid})
        msgs.append({"status": "Pushing", "progressDetail": {"current": len(tar), "total": len(tar)},
                     "progress": _bar(len(tar), len(tar)), "id": lid})
        msgs.append({"status": "Pushed", "progressDetail": {}, "id": lid})
    size = len(image.config_json())
    msgs.append({"status": f"{ref.tag or 'latest'}: digest: {manifest_digest} size: {size}",
                 "progressDetail": {}})
    msgs.append({"progressDetail": {}, "aux": {"Tag": ref.tag or "latest", "Digest": manifest_digest, "Size": size}})
    return msgs


def _bar(current: int, total: int) -> str:
    width = 50
    filled = int(width * current / total) if total else width
    arrow = ">" if filled < width else ""
    return f"[{'=' * max(filled - 1, 0)}{arrow}{' ' * (width - filled)}] {_human(current)}/{_human(total)}"


def _human(n: int) -> str:
    for unit in ("B", "kB", "MB", "GB"):
        if n < 1000:
            return f"{n:.3g}{unit}" if unit != "B" else f"{n}B"
        n /= 1000
    return f"{n:.3g}TB"
