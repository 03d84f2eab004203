"""The classic builder (DOCKER_BUILDKIT=0): a tar context with a Dockerfile, each step run in the simulated
process model, the same `{"stream": ...}` / `{"aux": ...}` messages dockerd sends."""

from __future__ import annotations

import asyncio
import copy
import fnmatch
import itertools
import json
import posixpath
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from . import dockerfile, dockerignore, filesystem, references
from .build_cache import Snapshot, StepCache
from .errors import EngineError
from .filesystem import FileTree, MountedFS
from .ids import digest, new_id, now_ns, rfc3339, short
from .images import Image, empty_config
from .network_ops import etc_hosts, network_lookup
from .pipe import Pipe
from .runtime import Job, StartError, launch

if TYPE_CHECKING:
    from .image_ops import ImageOps


class BuildError(Exception):
    def __init__(self, message: str, code: int | None = None):
        super().__init__(message)
        self.message = message
        self.code = code


@dataclass
class Stage:
    name: str
    config: dict
    tree: FileTree
    layers: list
    history: list
    base: Image | None
    parent_id: str
    steps_id: str  # the build cache's key of the last step (build_cache.py), shown as the step's image id
    env_args: dict[str, str] = field(default_factory=dict)
    keys: list[str] = field(default_factory=list)  # the keys of all its steps (Image.build_steps)

    def step_key(self, ins: dockerfile.Instruction, content: str = "") -> str:
        """A step's cache key: its parent step, the instruction, the build args in scope (dockerd's cache
        compares the step's config, which holds them) and, for COPY/ADD, what was copied."""
        return digest(self.steps_id + ins.original + json.dumps(self.env_args, sort_keys=True) + content)

    def resume(self, key: str, hit: Snapshot | None = None) -> None:
        """Go on after a step (its result taken from the cache when `hit`)."""
        if hit is not None:
            self.config, self.tree, self.layers, self.history = hit.config, hit.tree, hit.layers, hit.history
        self.steps_id = key
        self.keys.append(key)


@dataclass
class RunOptions:
    """How the RUN steps' containers are set up (`extrahosts`, `networkmode`)."""

    extra_hosts: list[str] = field(default_factory=list)
    network_mode: str = ""


async def build(engine: ImageOps, context: bytes, tags: list[str], dockerfile_path: str = "Dockerfile",
                buildargs: dict | None = None, labels: dict | None = None, target: str = "",
                quiet: bool = False, pull: bool = False, run: RunOptions | None = None, nocache: bool = False,
                cache_from: list[str] | None = None) -> AsyncIterator[dict]:
    """Yields dockerd's build messages; the last is an error message or the final tags.

    Quiet (`q=1`, `docker build -q`): dockerd holds the output back and sends only the image id; when the build
    fails it sends the held-back output before the error, so the user still sees what went wrong."""
    cache = StepCache(engine.state.images, nocache, cache_from)
    messages = _build(engine, context, tags, dockerfile_path, buildargs, labels, target, pull, run or RunOptions(),
                      cache)
    if not quiet:
        async for message in messages:
            yield message
        return
    held: list[dict] = []
    image_id = ""
    async for message in messages:
        if "error" in message:
            for h in held:
                yield h
            yield message
            return
        if "aux" in message:
            image_id = message["aux"].get("ID", "")
        else:
            held.append(message)
    yield {"stream": f"{image_id}\n"}


async def _build(engine: ImageOps, context: bytes, tags: list[str], dockerfile_path: str, buildargs: dict | None,
                 labels: dict | None, target: str, pull: bool, run: RunOptions, cache: StepCache
                 ) -> AsyncIterator[dict]:
    try:
        files = filesystem.read_tar_files(context) if context else {}
    except Exception as err:  # noqa: BLE001
        yield {"error": f"Error processing tar file: {err}", "errorDetail": {"message": f"{err}"}}
        return
    name = posixpath.normpath(dockerfile_path or "Dockerfile").lstrip("/")
    entry = files.get(name)
    if entry is None:
        message = f"Cannot locate specified Dockerfile: {dockerfile_path or 'Dockerfile'}"
        yield {"errorDetail": {"message": message}, "error": message}
        return
    try:
        instructions = dockerfile.parse(entry[1].decode(errors="replace"))
    except EngineError as err:
        yield {"errorDetail": {"message": err.message}, "error": err.message}
        return
    ignore = files.get(".dockerignore")
    removed = set(dockerignore.removed_by_daemon(ignore[1].decode(errors="replace"), name) if ignore else [])
    context_tree = FileTree()
    for path, (info, content) in sorted(files.items()):
        if not path or path in removed:
            if posixpath.dirname(path):  # the file goes, its directory stays (dockerd removes just the file)
                context_tree.mkdir("/" + posixpath.dirname(path), parents=True)
            continue
        node = filesystem.node_from(info, content)
        if node is not None:
            context_tree.put("/" + path, node)
    buildargs = {k: v for k, v in (buildargs or {}).items() if v is not None}
    used_args: set[str] = set()
    global_args: dict[str, str] = {}
    stages: list[Stage] = []
    stage: Stage | None = None
    total = len(instructions)
    try:
        if not instructions or all(i.keyword in ("ARG",) for i in instructions):
            raise BuildError("the Dockerfile (Dockerfile) cannot be empty" if not instructions else
                             "No image was generated. Is your Dockerfile empty?")
        # Each step's " ---> ID" line is held until the next step starts, so that the last one can name the
        # image that is committed at the end ("Successfully built" repeats it, as in dockerd).
        arrow = ""
        for step, ins in enumerate(instructions, 1):
            if arrow:
                yield {"stream": f" ---> {arrow}\n"}
                arrow = ""
            if stage is None and ins.keyword not in ("FROM", "ARG"):
                raise BuildError(f"failed to process \"{ins.original}\": no build stage in current context")
            yield {"stream": f"Step {step}/{total} : {ins.original}"}
            yield {"stream": "\n"}
            if ins.keyword == "ARG":
                key, eq, default = ins.args.strip().partition("=")
                value = buildargs.get(key, default if eq else "")
                if key in buildargs:
                    used_args.add(key)
                if stage is None:
                    global_args[key] = value
                else:
                    stage.env_args[key] = value
                    step_key = stage.step_key(ins)
                    if cache.get(step_key) is not None:
                        yield {"stream": " ---> Using cache\n"}
                    else:
                        run_id = new_id()
                        yield {"stream": f" ---> Running in {run_id[:12]}\n"}
                        yield {"stream": f"Removing intermediate container {run_id[:12]}\n"}
                        cache.put(step_key, stage.config, stage.tree, stage.layers, stage.history)
                    stage.resume(step_key)
                    arrow = short(stage.steps_id)
                continue
            if ins.keyword == "FROM":
                if stage is not None:
                    stages.append(stage)
                    if target and stage.name == target:
                        stage = None
                        break
                words = dockerfile.substitute(ins.args, global_args).split()
                base_ref = words[0] if words else ""
                stage_name = words[2] if len(words) >= 3 and words[1].upper() == "AS" else str(len(stages))
                previous = next((s for s in stages if s.name == base_ref), None)
                if base_ref == "scratch":
                    base, tree, layers, history, config = None, FileTree(), [], [], empty_config()
                    config["Env"] = None
                elif previous is not None:
                    base = previous.base
                    tree, layers = previous.tree.copy(), list(previous.layers)
                    history, config = list(previous.history), copy.deepcopy(previous.config)
                else:
                    base = engine.state.images.find(base_ref)
                    if base is None or pull:
                        try:
                            ref = references.parse(base_ref)
                            for msg in engine.pull(ref.repo, ref.tag or ("latest" if not ref.digest else ref.digest)):
                                yield msg
                        except EngineError as err:
                            raise BuildError(err.message) from None
                        base = engine.state.images.get(base_ref)
                    tree, layers = base.rootfs().copy(), list(base.layers)
                    history, config = copy.deepcopy(base.history), copy.deepcopy(base.config)
                    for trigger in base.config.get("OnBuild") or []:
                        yield {"stream": f"# Executing {len(base.config['OnBuild'])} build trigger\n"}
                        del trigger
                parent = base.id if base is not None else ""
                stage = Stage(stage_name, config, tree, layers, history, base, parent, parent or digest("scratch"),
                              keys=list(previous.keys) if previous is not None else [])
                if previous is not None:
                    stage.steps_id = previous.steps_id
                arrow = short(base.id) if base is not None and previous is None else short(stage.steps_id)
                continue
            assert stage is not None
            env = {**global_args, **stage.env_args, **dockerfile.env_dict(stage.config)}
            run_id = new_id()
            step_key = stage.step_key(ins)
            hit = cache.get(step_key) if ins.keyword not in ("COPY", "ADD") else None
            if hit is not None:
                yield {"stream": " ---> Using cache\n"}
            elif ins.keyword == "RUN":
                yield {"stream": f" ---> Running in {run_id[:12]}\n"}
                before = stage.tree.copy()
                argv, exec_form = ins.json_or_shell()
                if not exec_form:
                    argv = dockerfile.shell_form(stage.config, argv[0])
                chunks: list[tuple[int, bytes]] = []
                run_env = {**dockerfile.env_dict(stage.config), **{k: v for k, v in stage.env_args.items()}}
                done: asyncio.Future = asyncio.get_running_loop().create_future()
                job = Job(argv=argv, fs=MountedFS(stage.tree), env=run_env,
                          write=lambda s, d, chunks=chunks: chunks.append((s, d)), stdin=Pipe(closed=True),
                          cwd=stage.config.get("WorkingDir") or "/", user=stage.config.get("User") or "",
                          hostname=run_id[:12], check_user=False, scope="build",
                          dns=_run_dns(engine, run.network_mode))
                saved = _runtime_files(stage.tree, run, run_id[:12],
                                       engine.state.networks.get("bridge").gateway or "172.17.0.1")
                try:
                    launch(job, lambda code, done=done: done.done() or done.set_result(code))
                    code = await done
                except StartError as err:
                    raise BuildError(f"failed to create shim task: OCI runtime create failed: {err.message}: "
                                     "unknown", err.exit_code) from None
                finally:
                    _restore(stage.tree, saved)
                for message in _output_messages(chunks):
                    yield message
                if code != 0:
                    shown = json.dumps(argv) if exec_form else " ".join(argv)
                    raise BuildError(f"The command '{shown}' returned a non-zero code: {code}", code)
                stage.layers.append(filesystem.diff(before, stage.tree))
                stage.history.append({"created": rfc3339(now_ns()), "created_by":
                                      dockerfile.created_by(stage.config, ins, env)})
                yield {"stream": f"Removing intermediate container {run_id[:12]}\n"}
            elif ins.keyword in ("COPY", "ADD"):
                before = stage.tree.copy()
                try:
                    words = json.loads(ins.args) if ins.args.strip().startswith("[") else \
                        dockerfile.substitute(ins.args, env).split()
                except ValueError:
                    words = ins.args.split()
                if len(words) < 2:
                    raise BuildError(f"{ins.keyword} requires at least two arguments, but only one was provided. "
                                     "Destination could not be determined.")
                sources, dest = words[:-1], words[-1]
                source_tree = context_tree
                if ins.flags.get("from"):
                    src_stage = next((s for s in stages if s.name == ins.flags["from"]), None)
                    if src_stage is not None:
                        source_tree = src_stage.tree
                    else:
                        img = engine.state.images.find(ins.flags["from"])
                        if img is None:
                            raise BuildError(f"invalid from flag value {ins.flags['from']}: No such image")
                        source_tree = img.rootfs()
                workdir = stage.config.get("WorkingDir") or "/"
                dest_path = posixpath.normpath(posixpath.join(workdir, dest))
                _copy(source_tree, sources, stage.tree, dest_path, dest.endswith("/") or len(sources) > 1,
                      ins.keyword == "ADD")
                layer = filesystem.diff(before, stage.tree)
                # dockerd's cache compares a checksum of the files copied: a changed file is a new step
                content = digest(filesystem.tar_layer(layer))
                step_key = stage.step_key(ins, content)
                hit = cache.get(step_key)
                if hit is not None:
                    yield {"stream": " ---> Using cache\n"}
                else:
                    stage.layers.append(layer)
                    stage.history.append({"created": rfc3339(now_ns()), "created_by":
                                          f"/bin/sh -c #(nop) {ins.keyword} {'dir' if len(sources) > 1 else 'file'}:"
                                          f"{content[7:71]} in {dest} "})
            elif ins.keyword in dockerfile.METADATA:
                yield {"stream": f" ---> Running in {run_id[:12]}\n"}
                try:
                    dockerfile.apply_metadata(stage.config, ins, env)
                except EngineError as err:
                    raise BuildError(err.message) from None
                if ins.keyword == "WORKDIR":
                    stage.tree.mkdir(stage.config["WorkingDir"], parents=True)
                if ins.keyword == "MAINTAINER":
                    stage.config.pop("_author", None)
                stage.history.append({"created": rfc3339(now_ns()), "created_by":
                                      dockerfile.created_by(stage.config, ins, env), "empty_layer": True})
                yield {"stream": f"Removing intermediate container {run_id[:12]}\n"}
            else:
                raise BuildError(f"Unknown instruction: {ins.keyword}")
            if hit is None:
                cache.put(step_key, stage.config, stage.tree, stage.layers, stage.history)
            stage.resume(step_key, hit)
            arrow = short(stage.steps_id)
        if stage is not None:
            stages.append(stage)
        final = stages[-1] if not target else next((s for s in stages if s.name == target), None)
        if final is None:
            if arrow:
                yield {"stream": f" ---> {arrow}\n"}
            raise BuildError(f"failed to reach build target {target} in Dockerfile")
        if labels:
            final.config["Labels"] = {**(final.config.get("Labels") or {}), **labels}
        steps = tuple(final.keys)
        if labels and steps:  # dockerd applies the labels as one more step
            steps += (digest(steps[-1] + json.dumps(labels, sort_keys=True)),)
        cached = cache.image(engine.state.images, steps)
        if final.base is not None and final.steps_id == final.base.id and not labels:
            image = final.base  # a stage that is only `FROM img` builds img itself, as in dockerd
        elif cached is not None:
            image = cached  # every step came from the cache: the image the earlier build committed
        else:
            image = Image(config=final.config, layers=final.layers, history=final.history, parent=final.parent_id,
                          container_config=None, build_steps=steps)
            image = engine.state.images.add(image)
            engine.state.events.emit("image", "create", image.id, {"name": image.id})
        yield {"stream": f" ---> {short(image.id)}\n"}
        unused = sorted(set(buildargs) - used_args - {"HTTP_PROXY", "HTTPS_PROXY", "FTP_PROXY", "NO_PROXY",
                                                       "http_proxy", "https_proxy", "ftp_proxy", "no_proxy"})
        if unused:
            yield {"stream": f"[Warning] One or more build-args [{' '.join(unused)}] were not consumed\n"}
        yield {"aux": {"ID": image.id}}
        yield {"stream": f"Successfully built {short(image.id)}\n"}
        for tag in tags:
            ref = references.parse(tag)
            old = engine.state.images.tag(image, ref.name)
            if old:
                engine.state.events.emit("image", "untag", old, {"name": old})
            engine.state.events.emit("image", "tag", image.id, {"name": ref.name})
            yield {"stream": f"Successfully tagged {ref.name}\n"}
    except BuildError as err:
        detail = {"message": err.message}
        if err.code is not None:
            detail = {"code": err.code, "message": err.message}
        yield {"errorDetail": detail, "error": err.message}


# What dockerd wraps a RUN step's stderr in (its builder's stderr writer): the CLI shows it red.
STDERR_START, STDERR_END = "\x1b[91m", "\x1b[0m"


def _output_messages(chunks: list[tuple[int, bytes]]) -> list[dict]:
    """A RUN step's output as dockerd streams it: one message per run of writes to the same stream, stderr's
    wrapped in colour codes."""
    messages: list[dict] = []
    for stream, group in itertools.groupby(chunks, key=lambda c: c[0]):
        text = b"".join(d for _, d in group).decode(errors="replace")
        messages.append({"stream": f"{STDERR_START}{text}{STDERR_END}" if stream == 2 else text})
    return messages


def _run_dns(engine: ImageOps, network_mode: str) -> Callable[[str], tuple[bool, str | None]] | None:
    """The embedded DNS of a RUN step's container on a user-defined network (`networkmode=NAME`); on the
    default bridge, host and none it asks no embedded server."""
    net = engine.state.networks.find(network_mode) if network_mode not in ("", "default", "bridge", "host",
                                                                            "none") else None
    if net is None or net.predefined:
        return None
    return lambda name: (True, network_lookup(engine.state, net, name))


def _runtime_files(tree: FileTree, run: RunOptions, hostname: str, gateway: str) -> dict[str, filesystem.Node | None]:
    """The files the runtime mounts into a RUN step's container (/etc/hosts with the `extrahosts`,
    /etc/resolv.conf, /etc/hostname); what they hid, for `_restore`. They are mounts: never in the layer."""
    if not tree.is_dir("/etc"):
        return {}
    files = {"/etc/hosts": etc_hosts(run.extra_hosts, gateway),
             "/etc/resolv.conf": b"nameserver 8.8.8.8\n", "/etc/hostname": f"{hostname}\n".encode()}
    saved = {path: tree.nodes.get(path) for path in files}
    for path, data in files.items():
        tree.write(path, data, mode=0o644)
    return saved


def _restore(tree: FileTree, saved: dict[str, filesystem.Node | None]) -> None:
    for path, node in saved.items():
        if node is None:
            tree.nodes.pop(path, None)
        else:
            tree.nodes[path] = node


def _copy(src: FileTree, sources: list[str], dst: FileTree, dest: str, dest_is_dir: bool, is_add: bool) -> None:
    matched_any = False
    for source in sources:
        if posixpath.normpath(source).startswith("../") or posixpath.normpath(source) == "..":
            # the builder's context check (origPath, and the empty full path it could not make)
            raise BuildError(f"{'ADD' if is_add else 'COPY'} failed: forbidden path outside the build context: "
                             f"{source} ()")
        pattern = filesystem.norm(source)
        if any(ch in pattern for ch in "*?["):
            matches = [p for p in src.nodes if fnmatch.fnmatch(p, pattern) and p != "/"]
        else:
            matches = [pattern] if pattern in src.nodes else []
        if not matches:
            raise BuildError(f"COPY failed: file not found in build context or excluded by .dockerignore: stat "
                             f"{source.lstrip('/')}: file does not exist")
        matched_any = True
        for path in matches:
            node = src.nodes[path]
            if node.kind == filesystem.DIR:
                target_root = dest
                dst.mkdir(target_root, parents=True)
                for sub, sub_node in src.walk(path):
                    if sub == path:
                        continue
                    dst.put(posixpath.join(target_root, sub[len(path):].lstrip("/")), sub_node)
            else:
                if is_add and (path.endswith(".tar") or path.endswith(".tar.gz") or path.endswith(".tgz")):
                    dst.mkdir(dest, parents=True)
                    filesystem.extract_tar(dst, node.data, dest)
                    continue
                target = posixpath.join(dest, posixpath.basename(path)) if dest_is_dir or dst.is_dir(dest) else dest
                dst.mkdir(posixpath.dirname(target) or "/", parents=True)
                dst.put(target, node)
    if not matched_any:
        raise BuildError("COPY failed: no source files were specified")
