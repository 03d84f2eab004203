"""The image catalog: the public images people run, as data (mockd/data/catalog/*.yaml), built into `Image`s.

Each catalog file describes one repository: its config (Entrypoint, Cmd, Env, ...), the files its programs need
and its variants (the tags of one build: `1.31.4, 1.31, 1, latest`), each on a base distribution described in
`_distros.yaml`. An image is two layers — the distribution's root filesystem and the image's own files — so the
same distribution release gives the same first layer in every image, as on Docker Hub. Everything is derived from
the data alone, so ids and digests are the same for a (name, tag) in every run.

Executables the catalog names are marker files: `#!mockd builtin: <pkg>` for the tools the built-in shell
implements (dispatched by name), `#!mockd program: <name>` for a program (nginx, redis-server, ...) the
simulated-programs registry gives a behaviour to.
"""

from __future__ import annotations

import copy
import functools
import posixpath
import re
from dataclasses import dataclass, field
from importlib import resources
from itertools import zip_longest
from typing import Any

import yaml

from . import references
from .filesystem import DIR, FILE, SYMLINK, FileTree, Layer, Node, diff, tar_layer
from .ids import digest, parse_time, sha256_hex
from .images import Image, empty_config

# The tools mockd's built-in shell implements, each an executable of the images (the generic one and the catalog's
# distributions) the shell runs by name.
APPLETS = ("sh ash bash echo printf cat true false sleep env printenv hostname id whoami pwd ls mkdir touch rm rmdir cp "
           "mv head tail wc grep tee seq date uname basename dirname test [ kill nproc yes ps chmod ln top find nslookup "
           "tr cut sort uniq expr wget nc httpd ping").split()
BASE_CREATED = "2026-08-03T00:00:00Z"  # the distribution snapshot the catalog's bases were written from
PROGRAM_MARKER = b"#!mockd program: "
BUILTIN_MARKER = b"#!mockd builtin: "
# Where a distribution has the tools the built-in shell implements: `bash` is GNU-only and `ash` busybox-only;
# `ps` and `top` are busybox's (Debian's and Ubuntu's base images have no procps), `nslookup` too (no dnsutils).
_GNU_ONLY = {"bash"}
_BUSYBOX_ONLY = {"ash", "ps", "top", "nslookup", "wget", "nc", "httpd", "ping"}  # Debian/Ubuntu bases ship none of these
_VAR = re.compile(r"\{(\w+)\}")
_CONFIG_ORDER = ("User", "ExposedPorts", "Env", "Cmd", "Healthcheck", "ArgsEscaped", "Volumes", "WorkingDir",
                 "Entrypoint", "OnBuild", "Labels", "StopSignal")
_SPECIAL_MODES = {"/tmp": 0o1777, "/var/tmp": 0o1777, "/root": 0o700, "/proc": 0o555, "/sys": 0o555}


class CatalogError(ValueError):
    """The catalog data is inconsistent (a bug in mockd/data/catalog, caught by the tests)."""


@dataclass(frozen=True)
class Variant:
    """One build of a catalog repository: the tags that name it, its base and its resolved spec."""

    repo: str
    tags: tuple[str, ...]
    base: str  # "debian:trixie", "alpine:3.24", "scratch"
    spec: dict = field(hash=False, compare=False)


def _official(repo: str) -> str:
    """"library/nginx" is how the registry names "nginx"."""
    return repo.removeprefix("library/")


def _expand(value: Any, variables: dict[str, str]) -> Any:
    """Substitute {name} for the variables given; other braces (nginx.conf blocks, ${SHELL} vars) stay."""
    if isinstance(value, str):
        return _VAR.sub(lambda m: variables.get(m.group(1), m.group(0)), value)
    if isinstance(value, list):
        return [_expand(v, variables) for v in value]
    if isinstance(value, dict):
        return {_expand(k, variables): _expand(v, variables) for k, v in value.items()}
    return value


def _merge_env(base: list[str], extra: list[str]) -> list[str]:
    """Docker's ENV semantics: a variable set again keeps its place and takes the new value."""
    out = list(base)
    for item in extra:
        name = item.split("=", 1)[0]
        for i, old in enumerate(out):
            if old.split("=", 1)[0] == name:
                out[i] = item
                break
        else:
            out.append(item)
    return out


def _merge_spec(into: dict, over: dict) -> dict:
    """A flavour or variant over the image: config keys, users and groups replace; `add_env` merges into Env
    by name; files add up, a null file removes one; vars add up."""
    out = copy.deepcopy(into)
    for key, value in over.items():
        if key == "config":
            out.setdefault("config", {}).update(copy.deepcopy(value))
        elif key == "add_env":
            config = out.setdefault("config", {})
            config["Env"] = _merge_env(config.get("Env") or [], value)
        elif key in ("files", "vars"):
            out.setdefault(key, {}).update(copy.deepcopy(value))
        else:
            out[key] = copy.deepcopy(value)
    return out


def _check_strings(where: str, values: Any) -> None:
    # YAML reads 3.20 as the float 3.2: every tag and variable must be written as a string.
    for value in values:
        if not isinstance(value, str):
            raise CatalogError(f"{where}: {value!r} must be a quoted string")


def split_tag(tag: str) -> tuple[tuple[int, ...], str]:
    """"13.4-alpine3.20" -> ((13, 4), "alpine3.20"); "alpine" -> ((), "alpine"); "v3.7" -> ((3, 7), "")."""
    m = re.match(r"^v?(\d+(?:\.\d+)*)(?:-(.*))?$", tag)
    if not m:
        return (), tag
    return tuple(int(p) for p in m.group(1).split(".")), m.group(2) or ""


class Catalog:
    def __init__(self, documents: dict[str, dict], distros: dict) -> None:
        self.families: dict[str, dict] = distros.get("families") or {}
        # package manager -> package -> {path: program}: what `apk add`/`apt-get install` place (_packages.yaml)
        self.packages: dict[str, dict[str, dict[str, str]]] = {k: distros.get(k) or {} for k in ("apk", "apt")}
        self.by_repo: dict[str, list[Variant]] = {}
        self.by_name: dict[tuple[str, str], Variant] = {}
        for source, doc in documents.items():
            self._add(source, doc)
        self._images: dict[Variant, tuple[dict, list[Layer], list[bytes], list[dict], int, dict]] = {}

    # -- loading --
    def _add(self, source: str, doc: dict) -> None:
        repo = doc.get("repository")
        if not repo:
            raise CatalogError(f"{source}: no repository")
        flavours = doc.get("flavours") or {}
        image = {k: v for k, v in doc.items() if k not in ("repository", "variants", "flavours")}
        variants = []
        for i, item in enumerate(doc.get("variants") or []):
            tags = item.get("tags") or []
            _check_strings(f"{source} variant {i} tags", tags)
            _check_strings(f"{source} variant {i} vars", (item.get("vars") or {}).values())
            spec = image
            if item.get("flavour"):
                if item["flavour"] not in flavours:
                    raise CatalogError(f"{source}: unknown flavour {item['flavour']!r}")
                spec = _merge_spec(spec, flavours[item["flavour"]])
            spec = _merge_spec(spec, {k: v for k, v in item.items() if k not in ("tags", "flavour")})
            base = spec.get("base", "scratch")
            self.family_release(base, source)  # fails early on an unknown base
            variant = Variant(repo, tuple(tags), base, spec)
            for tag in tags:
                if (repo, tag) in self.by_name:
                    raise CatalogError(f"{source}: tag {repo}:{tag} listed twice")
                self.by_name[(repo, tag)] = variant
            variants.append(variant)
        if not variants:
            raise CatalogError(f"{source}: no variants")
        self.by_repo.setdefault(repo, []).extend(variants)

    def family_release(self, base: str, source: str = "") -> tuple[dict, dict]:
        family_name, _, release = base.partition(":")
        family = self.families.get(family_name)
        release = release or family_name
        if family is None or release not in (family.get("releases") or {}):
            raise CatalogError(f"{source}: unknown base {base!r}")
        return family, {"release": release, **family["releases"][release]}

    # -- lookup --
    def repos(self) -> list[str]:
        return sorted(self.by_repo)

    @functools.cached_property
    def program_names(self) -> frozenset[str]:
        """The file names of the catalog's program markers (`httpd`, `redis-cli`, ...), in any variant."""
        return frozenset(posixpath.basename(path) for variants in self.by_repo.values() for v in variants
                         for path, item in (v.spec.get("files") or {}).items()
                         if isinstance(item, dict) and "program" in item)

    def knows(self, repo: str) -> bool:
        return _official(repo) in self.by_repo

    def variant(self, repo: str, tag: str) -> Variant | None:
        return self.by_name.get((_official(repo), tag))

    def by_digest(self, repo: str, manifest: str) -> Variant | None:
        """The variant a `repo@sha256:...` pull names (its manifest digest, as the registry computes it)."""
        return next((v for v in self.by_repo.get(_official(repo), []) if self.manifest_digest(v) == manifest), None)

    def nearest(self, repo: str, tag: str) -> Variant:
        """The listed variant closest to a tag the catalog does not list: the same flavour suffix ("-alpine",
        "-slim") and the nearest version; else the variant tagged latest."""
        variants = self.by_repo[_official(repo)]
        version, suffix = split_tag(tag)
        flavour = re.sub(r"[\d.]+$", "", suffix)  # "alpine3.20" -> "alpine"

        def tagged(v: Variant, want: str) -> list[tuple[int, ...]]:
            return [split_tag(t)[0] for t in v.tags if split_tag(t)[1] == want and split_tag(t)[0]]

        for want in (suffix, flavour) if suffix else ("",):
            candidates = [(v, tagged(v, want)) for v in variants]
            candidates = [(v, vs) for v, vs in candidates if vs]
            if candidates and version:
                def distance(item: tuple[Variant, list[tuple[int, ...]]]) -> tuple[int, ...]:
                    best = max(item[1], key=len)
                    return tuple(abs(a - b) for a, b in zip_longest(best, version, fillvalue=0))
                return min(candidates, key=distance)[0]
            named = [v for v in variants if want and want in v.tags]
            if named:
                return named[0]
            if candidates:
                return candidates[0][0]
        latest = self.by_name.get((_official(repo), "latest"))
        return latest or variants[0]

    # -- building --
    def image(self, variant: Variant) -> Image:
        """A fresh Image (the store tags it in place) sharing the variant's cached layers."""
        if variant not in self._images:
            self._images[variant] = self._build(variant)
        config, layers, tars, history, created_ns, extra = self._images[variant]
        return Image(config=copy.deepcopy(config), layers=layers, history=copy.deepcopy(history),
                     created_ns=created_ns, container_config=None, architecture=extra["architecture"],
                     os=extra["os"], _layer_tars=tars, _diff_ids=[digest(t) for t in tars])

    def manifest_digest(self, variant: Variant) -> str:
        return digest(f"{variant.repo}:{self.image(variant).id}")

    def _build(self, variant: Variant):
        family, release = self.family_release(variant.base)
        spec = variant.spec
        base_vars = {k: str(v) for k, v in release.items() if k not in ("usrmerge", "files")}
        base_vars.setdefault("major", base_vars.get("release", ""))
        variables = {**base_vars, **{k: str(v) for k, v in (spec.get("vars") or {}).items()}}
        for _ in range(2):  # a variable may use another ("1~{codename}")
            variables = {k: _expand(v, variables) for k, v in variables.items()}
        created = spec.get("created") or BASE_CREATED
        created_ns = parse_time(created) or 0
        # The base layer depends on the distribution release only, so images on one base share it.
        base_created = release.get("created") or family.get("created") or BASE_CREATED
        base_epoch = (parse_time(base_created) or 0) / 1e9
        base = _distro_tree(family, release, base_vars, base_epoch)
        top = base.copy()
        epoch = created_ns / 1e9
        _add_accounts(top, spec, variables, epoch)
        for path, item in _expand(spec.get("files") or {}, variables).items():
            if item is not None:
                _place(top, path, item, epoch)
            elif top.get(path) is not None:  # null: a file the base or the image has goes (a whiteout)
                top.remove(path, recursive=True)
        layers = [layer for layer in (diff(FileTree(), base), diff(base, top)) if layer]
        tars = [tar_layer(layer) for layer in layers]
        config = _image_config(family, spec, variables)
        history = _history(family, variant, config, base_created, created, bool(layers and diff(base, top)),
                           bool(diff(FileTree(), base)), base_vars)
        extra = {"architecture": spec.get("architecture", "amd64"), "os": spec.get("os", "linux")}
        return config, layers, tars, history, created_ns, extra


# -- filesystems --------------------------------------------------------------------------------------------

def _marker(kind: bytes, name: str) -> bytes:
    return kind + name.encode() + b"\n"


def _distro_tree(family: dict, release: dict, variables: dict[str, str], epoch: float) -> FileTree:
    tree = FileTree()
    tree.nodes["/"] = Node(DIR, mode=0o755, mtime=epoch)
    usrmerge = release.get("usrmerge", family.get("usrmerge", False))
    dirs = list(family.get("dirs") or [])
    if family.get("tools") == "gnu" and not usrmerge:
        dirs += ["/bin", "/sbin", "/lib"]
    for d in dirs:
        _mkdirs(tree, d, epoch)
    if family.get("tools") == "gnu" and usrmerge:
        for link in ("bin", "sbin", "lib", "lib64"):
            tree.nodes[f"/{link}"] = Node(SYMLINK, target=f"usr/{link}", mode=0o777, mtime=epoch)
    _place_tools(tree, family, usrmerge, epoch)
    # A release's own `files` replace the family's (alpine-baselayout dropped users, such as postgres, over time).
    files = {**(family.get("files") or {}), **(release.get("files") or {})}
    for path, item in _expand(files, variables).items():
        _place(tree, path, item, epoch)
    return tree


def _mkdirs(tree: FileTree, path: str, epoch: float) -> None:
    """mkdir -p stamped with the image's time (FileTree.mkdir stamps now, which would change ids per run)."""
    real = tree.resolve(path)
    if real == "/" or real in tree.nodes:
        return
    _mkdirs(tree, posixpath.dirname(real) or "/", epoch)
    tree.nodes[real] = Node(DIR, mode=_SPECIAL_MODES.get(real, 0o755), mtime=epoch)


def _place_tools(tree: FileTree, family: dict, usrmerge: bool, epoch: float) -> None:
    tools = family.get("tools", "none")
    if tools == "busybox":
        busybox = _marker(BUILTIN_MARKER, "busybox")
        tree.nodes["/bin/busybox"] = Node(FILE, busybox, mode=0o755, mtime=epoch)
        for applet in APPLETS:
            if applet in _GNU_ONLY or applet in family.get("without", ()):
                continue
            if family.get("links") == "symlinks":
                tree.nodes[f"/bin/{applet}"] = Node(SYMLINK, target="/bin/busybox", mode=0o777, mtime=epoch)
            else:
                tree.nodes[f"/bin/{applet}"] = Node(FILE, busybox, mode=0o755, mtime=epoch)
        _mkdirs(tree, "/usr/bin", epoch)
        tree.nodes["/usr/bin/env"] = Node(SYMLINK, target="/bin/busybox", mode=0o777, mtime=epoch)
    elif tools == "gnu":
        bindir = "/usr/bin" if usrmerge else "/bin"
        _mkdirs(tree, bindir, epoch)
        coreutils = _marker(BUILTIN_MARKER, "coreutils")
        for applet in APPLETS:
            if applet in _BUSYBOX_ONLY or applet in ("sh",):
                continue
            package = {"bash": "bash"}.get(applet, "coreutils")
            data = coreutils if package == "coreutils" else _marker(BUILTIN_MARKER, package)
            tree.nodes[f"{bindir}/{applet}"] = Node(FILE, data, mode=0o755, mtime=epoch)
        shell = family.get("sh", "dash")
        if shell == "dash":
            tree.nodes[f"{bindir}/dash"] = Node(FILE, _marker(BUILTIN_MARKER, "dash"), mode=0o755, mtime=epoch)
        tree.nodes[f"{bindir}/sh"] = Node(SYMLINK, target=shell, mode=0o777, mtime=epoch)
        if not usrmerge:
            _mkdirs(tree, "/usr/bin", epoch)
            tree.nodes["/usr/bin/env"] = Node(FILE, coreutils, mode=0o755, mtime=epoch)
    elif tools != "none":
        raise CatalogError(f"unknown tools {tools!r}")


def _owner_ids(tree: FileTree, owner: str | None) -> tuple[int, int]:
    if not owner:
        return 0, 0
    user, _, group = owner.partition(":")

    def lookup(path: str, name: str, column: int) -> int:
        if name.isdigit():
            return int(name)
        for line in tree.read(path).decode().splitlines():
            row = line.split(":")
            if row[0] == name:
                return int(row[column])
        raise CatalogError(f"owner {owner!r}: no {name!r} in {path}")

    uid = lookup("/etc/passwd", user, 2)
    gid = lookup("/etc/group", group, 2) if group else lookup("/etc/passwd", user, 3)
    return uid, gid


def _place(tree: FileTree, path: str, item: Any, epoch: float) -> None:
    """One catalog file entry: text, or {program|builtin|symlink|dir|text, mode, owner}."""
    if isinstance(item, str):
        item = {"text": item}
    uid, gid = _owner_ids(tree, item.get("owner"))
    parent = posixpath.dirname(path) or "/"
    _mkdirs(tree, parent, epoch)
    real = tree.resolve(parent) + "/" + posixpath.basename(path)
    mode = item.get("mode")
    if isinstance(mode, str):
        mode = int(mode, 8)
    if "symlink" in item:
        tree.nodes[real] = Node(SYMLINK, target=item["symlink"], mode=0o777, mtime=epoch)
    elif item.get("dir"):
        tree.nodes[real] = Node(DIR, mode=mode if mode is not None else 0o755, mtime=epoch, uid=uid, gid=gid)
    elif "program" in item:
        # Other keys are what the binary reports about itself (`version: 3.7.11`), one `key: value` line each.
        info = "".join(f"{k}: {v}\n" for k, v in item.items() if k not in ("program", "mode", "owner"))
        tree.nodes[real] = Node(FILE, _marker(PROGRAM_MARKER, item["program"]) + info.encode(), mode=mode or 0o755,
                                mtime=epoch, uid=uid, gid=gid)
    elif "builtin" in item:
        tree.nodes[real] = Node(FILE, _marker(BUILTIN_MARKER, item["builtin"]), mode=mode or 0o755, mtime=epoch,
                                uid=uid, gid=gid)
    elif "text" in item:
        data = item["text"].encode()
        tree.nodes[real] = Node(FILE, data, mode=mode if mode is not None else 0o644, mtime=epoch, uid=uid, gid=gid)
    else:
        raise CatalogError(f"{path}: unknown file entry {item!r}")


def _add_accounts(tree: FileTree, spec: dict, variables: dict[str, str], epoch: float) -> None:
    """groupadd/useradd (and userdel) as the image's Dockerfile runs them: lines added to, or taken from, the
    base's /etc/group and /etc/passwd."""
    for key, path in (("groups", "/etc/group"), ("users", "/etc/passwd")):
        lines = _expand(spec.get(key) or [], variables)
        drop = set(spec.get("drop_" + key) or [])
        if not lines and not drop:
            continue
        old = tree.read(path).decode().splitlines(keepends=True) if tree.exists(path) else []
        kept = [line for line in old if line.split(":", 1)[0] not in drop]
        text = "".join(kept) + "".join(line + "\n" for line in lines)
        tree.nodes[tree.resolve(path)] = Node(FILE, text.encode(), mode=0o644, mtime=epoch)


# -- config and history -------------------------------------------------------------------------------------

def _image_config(family: dict, spec: dict, variables: dict[str, str]) -> dict:
    merged = dict(_expand(family.get("config") or {}, variables))
    own = _expand(spec.get("config") or {}, variables)
    merged.update({k: v for k, v in own.items() if k != "Env"})
    if "Entrypoint" in own and "Cmd" not in own:
        merged.pop("Cmd", None)  # a Dockerfile's ENTRYPOINT resets the CMD its base image had (alpine/socat)
    merged["Env"] = _merge_env(merged.get("Env") or [], own.get("Env") or [])
    config = empty_config()
    config["Env"] = None
    for key in _CONFIG_ORDER:
        if key not in merged:
            continue
        value = merged[key]
        if key in ("ExposedPorts", "Volumes") and isinstance(value, list):
            value = {str(p) if "/" in str(p) or key == "Volumes" else f"{p}/tcp": {} for p in value}
        config[key] = value
    unknown = set(merged) - set(_CONFIG_ORDER)
    if unknown:
        raise CatalogError(f"unknown config keys {sorted(unknown)}")
    return config


def _json_list(value: list[str]) -> str:
    return "[" + " ".join('"' + v.replace('"', '\\"') + '"' for v in value) + "]"


def _history(family: dict, variant: Variant, config: dict, base_created: str, created: str, image_layer: bool,
             base_layer: bool, variables: dict[str, str]) -> list[dict]:
    """`docker history` entries as BuildKit records them: the base's ADD and CMD, then the image's steps."""
    history: list[dict] = []
    if base_layer:
        # The base's own steps as its build recorded them (the family's `history`).
        variables = {**variables, "rootfs": sha256_hex(variant.base)}
        for item in _expand(family.get("history") or [], variables):
            entry = {"created": base_created, "created_by": item["by"]}
            if item.get("buildkit"):
                entry["comment"] = "buildkit.dockerfile.v0"
            if not item.get("layer"):
                entry["empty_layer"] = True
            history.append(entry)
    step = {"created": created, "comment": "buildkit.dockerfile.v0"}
    for item in config.get("Env") or []:
        if not item.startswith("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin") or \
                item != "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin":
            history.append({**step, "created_by": f"ENV {item}", "empty_layer": True})
    if image_layer:
        history.append({**step, "created_by": "COPY rootfs / # buildkit"})
    for key, word in (("Volumes", "VOLUME"), ("WorkingDir", "WORKDIR"), ("User", "USER"),
                      ("Entrypoint", "ENTRYPOINT"), ("ExposedPorts", "EXPOSE"), ("StopSignal", "STOPSIGNAL"),
                      ("Cmd", "CMD")):
        value = config.get(key)
        if not value or (key == "Cmd" and value == (family.get("config") or {}).get("Cmd")):
            continue
        if isinstance(value, dict):
            text = f"{word} map[" + " ".join(f"{k}:{{}}" for k in value) + "]" if key == "ExposedPorts" \
                else f"{word} {_json_list(list(value))}"
        elif isinstance(value, list):
            text = f"{word} {_json_list(value)}"
        else:
            text = f"{word} {value}"
        history.append({**step, "created_by": text, "empty_layer": True})
    return history


# -- the catalog shipped with mockd -------------------------------------------------------------------------

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's parser: the catalog loads in a tenth of the time


@functools.cache
def catalog() -> Catalog:
    folder = resources.files("mockd") / "data" / "catalog"
    documents: dict[str, dict] = {}
    distros: dict = {}
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".yaml"):
            continue
        doc = yaml.load(entry.read_text(), Loader=_LOADER)
        if entry.name.startswith("_"):
            distros.update(doc)
        else:
            documents[entry.name] = doc
    return Catalog(documents, distros)


def lookup(ref: references.Reference) -> Variant | None:
    """The catalog variant a tag names, or None (also for repositories outside the catalog)."""
    if ref.tag is None:
        return None
    return catalog().variant(ref.repo, ref.tag)
