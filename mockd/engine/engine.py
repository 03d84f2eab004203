"""The Engine: one in-memory daemon state (containers, exec, volumes, networks, events; images in ImageOps)
with reset(). Knows nothing of HTTP: handlers call these methods and render what they return or raise."""

from __future__ import annotations

import asyncio
import copy
import os
import posixpath
import random
import re
from typing import Any

from . import filesystem, health
from .containers import Container, LogEntry, MountPoint, check_name, default_host_config
from .errors import Conflict, EngineError, InvalidParameter, NotFound, NotModified, no_such_container
from .events import EventBus
from .execs import ExecInstance
from .filesystem import FileTree
from .filters import label_matches
from .ids import new_id, now_ns, parse_time, random_name, rfc3339
from .image_ops import ImageOps
from .images import ImageStore
from .networks import NetworkStore
from .pipe import Pipe
from .process import Process, Rule, parse_signal
from .registry import MockRegistry
from .shell import StartError, find_executable, resolve_user
from .volumes import VolumeStore

SEED_ENV = "MOCKD_SEED"  # path of a seed file the engine starts from (and returns to on reset)
RUNTIME_PREFIX = ("failed to create task for container: failed to create shim task: OCI runtime create failed: "
                  "runc create failed: unable to start container process: ")

# The /etc/hosts dockerd writes (measured on 20.10): loopback and the IPv6 names, then `--add-host` entries.
ETC_HOSTS = ("127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\n"
             "ff00::0\tip6-mcastprefix\nff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n")


def _etc_hosts(extra_hosts: list[str], host_gateway: str) -> bytes:
    lines = [ETC_HOSTS]
    for entry in extra_hosts:  # "name:ip" (the IP may hold colons) or "name=ip"
        sep = "=" if "=" in entry else ":"
        name, _, ip = entry.partition(sep)
        # "host-gateway" is dockerd's name for the host as seen from containers: the default bridge's gateway.
        lines.append(f"{host_gateway if ip == 'host-gateway' else ip}\t{name}\n")
    return "".join(lines).encode()


class Engine(ImageOps):
    def __init__(self, seed: Any = None) -> None:
        if seed is None and os.environ.get(SEED_ENV):
            # `mockd --seed FILE` sets this before the app (and so the engine) is built.
            from .seed import load_seed_file

            seed = load_seed_file(os.environ[SEED_ENV])
        self.events = EventBus()
        self.images = ImageStore()
        self.registry = MockRegistry()
        self.containers: dict[str, Container] = {}
        self.execs: dict[str, ExecInstance] = {}
        self.volumes = VolumeStore()
        self.networks = NetworkStore()
        self.binds: dict[str, FileTree] = {}  # simulated host directories behind bind mounts
        self.rules: list[Rule] = []
        self.seed_data = seed
        self.generation = 0
        self._pid = 4000
        self._tasks: set[asyncio.Task] = set()
        self._seed_starts: list[tuple[str, str]] = []
        self.reset()

    # -- lifecycle of the whole daemon --
    def reset(self) -> None:
        """Back to the seeded state: processes killed, objects dropped, the seed applied again."""
        self.generation += 1
        for container in self.containers.values():
            if container.process is not None and container.process.task is not None:
                container.process.task.cancel()
            container.end_streams()
            for fut in container.exit_waiters + container.removed_waiters:
                if not fut.done():
                    fut.set_result(-1)
        for ex in self.execs.values():
            if ex.process is not None and ex.process.task is not None:
                ex.process.task.cancel()
            ex.end_streams()
        for task in self._tasks:
            task.cancel()
        self._tasks.clear()
        self.events = EventBus()
        self.images.clear()
        self.registry = MockRegistry()
        self.containers.clear()
        self.execs.clear()
        self.volumes.clear()
        self.networks.reset_defaults()
        self.binds.clear()
        self.rules = []
        if self.seed_data is not None:
            from .seed import apply_seed

            apply_seed(self, self.seed_data)
            self.events.clear()

    def start_seeded(self) -> None:
        """Start seeded running containers if a loop runs now (else on the next call, from a handler)."""
        if self._seed_starts:
            from .seed import start_seeded

            start_seeded(self)

    def ensure_ready(self) -> Engine:
        self.start_seeded()
        return self

    def load_seed(self, seed: Any) -> None:
        """Replace the seed and return to it."""
        self.seed_data = seed
        self.reset()

    def info_counts(self) -> dict[str, int]:
        cs = list(self.containers.values())
        return {"Containers": len(cs), "ContainersRunning": sum(c.status in ("running", "restarting") for c in cs),
                "ContainersPaused": sum(c.status == "paused" for c in cs),
                "ContainersStopped": sum(c.status in ("created", "exited", "dead") for c in cs),
                "Images": len(self.images.images)}

    def dump(self) -> dict:
        return {"containers": [{"id": c.id, "name": c.name, "status": c.status, "image": c.image_ref}
                               for c in self.containers.values()],
                "images": [{"id": i.id, "tags": i.repo_tags} for i in self.images.images.values()],
                "volumes": sorted(self.volumes.volumes), "networks": sorted(n.name for n in self.networks.networks.values()),
                "rules": len(self.rules)}

    def _spawn(self, coro) -> asyncio.Task:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def _next_pid(self) -> int:
        self._pid += random.randint(1, 40)
        return self._pid

    # -- lookup --
    def find_container(self, ref: str) -> Container | None:
        if not ref:
            return None
        if ref in self.containers:
            return self.containers[ref]
        c = self.find_container_by_name(ref.lstrip("/"))
        if c is not None:
            return c
        hits = [c for c in self.containers.values() if c.id.startswith(ref)]
        if len(hits) > 1:
            raise InvalidParameter(f"Multiple IDs found with provided prefix: {ref}")
        return hits[0] if hits else None

    def container(self, ref: str) -> Container:
        c = self.find_container(ref)
        if c is None:
            raise no_such_container(ref)
        return c

    def _container_event(self, c: Container, action: str, **extra: Any) -> None:
        attrs = {"image": c.image_ref, "name": c.name}
        attrs.update({k: str(v) for k, v in (c.config.get("Labels") or {}).items()})
        attrs.update({k: str(v) for k, v in extra.items()})
        self.events.emit("container", action, c.id, attrs)

    # -- create --
    def create_container(self, body: dict, name: str = "", platform: str = "") -> tuple[Container, list[str]]:
        config = {k: v for k, v in body.items() if k not in ("HostConfig", "NetworkingConfig")}
        image_ref = config.get("Image") or ""
        if not image_ref:
            raise InvalidParameter("config cannot be empty in order to create a container" if not config else "No such image: ")
        if name:
            name = check_name(name)
            existing = self.find_container_by_name(name)
            if existing is not None:
                raise Conflict(f'Conflict. The container name "/{name}" is already in use by container '
                               f'"{existing.id}". You have to remove (or rename) that container to be able to '
                               "reuse that name.")
        image = self.images.find(image_ref)
        if image is None:
            from . import references

            try:
                display = references.parse(image_ref).name
            except EngineError:
                display = image_ref
            raise NotFound(f"No such image: {display}")
        host_config = default_host_config()
        host_config.update({k: v for k, v in (body.get("HostConfig") or {}).items()})
        if host_config.get("NetworkMode") in ("", None):
            host_config["NetworkMode"] = "default"
        restart = host_config.get("RestartPolicy") or {}
        if restart.get("Name") in ("", None):
            host_config["RestartPolicy"] = {"Name": "no", "MaximumRetryCount": restart.get("MaximumRetryCount", 0)}
        if host_config.get("AutoRemove") and host_config["RestartPolicy"]["Name"] not in ("no", ""):
            raise InvalidParameter("can't create 'AutoRemove' container with restart policy")
        warnings: list[str] = []
        merged = self._merge_config(config, image)
        entrypoint = merged.get("Entrypoint") or []
        cmd = merged.get("Cmd") or []
        argv = list(entrypoint) + list(cmd)
        if not argv:
            raise InvalidParameter("No command specified")
        cid = new_id()
        name = name or random_name({c.name for c in self.containers.values()})
        merged["Hostname"] = merged.get("Hostname") or cid[:12]
        merged["Image"] = image_ref
        rootfs = image.rootfs().copy()
        for d in ("/etc", "/dev", "/proc", "/sys"):
            rootfs.mkdir(d, parents=True)
        rootfs.write("/etc/hostname", (merged["Hostname"] + "\n").encode())
        rootfs.write("/etc/hosts", _etc_hosts(host_config.get("ExtraHosts") or [],
                                              self.networks.get("bridge").gateway or "172.17.0.1"))
        rootfs.write("/etc/resolv.conf", b"nameserver 8.8.8.8\n")
        workdir = merged.get("WorkingDir") or ""
        if workdir:
            if not workdir.startswith("/"):
                raise InvalidParameter(f"the working directory '{workdir}' is invalid, it needs to be an absolute "
                                       "path")
            rootfs.mkdir(workdir, parents=True)
        base = rootfs.copy()
        if workdir:
            # dockerd creates the working directory in the container layer: `docker diff` shows it.
            base = image.rootfs().copy()
            for p in ("/etc/hostname", "/etc/hosts", "/etc/resolv.conf"):
                base.nodes[p] = rootfs.nodes[p]
            for d in ("/etc", "/dev", "/proc", "/sys"):
                if d in rootfs.nodes:
                    base.nodes.setdefault(d, rootfs.nodes[d])
        c = Container(id=cid, name=name, image=image, image_ref=image_ref, config=merged, host_config=host_config,
                      path=argv[0], args=argv[1:], rootfs=rootfs, base=base, platform=platform or "linux")
        c.mounts = self._make_mounts(c, config)
        for m in c.mounts:  # the runtime creates missing mount points in the container layer
            if not rootfs.exists(m.destination):
                rootfs.mkdir(m.destination, parents=True)
        network_mode = host_config["NetworkMode"]
        endpoints = dict((body.get("NetworkingConfig") or {}).get("EndpointsConfig") or {})
        net_name = "bridge" if network_mode == "default" else network_mode
        if "default" in endpoints:  # CLI 28 names the default network "default"
            endpoints.setdefault(net_name, endpoints.pop("default"))
        if not net_name.startswith("container:"):
            net = self.networks.get(net_name)
            c.networks[net.name] = self._endpoint_settings(net, endpoints.get(net_name) or
                                                           endpoints.get(net.name) or {}, c)
        for extra_name, settings in endpoints.items():
            if extra_name == net_name:
                continue
            net = self.networks.get(extra_name)
            if net.name not in c.networks:
                c.networks[net.name] = self._endpoint_settings(net, settings or {}, c)
        self.containers[cid] = c
        self._container_event(c, "create")
        return c, warnings

    def find_container_by_name(self, name: str) -> Container | None:
        for c in self.containers.values():
            if c.name == name:
                return c
        return None

    def _merge_config(self, config: dict, image) -> dict:
        """The container config: the request over the image's defaults, as dockerd merges them."""
        base = {"Hostname": "", "Domainname": "", "User": "", "AttachStdin": False, "AttachStdout": False,
                "AttachStderr": False, "Tty": False, "OpenStdin": False, "StdinOnce": False, "Env": None,
                "Cmd": None, "Image": "", "Volumes": None, "WorkingDir": "", "Entrypoint": None, "OnBuild": None,
                "Labels": {}}
        merged = dict(base)
        merged.update({k: copy.deepcopy(v) for k, v in config.items()})
        img = image.config
        if not merged.get("User"):
            merged["User"] = img.get("User") or ""
        env = list(img.get("Env") or [])
        keys = {e.split("=", 1)[0]: i for i, e in enumerate(env)}
        for item in merged.get("Env") or []:
            key = item.split("=", 1)[0]
            if key in keys:
                env[keys[key]] = item
            else:
                keys[key] = len(env)
                env.append(item)
        merged["Env"] = env or None  # a nil slice when neither the image nor the request sets any
        if not merged.get("Entrypoint") and merged.get("Entrypoint") != [""]:
            merged["Entrypoint"] = img.get("Entrypoint")
            if not merged.get("Cmd"):
                merged["Cmd"] = img.get("Cmd")
        elif merged.get("Entrypoint") == [""]:
            merged["Entrypoint"] = None
        if not merged.get("WorkingDir"):
            merged["WorkingDir"] = img.get("WorkingDir") or ""
        labels = dict(img.get("Labels") or {})
        labels.update(merged.get("Labels") or {})
        merged["Labels"] = labels
        ports = dict(img.get("ExposedPorts") or {})
        ports.update(merged.get("ExposedPorts") or {})
        if ports:
            merged["ExposedPorts"] = ports
        volumes = dict(img.get("Volumes") or {})
        volumes.update(merged.get("Volumes") or {})
        merged["Volumes"] = volumes or None
        for key in ("StopSignal", "Healthcheck", "Shell", "OnBuild"):
            if not merged.get(key) and img.get(key):
                merged[key] = copy.deepcopy(img[key])
        return merged

    def _make_mounts(self, c: Container, config: dict) -> list[MountPoint]:
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
                tree = self.binds.setdefault(filesystem.norm(source), FileTree())
                mounts[dest] = MountPoint("bind", dest, tree, source=source, mode=mode, rw=rw,
                                          propagation="rprivate")
            else:
                mounts[dest] = self._volume_mount(c, source, dest, rw, mode or "z")
        for spec in hc.get("Mounts") or []:
            kind = spec.get("Type") or "volume"
            dest = filesystem.norm(spec.get("Target") or spec.get("Destination") or "")
            rw = not spec.get("ReadOnly")
            if kind == "bind":
                source = spec.get("Source") or ""
                tree = self.binds.setdefault(filesystem.norm(source), FileTree())
                mounts[dest] = MountPoint("bind", dest, tree, source=source, rw=rw, propagation="rprivate")
            elif kind == "tmpfs":
                mounts[dest] = MountPoint("tmpfs", dest, FileTree(), rw=rw)
            else:
                opts = spec.get("VolumeOptions") or {}
                mounts[dest] = self._volume_mount(c, spec.get("Source") or "", dest, rw, "",
                                                  labels=opts.get("Labels"), nocopy=bool(opts.get("NoCopy")))
        for ref in hc.get("VolumesFrom") or []:
            source_ref, _, mode = ref.partition(":")
            other = self.container(source_ref)
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
                      labels: dict | None = None, nocopy: bool = False) -> MountPoint:
        volume, created = self.volumes.create(name, labels=labels, anonymous=not name)
        if created:
            self.events.emit("volume", "create", volume.name, {"driver": volume.driver})
        if not nocopy and len(volume.tree.nodes) == 1:
            # Copy-up: an empty volume gets what the image has at the mount point.
            image_tree = c.rootfs
            if image_tree.is_dir(dest):
                for path, node in image_tree.walk(dest):
                    rel = path[len(dest):] or "/"
                    if rel != "/":
                        volume.tree.put(rel, node)
        return MountPoint("volume", dest, volume.tree, name=volume.name, source=volume.mountpoint,
                          driver=volume.driver, mode=mode, rw=rw)

    def _endpoint_settings(self, net, requested: dict, c: Container) -> dict:
        aliases = list(requested.get("Aliases") or [])
        return {
            "IPAMConfig": requested.get("IPAMConfig"), "Links": requested.get("Links"), "Aliases": aliases or None,
            "MacAddress": requested.get("MacAddress", ""), "DriverOpts": requested.get("DriverOpts"),
            "GwPriority": 0, "NetworkID": net.id, "EndpointID": "", "Gateway": "", "IPAddress": "",
            "IPPrefixLen": 0, "IPv6Gateway": "", "GlobalIPv6Address": "", "GlobalIPv6PrefixLen": 0,
            "DNSNames": None,
        }

    def _connect_endpoints(self, c: Container) -> None:
        from .networks import Endpoint

        for net_name, settings in c.networks.items():
            net = self.networks.find(settings.get("NetworkID", "")) or self.networks.find(net_name)
            if net is None or c.id in net.endpoints:
                continue
            wanted = ((settings.get("IPAMConfig") or {}).get("IPv4Address") or "")
            ip = net.allocate_ip(wanted) if net.driver not in ("host", "null") else ""
            mac = ("02:42:" + ":".join(f"{b:02x}" for b in bytes.fromhex(c.id[:8]))) if ip else ""
            ep = Endpoint(c.id, new_id(), ip, mac, list(settings.get("Aliases") or []))
            net.endpoints[c.id] = ep
            settings.update({"EndpointID": ep.endpoint_id, "IPAddress": ip, "Gateway": net.gateway if ip else "",
                             "IPPrefixLen": net.prefix_len if ip else 0, "MacAddress": mac,
                             "NetworkID": net.id})
            if not net.predefined or net.name == "bridge":
                settings["DNSNames"] = [c.name, c.id[:12], *(settings.get("Aliases") or [])] \
                    if not net.predefined else None
            self.events.emit("network", "connect", net.id, {"container": c.id, "name": net.name, "type": net.driver})

    def _disconnect_endpoints(self, c: Container) -> None:
        for net_name, settings in c.networks.items():
            net = self.networks.find(settings.get("NetworkID", "")) or self.networks.find(net_name)
            if net is None or c.id not in net.endpoints:
                continue
            del net.endpoints[c.id]
            settings.update({"EndpointID": "", "IPAddress": "", "Gateway": "", "IPPrefixLen": 0, "MacAddress": "",
                             "DNSNames": None})
            self.events.emit("network", "disconnect", net.id, {"container": c.id, "name": net.name,
                                                               "type": net.driver})

    def _env(self, env_list: list[str] | None) -> dict[str, str]:
        env = {}
        for item in env_list or []:
            key, eq, value = item.partition("=")
            if eq:
                env[key] = value
        return env

    def _process_env(self, c: Container, extra: list[str] | None = None) -> dict[str, str]:
        """A process's environment in the container: the container's Env, then `extra` (an exec's), then
        HOSTNAME and HOME unless set."""
        env = self._env(c.config.get("Env"))
        env.update(self._env(extra))
        env.setdefault("HOSTNAME", c.config.get("Hostname") or c.id[:12])
        env.setdefault("HOME", "/root")
        return env

    def _rule_for(self, c: Container, argv: list[str]) -> Rule | None:
        names = [c.image_ref, c.image.id, *c.image.repo_tags]
        for rule in self.rules:
            if rule.matches(names, argv):
                return rule
        return None

    # -- start / stop --
    def start_container(self, ref: str) -> Container:
        c = self.container(ref)
        if c.status == "paused":
            raise Conflict("cannot start a paused container, try unpause instead")
        if c.status in ("running", "restarting"):
            raise NotModified("Container already started")
        if c.status in ("removing", "dead"):
            raise Conflict("container is marked for removal and cannot be started")
        argv = [c.path, *c.args]
        env = self._process_env(c)
        fs = c.fs()
        rule = self._rule_for(c, argv)
        try:
            resolve_user(fs, c.config.get("User") or "")
            if rule is None:
                find_executable(fs, argv[0], env, c.config.get("WorkingDir") or "/")
        except StartError as err:
            c.exit_code = err.exit_code
            c.error = RUNTIME_PREFIX + err.message + ": unknown"
            self._container_event(c, "die", exitCode=err.exit_code)
            if c.host_config.get("AutoRemove"):
                self._spawn(self._auto_remove(c, self.generation))  # dockerd cleans up a failed --rm start
            raise EngineError(c.error, 400) from None
        self._run(c, argv, env, fs, rule)
        return c

    def _run(self, c: Container, argv: list[str], env: dict[str, str], fs, rule: Rule | None) -> None:
        if not c.config.get("OpenStdin"):
            c.stdin = Pipe(closed=True)
        elif c.started_ns and c.stdin.closed:
            c.stdin = Pipe()  # a restart gets a fresh stdin; a first start keeps what attach fed before it
        c.status = "running"
        c.pid = self._next_pid()
        c.started_ns = now_ns()
        c.error = ""
        c.manual_stop = False
        self._connect_endpoints(c)
        proc = Process(argv=argv, fs=fs, env=env, write=c.emit, stdin=c.stdin,
                       cwd=c.config.get("WorkingDir") or "/", user=c.config.get("User") or "",
                       hostname=c.config.get("Hostname") or c.id[:12], pid=1, rule=rule,
                       init=bool(c.host_config.get("Init")), tty=c.tty)
        c.process = proc
        self._container_event(c, "start")
        generation = self.generation
        proc.start(lambda code: self._on_exit(c, proc, code, generation))
        health.start_monitor(self, c)

    def _on_exit(self, c: Container, proc: Process, code: int, generation: int) -> None:
        if generation != self.generation or c.process is not proc:
            return
        c.exit_code = code
        c.finished_ns = now_ns()
        c.pid = 0
        c.status = "exited"
        for ex in self.execs.values():
            if ex.container_id == c.id and ex.process is not None and ex.process.alive:
                ex.process.kill(9)
        self._disconnect_endpoints(c)
        self._container_event(c, "die", exitCode=code)
        c.end_streams()
        waiters, c.exit_waiters = c.exit_waiters, []
        for fut in waiters:
            if not fut.done():
                fut.set_result(code)
        policy = c.host_config.get("RestartPolicy") or {}
        name = policy.get("Name") or "no"
        retry = int(policy.get("MaximumRetryCount") or 0)
        restart = (not c.manual_stop and not c.removed and (
            name == "always" or name == "unless-stopped" or
            (name == "on-failure" and code != 0 and (retry == 0 or c.restart_count < retry))))
        if restart:
            c.status = "restarting"
            delay = min(0.1 * (2 ** min(c.restart_count, 10)), 60.0)
            self._spawn(self._restart_later(c, delay, generation))
        elif c.host_config.get("AutoRemove") and not c.removed:
            self._spawn(self._auto_remove(c, generation))

    async def _restart_later(self, c: Container, delay: float, generation: int) -> None:
        await asyncio.sleep(delay)
        if generation != self.generation or c.status != "restarting" or c.removed:
            return
        c.restart_count += 1
        argv = [c.path, *c.args]
        self._run(c, argv, self._process_env(c), c.fs(), self._rule_for(c, argv))

    async def _auto_remove(self, c: Container, generation: int) -> None:
        await asyncio.sleep(0)
        if generation == self.generation and c.id in self.containers and not c.running:
            self._remove(c, volumes=True)

    async def stop_container(self, ref: str, timeout: int | None = None, signal: str | None = None) -> Container:
        c = self.container(ref)
        if not c.running:
            raise NotModified("Container already stopped")
        sig = self._signal(signal or c.config.get("StopSignal") or "SIGTERM")
        if timeout is None:
            timeout = c.config.get("StopTimeout")
            timeout = 10 if timeout is None else int(timeout)
        c.manual_stop = True
        if c.status == "restarting":
            c.status = "exited"
            self._container_event(c, "stop")
            return c
        if c.status == "paused":
            self._unpause(c)
        self._container_event(c, "kill", signal=sig)
        if c.process is not None:
            exited = c.process.kill(sig)
            if not exited:
                waiter = c.process.task
                try:
                    if timeout < 0:
                        await asyncio.shield(waiter)
                    else:
                        await asyncio.wait_for(asyncio.shield(waiter), timeout)
                except (TimeoutError, asyncio.CancelledError):
                    pass
                if c.process.alive:
                    self._container_event(c, "kill", signal=9)
                    c.process.kill(9)
        await self._until_exited(c)
        self._container_event(c, "stop")
        return c

    async def _until_exited(self, c: Container) -> None:
        if c.process is not None and c.process.task is not None:
            try:
                await asyncio.shield(c.process.task)
            except (asyncio.CancelledError, Exception):  # noqa: BLE001 - the exit callback records the outcome
                pass
        for _ in range(3):  # let done-callbacks run
            await asyncio.sleep(0)

    def _signal(self, value: str | int | None) -> int:
        try:
            return parse_signal(value)
        except ValueError as err:
            raise InvalidParameter(str(err)) from None

    async def kill_container(self, ref: str, signal: str | None = None) -> Container:
        c = self.container(ref)
        sig = self._signal(signal or "SIGKILL")
        if not c.running:
            raise Conflict(f"Cannot kill container: {ref}: Container {c.id} is not running")
        if c.status == "paused" and sig != 9:
            raise Conflict(f"Cannot kill container: {ref}: Container {c.id} is paused. Unpause the container "
                           "before stopping or killing")
        if sig in (9, 15, 2, 1, 3, 6):
            c.manual_stop = True
        self._container_event(c, "kill", signal=sig)
        if c.status == "paused":
            self._unpause(c, event=False)
        if c.process is not None and c.process.kill(sig):
            await self._until_exited(c)
        return c

    async def restart_container(self, ref: str, timeout: int | None = None, signal: str | None = None) -> Container:
        c = self.container(ref)
        if c.running:
            await self.stop_container(ref, timeout, signal)
        self.start_container(c.id)
        self._container_event(c, "restart")
        return c

    def pause_container(self, ref: str) -> Container:
        c = self.container(ref)
        if c.status == "paused":
            raise Conflict(f"Container {c.id} is already paused")
        if c.status != "running":
            raise Conflict(f"Container {c.id} is not running")
        c.status = "paused"
        if c.process is not None:
            c.process.running.clear()
        for ex in self.execs.values():
            if ex.container_id == c.id and ex.process is not None:
                ex.process.running.clear()
        self._container_event(c, "pause")
        return c

    def unpause_container(self, ref: str) -> Container:
        c = self.container(ref)
        if c.status != "paused":
            raise Conflict(f"Container {c.id} is not paused")
        self._unpause(c)
        return c

    def _unpause(self, c: Container, event: bool = True) -> None:
        c.status = "running"
        if c.process is not None:
            c.process.running.set()
        for ex in self.execs.values():
            if ex.container_id == c.id and ex.process is not None:
                ex.process.running.set()
        if event:
            self._container_event(c, "unpause")

    # -- wait --
    def wait_future(self, ref: str, condition: str = "not-running") -> asyncio.Future:
        """A future for the exit code when the condition is met. Registered at once, so a wait opened before
        start (as `docker run` does) sees the exit."""
        c = self.container(ref)
        condition = condition or "not-running"
        if condition not in ("not-running", "next-exit", "removed"):
            raise InvalidParameter(f"invalid condition: \"{condition}\"")
        fut: asyncio.Future = asyncio.get_running_loop().create_future()
        if condition == "not-running" and not c.running:
            fut.set_result(c.exit_code)
        elif condition == "removed":
            c.removed_waiters.append(fut)
        else:
            c.exit_waiters.append(fut)
        return fut

    # -- remove --
    async def remove_container(self, ref: str, force: bool = False, volumes: bool = False,
                               link: bool = False) -> None:
        c = self.container(ref)
        if link:
            raise Conflict("Conflict, cannot remove the default link name of the container")
        if c.running:
            if not force:
                state = "paused" if c.status == "paused" else "running"
                raise Conflict(f"You cannot remove a {state} container {c.id}. Stop the container before "
                               "attempting removal or force remove")
            c.manual_stop = True
            c.removed = True  # no auto-restart, no auto-remove race
            if c.status == "paused":
                self._unpause(c, event=False)
            self._container_event(c, "kill", signal=9)
            if c.process is not None and c.process.kill(9):
                await self._until_exited(c)
            if c.status == "restarting":
                c.status = "exited"
        if c.id in self.containers:
            self._remove(c, volumes)

    def _remove(self, c: Container, volumes: bool) -> None:
        c.removed = True
        del self.containers[c.id]
        for ex_id in list(c.exec_ids):
            self.execs.pop(ex_id, None)
        for net in self.networks.networks.values():
            net.endpoints.pop(c.id, None)
        self._container_event(c, "destroy")
        if volumes:
            for m in c.mounts:
                if m.type != "volume":
                    continue
                vol = self.volumes.volumes.get(m.name)
                if vol is not None and vol.anonymous and not self.volume_users(vol.name):
                    del self.volumes.volumes[vol.name]
                    self.events.emit("volume", "destroy", vol.name, {"driver": vol.driver})
        c.end_streams()
        waiters, c.removed_waiters = c.removed_waiters, []
        pending, c.exit_waiters = c.exit_waiters, []
        for fut in waiters + pending:
            if not fut.done():
                fut.set_result(c.exit_code)

    def volume_users(self, name: str) -> list[str]:
        return [c.id for c in self.containers.values() if any(m.type == "volume" and m.name == name
                                                             for m in c.mounts)]

    # -- list --
    def list_containers(self, all_: bool = False, limit: int = -1, filters: dict | None = None,
                        latest: bool = False) -> list[Container]:
        filters = filters or {}
        cs = sorted(self.containers.values(), key=lambda c: -c.created_ns)
        if not all_ and not any(k in filters for k in ("status", "exited")) and not (limit and limit > 0) \
                and not latest:
            cs = [c for c in cs if c.running]
        out = [c for c in cs if self._container_matches(c, filters)]
        if latest:
            out = out[:1]
        if limit and limit > 0:
            out = out[:limit]
        return out

    def _container_matches(self, c: Container, filters: dict[str, list[str]]) -> bool:
        for key, values in filters.items():
            if not values:
                continue
            if key == "id":
                ok = any(c.id.startswith(v) for v in values)
            elif key == "name":
                ok = any(re.search(v, "/" + c.name) for v in values)
            elif key == "status":
                for v in values:
                    if v not in ("created", "restarting", "running", "removing", "paused", "exited", "dead"):
                        raise InvalidParameter(f"Invalid filter 'status={v}'")
                ok = c.status in values
            elif key == "exited":
                ok = c.status == "exited" and str(c.exit_code) in values
            elif key == "label":
                labels = c.config.get("Labels") or {}
                ok = all(label_matches(labels, v) for v in values)
            elif key == "ancestor":
                ok = False
                for v in values:
                    img = self.images.find(v)
                    if (img is not None and img.id == c.image.id) or c.image_ref == v:
                        ok = True
            elif key in ("before", "since"):
                pivot = self.container(values[0])
                ok = c.created_ns < pivot.created_ns if key == "before" else c.created_ns > pivot.created_ns
            elif key == "volume":
                ok = any(m.name in values or m.destination in values or m.source in values for m in c.mounts)
            elif key == "network":
                ok = any(n in values or s.get("NetworkID") in values for n, s in c.networks.items())
            elif key == "health":
                ok = (c.health["Status"] if c.health is not None else "none") in values
            elif key == "isolation":
                ok = "default" in values or "" in values
            elif key == "is-task":
                ok = values[0].lower() in ("false", "0")
            elif key in ("publish", "expose"):
                ports = set(c.ports_view())
                ok = any(v in ports or f"{v}/tcp" in ports for v in values)
            else:
                raise InvalidParameter(f"invalid filter '{key}'")
            if not ok:
                return False
        return True

    # -- small operations --
    def rename_container(self, ref: str, new_name: str) -> None:
        c = self.container(ref)
        if not new_name:
            raise InvalidParameter("Neither old nor new names may be empty")
        new_name = check_name(new_name)
        if new_name == c.name:
            raise InvalidParameter("Renaming a container with the same name as its current name")
        other = self.find_container_by_name(new_name)
        if other is not None:
            raise Conflict(f'Conflict. The container name "/{new_name}" is already in use by container '
                           f'"{other.id}". You have to remove (or rename) that container to be able to reuse '
                           "that name.")
        old = c.name
        c.name = new_name
        self._container_event(c, "rename", oldName="/" + old)

    def update_container(self, ref: str, changes: dict) -> list[str]:
        c = self.container(ref)
        for key, value in changes.items():
            if key == "RestartPolicy":
                if value and value.get("Name"):
                    if c.host_config.get("AutoRemove") and value.get("Name") != "no":
                        raise InvalidParameter("Restart policy cannot be updated because AutoRemove is enabled "
                                               "for the container")
                    c.host_config["RestartPolicy"] = value
                continue
            if key in c.host_config and value not in (None,) and not (value in (0, "", []) and
                                                                       c.host_config.get(key) in (0, "", [], None)):
                if value == 0 and key not in ("Memory", "MemorySwap", "CpuShares", "CpuQuota", "CpuPeriod",
                                              "NanoCpus", "PidsLimit"):
                    continue
                c.host_config[key] = value
            elif key not in c.host_config and value not in (None, 0, "", []):
                c.host_config[key] = value
        self._container_event(c, "update")
        return []

    def resize_container(self, ref: str, h: int, w: int) -> None:
        c = self.container(ref)
        if not c.running:
            raise Conflict(f"Container {c.id} is not running")
        c.tty_size = (h, w)

    def top(self, ref: str, ps_args: str = "-ef") -> dict:
        c = self.container(ref)
        if not c.running:
            raise Conflict(f"Container {c.id} is not running")
        stime = rfc3339(c.started_ns)[11:16]
        user = c.config.get("User") or "root"
        procs = [[user, str(c.pid), str(c.pid - 20), "0", stime, "?", "00:00:00", c.command_text()]]
        for ex in self.execs.values():
            if ex.container_id == c.id and ex.running:
                procs.append([ex.config.get("User") or user, str(ex.pid), str(ex.pid - 3), "0", stime, "?",
                              "00:00:00", " ".join(ex.config.get("Cmd") or [])])
        self._container_event(c, "top")
        return {"Titles": ["UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD"], "Processes": procs}

    def stats(self, ref: str, previous: dict | None = None) -> dict:
        c = self.container(ref)
        now = rfc3339(now_ns())
        running = c.running
        elapsed = max((now_ns() - c.started_ns) // 1000, 0) if running else 0
        cpu_total = elapsed * 3 if running else 0
        system = now_ns() * 2  # host CPU time in ns over the 2 online CPUs, the unit of total_usage
        mem = 1_048_576 + c.log_bytes + c.size_rw() if running else 0
        networks = {}
        # Interfaces of the container's own network namespace: none with --network none (or host).
        attached = [n for n in c.networks if n not in ("none", "host")]
        for idx, _ in enumerate(attached):
            networks[f"eth{idx}"] = {"rx_bytes": 1048 if running else 0, "rx_packets": 12 if running else 0,
                                     "rx_errors": 0, "rx_dropped": 0, "tx_bytes": 0, "tx_packets": 0,
                                     "tx_errors": 0, "tx_dropped": 0}
        pre = previous or {}
        out = {
            "read": now if running else "0001-01-01T00:00:00Z",
            "preread": pre.get("read", "0001-01-01T00:00:00Z"),
            "pids_stats": {"current": 1 + sum(1 for e in self.execs.values() if e.container_id == c.id and
                                              e.running), "limit": 4194304} if running else {},
            "blkio_stats": {"io_service_bytes_recursive": None, "io_serviced_recursive": None,
                            "io_queue_recursive": None, "io_service_time_recursive": None,
                            "io_wait_time_recursive": None, "io_merged_recursive": None,
                            "io_time_recursive": None, "sectors_recursive": None},
            "num_procs": 0,
            "storage_stats": {},
            "cpu_stats": {"cpu_usage": {"total_usage": cpu_total, "usage_in_kernelmode": cpu_total // 3,
                                        "usage_in_usermode": cpu_total - cpu_total // 3},
                          "system_cpu_usage": system if running else 0, "online_cpus": 2 if running else 0,
                          "throttling_data": {"periods": 0, "throttled_periods": 0, "throttled_time": 0}},
            "precpu_stats": pre.get("cpu_stats") or {"cpu_usage": {"total_usage": 0, "usage_in_kernelmode": 0,
                                                                   "usage_in_usermode": 0},
                                                     "throttling_data": {"periods": 0, "throttled_periods": 0,
                                                                         "throttled_time": 0}},
            "memory_stats": {"usage": mem, "stats": {"active_anon": mem // 2, "anon": mem // 2, "file": mem // 4,
                                                     "inactive_file": mem // 8},
                             "limit": int(c.host_config.get("Memory") or 8_000_000_000)} if running else {},
            "name": "/" + c.name,
            "id": c.id,
        }
        if running and networks:  # omitempty in dockerd's stats
            out["networks"] = networks
        return out

    def changes(self, ref: str) -> list[dict]:
        c = self.container(ref)
        return [{"Path": p, "Kind": k} for p, k in filesystem.changes(c.base, c.rootfs)]

    def export(self, ref: str) -> bytes:
        c = self.container(ref)
        self._container_event(c, "export")
        return filesystem.tar_tree(c.rootfs, exclude=tuple(m.destination for m in c.mounts))

    # -- archive (docker cp) --
    @staticmethod
    def _archive_target(c: Container, path: str) -> str:
        """`path` in the container: a relative one is taken from the working directory."""
        return path if path.startswith("/") else posixpath.join(c.config.get("WorkingDir") or "/", path)

    def archive_stat(self, ref: str, path: str) -> dict:
        c = self.container(ref)
        fs = c.fs()
        target = self._archive_target(c, path)
        if not fs.exists(target) and fs.get(target) is None:
            raise NotFound(f"Could not find the file {path} in container {ref}")
        return fs.stat(target)

    def archive_get(self, ref: str, path: str) -> tuple[dict, bytes]:
        stat = self.archive_stat(ref, path)
        c = self.container(ref)
        data = c.fs().tar_path(self._archive_target(c, path).rstrip("/") or "/")
        self._container_event(c, "archive-path")
        return stat, data

    def archive_put(self, ref: str, path: str, data: bytes, no_overwrite_dir_non_dir: bool = False) -> None:
        c = self.container(ref)
        fs = c.fs()
        target = self._archive_target(c, path)
        if not fs.exists(target):
            raise NotFound(f"Could not find the file {path} in container {ref}")
        if not fs.is_dir(target):
            raise InvalidParameter("extraction point is not a directory")
        if c.host_config.get("ReadonlyRootfs") and not any(
                target == m.destination or target.startswith(m.destination + "/") for m in c.mounts):
            raise EngineError("container rootfs is marked read-only", 403)
        try:
            fs.extract(data, target, no_overwrite_dir_non_dir)
        except PermissionError:
            raise EngineError("mounted volume is marked read-only", 403) from None
        except IsADirectoryError as err:
            raise InvalidParameter(str(err)) from None
        except Exception as err:  # noqa: BLE001 - a broken tar is the client's error
            raise InvalidParameter(f"Error processing tar file({err}): ") from None
        self._container_event(c, "extract-to-dir")

    # -- logs --
    def log_entries(self, ref: str, stdout: bool = True, stderr: bool = True, since: str | None = None,
                    until: str | None = None, tail: str | None = "all") -> list[LogEntry]:
        c = self.container(ref)
        since_ns = parse_time(since) if since not in (None, "", "0") else None
        until_ns = parse_time(until) if until not in (None, "", "0") else None
        entries = [e for e in c.logs if (stdout and e.stream == 1) or (stderr and e.stream == 2)]
        if since_ns:
            entries = [e for e in entries if e.time_ns >= since_ns]
        if until_ns:
            entries = [e for e in entries if e.time_ns <= until_ns]
        if tail not in (None, "", "all"):
            try:
                count = int(tail)
            except ValueError:
                count = -1
            if count >= 0:
                entries = entries[-count:] if count else []
        return entries

    # -- attach --
    def attach(self, ref: str) -> Container:
        c = self.container(ref)
        self._container_event(c, "attach")
        return c

    # -- exec --
    def create_exec(self, ref: str, config: dict) -> ExecInstance:
        c = self.container(ref)
        if c.status == "paused":
            raise Conflict(f"Container {c.id} is paused, unpause the container before exec")
        if not c.running or c.status == "restarting":
            raise Conflict(f"Container {c.id} is not running")
        if not config.get("Cmd"):
            raise InvalidParameter("No exec command specified")
        ex = ExecInstance(id=new_id(), container_id=c.id, config=dict(config))
        if not config.get("AttachStdin"):
            ex.stdin = Pipe(closed=True)
        self.execs[ex.id] = ex
        c.exec_ids.append(ex.id)
        self._container_event(c, f"exec_create: {' '.join(config.get('Cmd') or [])}",
                              execID=ex.id)
        return ex

    def get_exec(self, exec_id: str) -> ExecInstance:
        ex = self.execs.get(exec_id)
        if ex is None:
            raise NotFound(f"No such exec instance: {exec_id}")
        return ex

    def start_exec(self, exec_id: str) -> ExecInstance:
        ex = self.get_exec(exec_id)
        if ex.started:
            raise Conflict(f"Error: Exec command {exec_id} has already run" if ex.running is False
                           else f"Error: Exec command {exec_id} is already running")
        c = self.container(ex.container_id)
        if not c.running:
            raise Conflict(f"Container {c.id} is not running")
        ex.started = True
        argv = list(ex.config.get("Cmd") or [])
        env = self._process_env(c, ex.config.get("Env"))
        fs = c.fs()
        workdir = ex.config.get("WorkingDir") or c.config.get("WorkingDir") or "/"
        user = ex.config.get("User") or c.config.get("User") or ""
        self._container_event(c, f"exec_start: {' '.join(argv)}", execID=ex.id)
        generation = self.generation

        def on_exit(code: int) -> None:
            ex.exit_code = code
            ex.running = False
            c.finished_execs.add(ex.id)
            ex.end_streams()
            ex.done.set()
            if generation == self.generation:
                self._container_event(c, "exec_die", execID=ex.id, exitCode=code)

        rule = self._rule_for(c, argv)
        try:
            resolve_user(fs, user)
            if rule is None:
                find_executable(fs, argv[0], env, workdir)
        except StartError as err:
            ex.emit(1, f"OCI runtime exec failed: exec failed: unable to start container process: "
                       f"{err.message}: unknown\r\n".encode())
            on_exit(126 if err.exit_code == 126 or "not found" in err.message else err.exit_code)
            return ex
        ex.running = True
        ex.pid = self._next_pid()
        proc = Process(argv=argv, fs=fs, env=env, write=ex.emit, stdin=ex.stdin, cwd=workdir, user=user,
                       hostname=c.config.get("Hostname") or c.id[:12], pid=ex.pid, rule=rule, tty=ex.tty)
        ex.process = proc
        proc.start(on_exit)
        if c.status == "paused":
            proc.running.clear()
        return ex

    def resize_exec(self, exec_id: str, h: int, w: int) -> None:
        ex = self.get_exec(exec_id)
        if not ex.running:
            raise Conflict(f"Container {ex.container_id} is not running")
        ex.tty_size = (h, w)

    # -- prune --
    async def prune_containers(self, filters: dict | None = None) -> dict:
        deleted, reclaimed = [], 0
        until_ns = parse_time((filters or {}).get("until", [None])[0]) if (filters or {}).get("until") else None
        label_filters = {k: v for k, v in (filters or {}).items() if k in ("label",)}
        for c in list(self.containers.values()):
            if c.running:
                continue
            if until_ns is not None and c.created_ns > until_ns:
                continue
            if label_filters and not self._container_matches(c, label_filters):
                continue
            if (filters or {}).get("label!"):
                labels = c.config.get("Labels") or {}
                if any(label_matches(labels, v) for v in filters["label!"]):
                    continue
            reclaimed += c.size_rw()
            self._remove(c, volumes=False)
            deleted.append(c.id)
        self.events.emit("container", "prune", "", {"reclaimed": str(reclaimed)})
        return {"ContainersDeleted": deleted or None, "SpaceReclaimed": reclaimed}

    # -- volumes --
    def create_volume(self, name: str = "", driver: str = "local", labels: dict | None = None,
                      options: dict | None = None):
        volume, created = self.volumes.create(name, driver or "local", labels, options)
        if created:
            self.events.emit("volume", "create", volume.name, {"driver": volume.driver})
        return volume

    def list_volumes(self, filters: dict | None = None) -> list:
        return [v for v in sorted(self.volumes.volumes.values(), key=lambda v: v.name)
                if self.volumes.matches(v, filters or {}, bool(self.volume_users(v.name)))]

    def remove_volume(self, name: str, force: bool = False) -> None:
        users = self.volume_users(name) if name in self.volumes.volumes else []
        volume = self.volumes.remove(name, users, force)  # raises while containers use it
        self.events.emit("volume", "destroy", name, {"driver": volume.driver})

    def prune_volumes(self, filters: dict | None = None, only_anonymous: bool = True) -> dict:
        filters = dict(filters or {})
        all_flag = (filters.pop("all", None) or ["false"])[0].lower() in ("true", "1")
        deleted, reclaimed = [], 0
        for v in list(self.volumes.volumes.values()):
            if self.volume_users(v.name):
                continue
            if only_anonymous and not all_flag and not v.anonymous:
                continue
            if not self.volumes.matches(v, filters, False):
                continue
            reclaimed += v.tree.total_size()
            del self.volumes.volumes[v.name]
            self.events.emit("volume", "destroy", v.name, {"driver": v.driver})
            deleted.append(v.name)
        self.events.emit("volume", "prune", "", {"reclaimed": str(reclaimed)})
        return {"VolumesDeleted": deleted, "SpaceReclaimed": reclaimed}  # dockerd: [] here, null for the others

    # -- networks --
    def create_network(self, body: dict):
        net = self.networks.create(
            body.get("Name") or "", driver=body.get("Driver") or "bridge", ipam=body.get("IPAM"),
            internal=bool(body.get("Internal")), attachable=bool(body.get("Attachable")),
            labels=body.get("Labels"), options=body.get("Options"), enable_ipv6=bool(body.get("EnableIPv6")))
        self.events.emit("network", "create", net.id, {"name": net.name, "type": net.driver})
        return net

    def network_containers(self, net) -> dict:
        out = {}
        for cid, ep in net.endpoints.items():
            c = self.containers.get(cid)
            if c is None:
                continue
            out[cid] = {"Name": c.name, "EndpointID": ep.endpoint_id, "MacAddress": ep.mac,
                        "IPv4Address": f"{ep.ip}/{net.prefix_len}" if ep.ip else "", "IPv6Address": ""}
        return out

    def remove_network(self, ref: str) -> None:
        net = self.networks.get(ref)
        self.networks.remove(net)
        self.events.emit("network", "destroy", net.id, {"name": net.name, "type": net.driver})

    def connect_network(self, ref: str, container_ref: str, endpoint: dict | None = None) -> None:
        net = self.networks.get(ref)
        c = self.container(container_ref)
        if net.name in c.networks:
            raise EngineError(f"endpoint with name {c.name} already exists in network {net.name}", 403)
        mode = c.host_config.get("NetworkMode")
        if mode in ("host", "none") or net.name in ("host", "none"):
            raise EngineError("container cannot be disconnected from host network or connected to host network"
                              if "host" in (mode, net.name) else
                              "container cannot be connected to multiple networks with one of the networks in "
                              "private (none) mode", 400)
        c.networks[net.name] = self._endpoint_settings(net, endpoint or {}, c)
        if c.running:
            self._connect_endpoints(c)
        else:
            self.events.emit("network", "connect", net.id, {"container": c.id, "name": net.name,
                                                            "type": net.driver})

    def disconnect_network(self, ref: str, container_ref: str, force: bool = False) -> None:
        net = self.networks.get(ref)
        c = self.find_container(container_ref)
        if c is None:
            if force:
                return
            raise no_such_container(container_ref)
        if net.name not in c.networks:
            raise EngineError(f"container {c.id} is not connected to network {net.name}", 400)
        del c.networks[net.name]
        net.endpoints.pop(c.id, None)
        self.events.emit("network", "disconnect", net.id, {"container": c.id, "name": net.name, "type": net.driver})

    def prune_networks(self, filters: dict | None = None) -> dict:
        deleted = []
        for net in list(self.networks.networks.values()):
            if net.predefined or net.endpoints:
                continue
            if any(net.name in c.networks for c in self.containers.values()):
                continue
            if not self.networks.matches(net, {k: v for k, v in (filters or {}).items() if k == "label"}):
                continue
            self.remove_network(net.id)
            deleted.append(net.name)
        self.events.emit("network", "prune", "", {"reclaimed": "0"})
        return {"NetworksDeleted": deleted or None}

    # -- system --
    def disk_usage(self) -> dict:
        containers = []
        for c in self.containers.values():
            s = c.summary(size=True)
            containers.append(s)
        images = []
        for img in self.images.images.values():
            count = sum(1 for c in self.containers.values() if c.image.id == img.id)
            summary = img.summary(containers=count)
            summary["SharedSize"] = 0
            images.append(summary)
        volumes = []
        for v in self.volumes.volumes.values():
            volumes.append(v.inspect(ref_count=len(self.volume_users(v.name))))
        layers = sum(img.size for img in self.images.images.values())
        return {"LayersSize": layers, "Images": images, "Containers": containers, "Volumes": volumes,
                "BuildCache": []}
