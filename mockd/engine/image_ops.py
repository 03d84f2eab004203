"""Image operations of the engine: pull/push against the mock registry, tag/remove/prune, search,
save/load/import, commit and build."""

from __future__ import annotations

import copy
import io
import json
import posixpath
import tarfile
from collections.abc import AsyncIterator

from specs.godecode import go_decode_error

from . import dockerfile, filesystem, platforms, references
from .build import build
from .errors import EngineError, InvalidParameter, NotFound
from .filters import label_matches
from .gotar import go_tar_problem
from .ids import digest, now_ns, parse_time, rfc3339
from .images import Image, empty_config, ref_matches
from .registry import pull_progress, push_progress
from .state import DaemonState

# The filters `POST /build/prune` accepts (dockerd's BuildKit builder): anything else is a 400.
BUILD_CACHE_FILTERS = {"until", "unused-for", "id", "parent", "type", "description", "inuse", "shared", "private"}


class ImageOps:
    def __init__(self, state: DaemonState) -> None:
        self.state = state

    def pull(self, from_image: str, tag: str = "", platform: str = "") -> list[dict]:
        """Pull into the store; the progress messages dockerd streams. Refusals raise before any output."""
        if platform:
            platforms.parse(platform)
        if not from_image:
            # dockerd treats a create without fromImage as an import from an empty URL.
            raise EngineError('Get "http:": http: no Host in request URL', 500)
        ref = references.parse(from_image, tag if tag and not tag.startswith("sha256:") else None)
        if tag.startswith("sha256:"):
            ref = references.Reference(ref.repo, None, tag)
        if not ref.tag and not ref.digest:
            ref = references.Reference(ref.repo, "latest", None)
        remote = self.state.registry.resolve(ref)
        manifest = self.state.registry.manifest_digest(ref, remote)
        existing = self.state.images.find(ref.name)
        fresh = existing is None or existing.id != remote.id
        image = self.state.images.add(remote)
        repo_digest = f"{ref.repo}@{manifest}"
        if repo_digest not in image.repo_digests:
            image.repo_digests.append(repo_digest)
        if not ref.digest or ref.tag:
            old = self.state.images.tag(image, ref.name)
            if old:
                self.state.events.emit("image", "untag", old, {"name": old})
        self.state.events.emit("image", "pull", ref.name if not ref.digest else f"{ref.repo}@{ref.digest}",
                         {"name": ref.repo})
        return pull_progress(ref, image, manifest, fresh)

    def push(self, name: str, tag: str = "") -> list[dict]:
        ref = references.parse(name, tag or None)
        image = self.state.images.find(ref.name)
        if image is None:
            raise NotFound(f"An image does not exist locally with the tag: {ref.repo}")
        refusal = self.state.registry.refusal_for(ref)
        if refusal is not None:
            raise EngineError("denied: requested access to the resource is denied", 404)
        manifest = self.state.registry.manifest_digest(ref, image)
        self.state.registry.pushed[ref.name] = image
        repo_digest = f"{ref.repo}@{manifest}"
        if repo_digest not in image.repo_digests:
            image.repo_digests.append(repo_digest)
        self.state.events.emit("image", "push", ref.name, {"name": ref.repo})
        return push_progress(ref, image, manifest)

    def list_images(self, filters: dict[str, list[str]], all_: bool = False, shared_size: bool = False) -> list[dict]:
        """`docker images`: the summaries, with the per-image container count (the serializer sends -1, "not
        computed", to requests below 1.51 that do not ask for `shared_size`)."""
        counts = self.state.image_container_counts()
        out = []
        for image in self.state.images.list(filters, all_=all_):
            summary = image.summary(containers=counts.get(image.id, 0))
            if filters.get("reference"):  # dockerd lists only the tags that matched
                summary["RepoTags"] = [t for t in image.repo_tags
                                       if any(ref_matches(t, pattern) for pattern in filters["reference"])]
                repos = {t.rsplit(":", 1)[0] for t in summary["RepoTags"]}
                summary["RepoDigests"] = [d for d in image.repo_digests if d.split("@", 1)[0] in repos]
            if shared_size:
                summary["SharedSize"] = 0
            out.append(summary)
        return out

    def inspect_image(self, ref: str) -> Image:
        image = self.state.images.find(ref)
        if image is None:
            if references.is_id_like(ref):
                raise NotFound(f"no such image: {ref}: No such image: {ref}")
            try:
                display = references.parse(ref).name
            except EngineError as err:  # GetImage's InvalidParameter, wrapped by the inspect router (400)
                raise InvalidParameter(f"no such image: {ref}: {err.message}") from None
            raise NotFound(f"no such image: {ref}: No such image: {display}")
        return image

    def tag_image(self, source: str, repo: str, tag: str = "") -> None:
        """20.10's TagImage: the image first (404), then the new name, whose errors are plain ones (500)."""
        image = self.state.images.get(source)
        ref = references.parse_new_tag(repo, tag)
        if ref.digest:
            raise InvalidParameter("refusing to create a tag with a digest reference")
        old = self.state.images.tag(image, ref.name)
        if old:
            self.state.events.emit("image", "untag", old, {"name": old})
        self.state.events.emit("image", "tag", image.id, {"name": ref.name})

    def remove_image(self, ref: str, force: bool = False, noprune: bool = False) -> list[dict]:
        image = self.state.images.get(ref)
        users = self.state.image_users(image)
        self.state.images.check_remove(image, ref, force, users)
        out: list[dict] = []
        name_key = None
        if not references.is_id_like(ref) or ref in self.state.images.tags:
            try:
                name_key = references.parse(ref).name
            except EngineError:
                name_key = None
            if name_key not in self.state.images.tags:
                name_key = None
        if name_key is not None:
            self.state.images.untag(name_key)
            out.append({"Untagged": name_key})
            repo = name_key.rsplit(":", 1)[0]
            if not any(t.rsplit(":", 1)[0] == repo for t in image.repo_tags):
                for d in [d for d in image.repo_digests if d.startswith(repo + "@")]:
                    image.repo_digests.remove(d)
                    out.append({"Untagged": d})
            self.state.events.emit("image", "untag", image.id, {"name": image.id})
            if image.repo_tags or users:
                return out
        else:
            for tag in list(image.repo_tags):
                self.state.images.untag(tag)
                out.append({"Untagged": tag})
                self.state.events.emit("image", "untag", image.id, {"name": image.id})
            for d in list(image.repo_digests):
                out.append({"Untagged": d})
            image.repo_digests.clear()
            if any(running for _, running in users):
                return out
        self.state.images.remove(image)
        out.append({"Deleted": image.id})
        self.state.events.emit("image", "delete", image.id, {"name": image.id})
        return out

    def prune_images(self, filters: dict | None = None) -> dict:
        filters = dict(filters or {})
        dangling = (filters.pop("dangling", None) or ["true"])[0].lower() in ("true", "1")
        until = filters.pop("until", None)
        until_ns = parse_time(until[0]) if until else None
        deleted: list[dict] = []
        reclaimed = 0
        used = {c.image.id for c in self.state.containers.values()}
        for image in list(self.state.images.images.values()):
            if image.id in used or (dangling and image.repo_tags):
                continue
            if until_ns is not None and image.created_ns > until_ns:
                continue
            labels = image.config.get("Labels") or {}
            if not all(label_matches(labels, v) for v in filters.get("label", [])):
                continue
            if any(label_matches(labels, v) for v in filters.get("label!", [])):
                continue
            for tag in list(image.repo_tags):
                self.state.images.untag(tag)
                deleted.append({"Untagged": tag})
            self.state.images.remove(image)
            deleted.append({"Deleted": image.id})
            reclaimed += image.size
            self.state.events.emit("image", "delete", image.id, {"name": image.id})
        self.state.events.emit("image", "prune", "", {"reclaimed": str(reclaimed)})
        return {"ImagesDeleted": deleted or None, "SpaceReclaimed": reclaimed}

    def search(self, term: str, limit: int = 25, filters: dict | None = None, automated: bool = True) -> list[dict]:
        """``automated``: whether the registry's is_automated is passed on (engines before 26.0); newer ones force it
        to false and answer nothing for is-automated=true."""
        if not term:
            return []
        base = term.split("/")[-1].split(":")[0]
        stars_seed = int(digest(base)[7:13], 16)
        results = [{"name": base, "description": f"Official build of {base}.", "star_count": stars_seed % 9000 + 1000,
                    "is_official": True, "is_automated": False}]
        for i, owner in enumerate(("bitnami", "library-mirror", "mockd", "acme", "example")):
            results.append({"name": f"{owner}/{base}", "description": f"{base} packaged by {owner}",
                            "star_count": (stars_seed >> (i + 1)) % 500, "is_official": False,
                            "is_automated": i % 2 == 1})
        if not automated:
            for r in results:
                r["is_automated"] = False
        for key, values in (filters or {}).items():
            for v in values:
                if key == "is-automated" and not automated:
                    if v.lower() in ("true", "1"):
                        return []
                elif key == "stars":
                    results = [r for r in results if r["star_count"] >= int(v)]
                elif key == "is-official":
                    results = [r for r in results if r["is_official"] == (v.lower() in ("true", "1"))]
                elif key == "is-automated":
                    results = [r for r in results if r["is_automated"] == (v.lower() in ("true", "1"))]
                else:
                    raise InvalidParameter(f"invalid filter '{key}'")
        return results[: limit or 25]

    # -- archives --
    def save(self, names: list[str]) -> bytes:
        """`docker save`: the classic archive layout (manifest.json, repositories, <id>.json, <layer>/layer.tar)."""
        buf = io.BytesIO()
        manifest, repositories, written = [], {}, set()
        with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
            for name in names:
                image = self.state.images.get(name)
                tags = []
                if not references.is_id_like(name) or name in self.state.images.tags:
                    try:
                        ref = references.parse(name)
                        tags = [ref.name] if ref.name in image.repo_tags else list(image.repo_tags)
                    except EngineError:
                        tags = []
                config_name = image.id[7:] + ".json"
                layer_paths = []
                parent = ""
                for diff_id, layer_tar in zip(image.diff_ids(), image.layer_tars(), strict=True):
                    layer_id = digest(parent + diff_id)[7:]
                    layer_paths.append(f"{layer_id}/layer.tar")
                    if layer_id not in written:
                        written.add(layer_id)
                        _add(tar, f"{layer_id}/", None)
                        _add(tar, f"{layer_id}/VERSION", b"1.0")
                        _add(tar, f"{layer_id}/json", json.dumps({"id": layer_id, **({"parent": parent}
                                                                                     if parent else {})}).encode())
                        _add(tar, f"{layer_id}/layer.tar", layer_tar)
                    parent = layer_id
                if config_name not in written:
                    written.add(config_name)
                    _add(tar, config_name, image.config_json())
                manifest.append({"Config": config_name, "RepoTags": tags or None, "Layers": layer_paths})
                for tag in tags:
                    repo, _, t = tag.rpartition(":")
                    repositories.setdefault(repo, {})[t] = layer_paths[-1].split("/")[0] if layer_paths else ""
                self.state.events.emit("image", "save", image.id, {"name": name})
            _add(tar, "manifest.json", json.dumps(manifest).encode())
            if repositories:
                _add(tar, "repositories", json.dumps(repositories).encode())
        return buf.getvalue()

    def load(self, data: bytes, quiet: bool = False) -> list[dict]:
        problem = go_tar_problem(data)
        try:
            files = filesystem.read_tar_files(data) if problem is None else None
        except Exception:  # noqa: BLE001 - what dockerd's untar reports for anything unreadable
            files = None
        if files is None:
            return [_stream_error(f"Error processing tar file(exit status 1): {problem or 'unexpected EOF'}")]
        entry = files.get("manifest.json")
        if entry is None:
            if "index.json" in files:
                raise InvalidParameter("unsupported OCI archive")
            # Without a manifest 20.10's tarexport falls back to the legacy format, which needs `repositories`.
            return [_stream_error("open /var/lib/docker/tmp/docker-import-1/repositories: no such file or directory")]
        manifest = parse_manifest(entry[1])
        if isinstance(manifest, str):
            return [_stream_error(manifest)]
        out = []
        if not manifest:
            out.append({})  # nothing loaded: the progress stream's one empty message (measured)
        for item in manifest:
            raw_config = files[item["Config"].lstrip("/")][1]
            cfg = json.loads(raw_config)
            layers = [filesystem.layer_from_tar(_archive_file(files, p)) for p in item.get("Layers") or []]
            image = Image(config=cfg.get("config") or empty_config(), layers=layers, history=cfg.get("history") or [],
                          created_ns=parse_time(cfg.get("created")) or 0, comment=cfg.get("comment", ""),
                          author=cfg.get("author", ""), container=cfg.get("container", ""),
                          container_config=cfg.get("container_config"),
                          architecture=cfg.get("architecture", "amd64"), os=cfg.get("os", "linux"),
                          id=digest(raw_config), raw_config=raw_config)
            image = self.state.images.add(image)
            tags = item.get("RepoTags") or []
            for tag in tags:
                old = self.state.images.tag(image, tag)
                if old and old != image.id:
                    self.state.events.emit("image", "untag", old, {"name": old})
                    out.append({"stream": f"The image {tag} already exists, renaming the old one with ID {old} "
                                          "to empty string\n"})
                out.append({"stream": f"Loaded image: {references.parse(tag).name}\n"})
            if not tags:
                out.append({"stream": f"Loaded image ID: {image.id}\n"})
            self.state.events.emit("image", "load", image.id, {"name": image.id})
        return out

    def import_image(self, data: bytes, repo: str = "", tag: str = "", changes: list[str] | None = None,
                     message: str = "", platform: str = "") -> list[dict]:
        if platform:
            platforms.parse(platform)
        try:
            layer = filesystem.layer_from_tar(data) if data else {}
        except Exception as err:  # noqa: BLE001
            raise InvalidParameter(f"Error processing tar file: {err}") from None
        layer = {p: n for p, n in layer.items() if n is not None}
        config = empty_config()
        config["Env"] = None
        dockerfile.apply_changes(config, changes or [])
        now = now_ns()
        image = Image(config=config, layers=[layer], comment=message or "Imported from -",
                      history=[{"created": rfc3339(now), "created_by": "", "comment": message or "Imported from -"}],
                      created_ns=now)
        image = self.state.images.add(image)
        if repo:
            ref = references.parse(repo, tag or None)
            old = self.state.images.tag(image, ref.name)
            if old:
                self.state.events.emit("image", "untag", old, {"name": old})
        self.state.events.emit("image", "import", image.id, {"name": image.id})
        return [{"status": image.id}]

    def commit(self, container_ref: str, repo: str = "", tag: str = "", comment: str = "",
               author: str = "", changes: list[str] | None = None, pause: bool = True,
               config: dict | None = None) -> Image:
        c = self.state.container(container_ref)
        cfg = copy.deepcopy(c.config)
        cfg.pop("Hostname", None)
        base = {"Hostname": c.config.get("Hostname", ""), **cfg}
        if config:
            base.update({k: v for k, v in config.items() if v not in (None, "", [], {})})
        dockerfile.apply_changes(base, changes or [])
        base["Image"] = c.image.id
        layer = filesystem.diff(c.base, c.rootfs)
        for p in [p for p, n in layer.items() if n is None and p not in c.image.rootfs().nodes]:
            del layer[p]
        now = now_ns()
        history = copy.deepcopy(c.image.history)
        history.append({"created": rfc3339(now), "created_by": c.command_text(), **({"comment": comment}
                                                                                  if comment else {}),
                        **({"author": author} if author else {})})
        image = Image(config=base, layers=[*c.image.layers, layer], history=history, created_ns=now,
                      parent=c.image.id, comment=comment, author=author, container=c.id,
                      container_config=copy.deepcopy(c.config))
        image = self.state.images.add(image)
        if repo:
            ref = references.parse(repo, tag or None)
            old = self.state.images.tag(image, ref.name)
            if old:
                self.state.events.emit("image", "untag", old, {"name": old})
        self.state.container_event(c, "commit", comment=comment, imageID=image.id,
                              imageRef=(references.parse(repo, tag or None).name if repo else ""))
        return image

    def check_build_context(self, context: bytes, dockerfile_path: str) -> None:
        """What the builder refuses before it answers with a stream (a 500 in JSON): a context Go's tar reader
        cannot read, a context without the Dockerfile (20.10's legacy builder, measured)."""
        problem = go_tar_problem(context) if context else None
        if problem is not None:
            raise EngineError(problem, 500)
        try:
            files = filesystem.read_tar_files(context) if context else {}
        except Exception:  # noqa: BLE001 - a compressed stream the builder reads while streaming reports itself
            return
        if posixpath.normpath(dockerfile_path or "Dockerfile").lstrip("/") not in files:
            raise EngineError(f"Cannot locate specified Dockerfile: {dockerfile_path or 'Dockerfile'}", 500)

    def build(self, context: bytes, tags: list[str], platform: str = "", **options) -> AsyncIterator[dict]:
        if platform:
            platforms.parse(platform)  # a 400 before the build's stream starts
        return build(self, context, tags, **options)

    def prune_build_cache(self, filters: dict | None = None) -> dict:
        """Build prune deletes BuildKit's cache; mockd's builder is the classic one, whose cache is its images'
        steps (build_cache.py), which dockerd's prune leaves alone too. So nothing is deleted; the filters are
        still checked (BuildKit's keys) and the builder's prune event is sent, as dockerd does."""
        unknown = sorted(set(filters or {}) - BUILD_CACHE_FILTERS)
        if unknown:
            raise InvalidParameter(f"failed to prune build cache: Invalid filter '{unknown[0]}'")
        self.state.events.emit("builder", "prune", "", {"reclaimed": "0"})
        return {"CachesDeleted": None, "SpaceReclaimed": 0}  # Go's nil slice of deleted ids: null


def _stream_error(message: str) -> dict:
    return {"errorDetail": {"message": message}, "error": message}


def parse_manifest(raw: bytes) -> list | str:
    """manifest.json as tarexport decodes it into []manifestItem: the list, or Go's error text."""
    problem = go_decode_error(raw.decode("utf-8", "replace"))
    if problem is not None:
        return problem
    value = json.loads(raw)
    if value is None:
        return []
    if not isinstance(value, list):
        kind = "object" if isinstance(value, dict) else "string" if isinstance(value, str) else (
            "bool" if isinstance(value, bool) else "number")
        return f"json: cannot unmarshal {kind} into Go value of type []tarexport.manifestItem"
    return [item for item in value if isinstance(item, dict)]


def _add(tar: tarfile.TarFile, name: str, data: bytes | None) -> None:
    info = tarfile.TarInfo(name.rstrip("/") if data is None else name)
    info.mtime = 0
    if data is None:
        info.type = tarfile.DIRTYPE
        info.mode = 0o755
        tar.addfile(info)
    else:
        info.size = len(data)
        info.mode = 0o644
        tar.addfile(info, io.BytesIO(data))


__all__ = ["ImageOps"]


def _archive_file(files: dict[str, tuple[tarfile.TarInfo, bytes]], name: str) -> bytes:
    """The content of a `docker save` archive's member, its symlinks followed: the legacy layout links a layer
    that two images share (`<id>/layer.tar -> ../<other>/layer.tar`)."""
    path = name.lstrip("/")
    for _ in range(16):
        info, content = files[path]
        if not info.issym():
            return content
        path = posixpath.normpath(posixpath.join(posixpath.dirname(path), info.linkname)).lstrip("/")
    raise InvalidParameter(f"too many levels of symbolic links: {name}")
