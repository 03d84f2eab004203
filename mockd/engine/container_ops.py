"""Containers as the daemon keeps them: create (the request merged over the image, mounts, networks), list and
filter, rename, update, top, stats, logs, changes, export and prune."""

from __future__ import annotations

import copy
import ipaddress
import re

from . import filesystem, references
from .containers import Container, LogEntry, check_name, default_host_config, legacy_links, link_text
from .errors import Conflict, InvalidParameter, NotFound
from .filters import label_matches
from .ids import new_id, now_ns, parse_time, random_name, rfc3339
from .images import Image
from .lifecycle import Lifecycle
from .mounts import Mounts
from .network_ops import NetworkOps, etc_hosts
from .ports import check_port_bindings, decoded_port_bindings
from .state import DaemonState


def check_restart_policy(policy: dict) -> None:
    """dockerd's validateRestartPolicy (daemon/container.go, 20.10): an unknown name, or a retry count where it
    does not apply, is an invalid parameter."""
    name, retries = policy.get("Name") or "", policy.get("MaximumRetryCount") or 0
    if name in ("always", "unless-stopped", "no"):
        if retries != 0:
            raise InvalidParameter(f"maximum retry count cannot be used with restart policy '{name}'")
    elif name == "on-failure":
        if retries < 0:
            raise InvalidParameter("maximum retry count cannot be negative")
    elif name:
        raise InvalidParameter(f"invalid restart policy '{name}'")


def _is_ipv4(text: str) -> bool:
    """Go's net.ParseIP(text).To4() != nil: a dotted quad, or one mapped into IPv6."""
    try:
        ip = ipaddress.ip_address(text)
    except ValueError:
        return False
    return ip.version == 4 or ip.ipv4_mapped is not None


def check_endpoint_addresses(endpoints: dict) -> None:
    """dockerd's verifyNetworkingConfig (daemon/create.go, 20.10): requested IPAMConfig addresses must parse."""
    for settings in endpoints.values():
        ipam = (settings or {}).get("IPAMConfig") or {}
        v4, v6 = ipam.get("IPv4Address") or "", ipam.get("IPv6Address") or ""
        if v4 and not _is_ipv4(v4):
            raise InvalidParameter(f"invalid IPv4 address: {v4}")
        if v6:
            try:
                valid = not _is_ipv4(v6) and ipaddress.ip_address(v6).version == 6
            except ValueError:
                valid = False
            if not valid:
                raise InvalidParameter(f"invalid IPv6 address: {v6}")


class ContainerOps:
    def __init__(self, state: DaemonState, mounts: Mounts, network_ops: NetworkOps, lifecycle: Lifecycle) -> None:
        self.state = state
        self.mounts = mounts
        self.network_ops = network_ops
        self.lifecycle = lifecycle

    # -- create --
    def create_container(self, body: dict, name: str = "", platform: str = "") -> tuple[Container, list[str]]:
        config = {k: v for k, v in body.items() if k not in ("HostConfig", "NetworkingConfig")}
        image_ref = config.get("Image") or ""
        if not image_ref:
            raise InvalidParameter("config cannot be empty in order to create a container" if not config else "No such image: ")
        if name:
            name = check_name(name)
            existing = self.state.find_container_by_name(name)
            if existing is not None:
                raise Conflict(f'Conflict. The container name "/{name}" is already in use by container '
                               f'"{existing.id}". You have to remove (or rename) that container to be able to '
                               "reuse that name.")
        image = self.state.images.find(image_ref)
        if image is None:
            if references.is_id_like(image_ref):
                raise NotFound(f"No such image: {image_ref}")
            display = references.parse(image_ref).name  # GetImage: no reference is InvalidParameter (400)
            raise NotFound(f"No such image: {display}")
        host_config = default_host_config()
        host_config.update({k: v for k, v in (body.get("HostConfig") or {}).items()})
        if host_config.get("NetworkMode") in ("", None):
            host_config["NetworkMode"] = "default"
        restart = host_config.get("RestartPolicy") or {}
        check_restart_policy(restart)
        check_endpoint_addresses((body.get("NetworkingConfig") or {}).get("EndpointsConfig") or {})
        if restart.get("Name") in ("", None):
            host_config["RestartPolicy"] = {"Name": "no", "MaximumRetryCount": restart.get("MaximumRetryCount", 0)}
        if host_config.get("AutoRemove") and host_config["RestartPolicy"]["Name"] not in ("no", ""):
            raise InvalidParameter("can't create 'AutoRemove' container with restart policy")
        host_config["LogConfig"] = _log_config(host_config.get("LogConfig"))
        check_port_bindings(host_config.get("PortBindings"))
        host_config["PortBindings"] = decoded_port_bindings(host_config.get("PortBindings"))
        warnings: list[str] = []
        merged = self._merge_config(config, image)
        entrypoint = merged.get("Entrypoint") or []
        cmd = merged.get("Cmd") or []
        argv = list(entrypoint) + list(cmd)
        if not argv:
            raise InvalidParameter("No command specified")
        cid = new_id()
        name = name or random_name({c.name for c in self.state.containers.values()})
        mode = str(host_config.get("NetworkMode") or "default")
        if host_config.get("Links") and (mode in ("default", "bridge", "host", "none") or mode.startswith("container:")):
            # dockerd registers legacy links unless the network is user-defined (there links are the
            # endpoint's, kept as given)
            host_config["Links"] = self._stored_links(host_config["Links"], name)
        merged["Hostname"] = merged.get("Hostname") or cid[:12]
        merged["Image"] = image_ref
        rootfs = image.rootfs().copy()
        for d in ("/etc", "/dev", "/proc", "/sys"):
            rootfs.mkdir(d, parents=True)
        rootfs.write("/etc/hostname", (merged["Hostname"] + "\n").encode())
        rootfs.write("/etc/hosts", etc_hosts(host_config.get("ExtraHosts") or [],
                                              self.state.networks.get("bridge").gateway or "172.17.0.1"))
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
        c.mounts = self.mounts.make_mounts(c, config)
        for m in c.mounts:  # the runtime creates missing mount points in the container layer
            if not rootfs.exists(m.destination):
                rootfs.mkdir(m.destination, parents=True)
        network_mode = host_config["NetworkMode"]
        endpoints = dict((body.get("NetworkingConfig") or {}).get("EndpointsConfig") or {})
        net_name = "bridge" if network_mode == "default" else network_mode
        if "default" in endpoints:  # CLI 28 names the default network "default"
            endpoints.setdefault(net_name, endpoints.pop("default"))
        if not net_name.startswith("container:"):
            net = self.state.networks.get(net_name)
            c.networks[net.name] = self.network_ops.endpoint_settings(net, endpoints.get(net_name) or
                                                           endpoints.get(net.name) or {}, c)
        for extra_name, settings in endpoints.items():
            if extra_name == net_name:
                continue
            net = self.state.networks.get(extra_name)
            if net.name not in c.networks:
                c.networks[net.name] = self.network_ops.endpoint_settings(net, settings or {}, c)
        self.state.containers[cid] = c
        self.state.container_event(c, "create")
        return c, warnings


    def _merge_config(self, config: dict, image: Image) -> dict:
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


    # -- list --
    def list_containers(self, all_: bool = False, limit: int = -1, filters: dict | None = None,
                        latest: bool = False) -> list[Container]:
        filters = filters or {}
        cs = sorted(self.state.containers.values(), key=lambda c: -c.created_ns)
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
                    img = self.state.images.find(v)
                    if (img is not None and img.id == c.image.id) or c.image_ref == v:
                        ok = True
            elif key in ("before", "since"):
                pivot = self.state.container(values[0])
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

    def _stored_links(self, links: list, name: str) -> list[str]:
        """Legacy links as dockerd registers them at create: each linked container must exist (a 400), and the
        link is kept as "/target:/name/alias" (the alias defaults to the target's name)."""
        stored = []
        for raw in links:
            target, _, alias = str(raw).partition(":")
            linked = self.state.find_container(target)
            if linked is None:
                raise InvalidParameter(f"could not get container for {target}: No such container: {target}")
            stored.append(link_text(linked.name, name, (alias or target).rsplit("/", 1)[-1]))
        return stored

    # -- small operations --
    def rename_container(self, ref: str, new_name: str) -> None:
        c = self.state.container(ref)
        if not new_name:
            raise InvalidParameter("Neither old nor new names may be empty")
        new_name = check_name(new_name)
        if new_name == c.name:
            raise InvalidParameter("Renaming a container with the same name as its current name")
        other = self.state.find_container_by_name(new_name)
        if other is not None:
            raise Conflict(f'Conflict. The container name "/{new_name}" is already in use by container '
                           f'"{other.id}". You have to remove (or rename) that container to be able to reuse '
                           "that name.")
        old = c.name
        c.name = new_name
        # The links it has and the links to it are stored by name: dockerd rewrites both.
        for other in self.state.containers.values():
            if other.host_config.get("Links"):
                other.host_config["Links"] = [
                    link_text(new_name if target == old else target, other.name, alias)
                    for target, alias in legacy_links(other)]
        self.state.container_event(c, "rename", oldName="/" + old)

    def update_container(self, ref: str, changes: dict) -> list[str]:
        c = self.state.container(ref)
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
        self.state.container_event(c, "update")
        return []

    def resize_container(self, ref: str, h: int, w: int) -> None:
        c = self.state.container(ref)
        if not c.running:
            raise Conflict(f"Container {c.id} is not running")
        c.tty_size = (h, w)

    def top(self, ref: str, ps_args: str = "-ef") -> dict:
        c = self.state.container(ref)
        if not c.running:
            raise Conflict(f"Container {c.id} is not running")
        stime = rfc3339(c.started_ns)[11:16]
        user = c.config.get("User") or "root"
        procs = [[user, str(c.pid), str(c.pid - 20), "0", stime, "?", "00:00:00", c.command_text()]]
        for ex in self.state.execs.values():
            if ex.container_id == c.id and ex.running:
                procs.append([ex.config.get("User") or user, str(ex.pid), str(ex.pid - 3), "0", stime, "?",
                              "00:00:00", " ".join(ex.config.get("Cmd") or [])])
        self.state.container_event(c, "top")
        return {"Titles": ["UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD"], "Processes": procs}

    def stats(self, ref: str, previous: dict | None = None) -> dict:
        c = self.state.container(ref)
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
            "pids_stats": {"current": 1 + sum(1 for e in self.state.execs.values() if e.container_id == c.id and
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
        c = self.state.container(ref)
        return [{"Path": p, "Kind": k} for p, k in filesystem.changes(c.base, c.rootfs)]

    def export(self, ref: str) -> bytes:
        c = self.state.container(ref)
        self.state.container_event(c, "export")
        return filesystem.tar_tree(c.rootfs, exclude=tuple(m.destination for m in c.mounts))


    # -- logs --
    def log_entries(self, ref: str, stdout: bool = True, stderr: bool = True, since: str | None = None,
                    until: str | None = None, tail: str | None = "all") -> list[LogEntry]:
        c = self.state.container(ref)
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
        c = self.state.container(ref)
        self.state.container_event(c, "attach")
        return c

    def detached(self, c: Container) -> None:
        """A client attached to its TTY typed the detach keys: the container runs on."""
        self.state.container_event(c, "detach")


    # -- prune --
    async def prune_containers(self, filters: dict | None = None) -> dict:
        deleted, reclaimed = [], 0
        until_ns = parse_time((filters or {}).get("until", [None])[0]) if (filters or {}).get("until") else None
        label_filters = {k: v for k, v in (filters or {}).items() if k in ("label",)}
        for c in list(self.state.containers.values()):
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
            self.lifecycle.drop(c, volumes=False)
            deleted.append(c.id)
        self.state.events.emit("container", "prune", "", {"reclaimed": str(reclaimed)})
        return {"ContainersDeleted": deleted or None, "SpaceReclaimed": reclaimed}


# The log drivers dockerd 20.10 has built in; any other name is looked up as a plugin (there are none here).
LOG_DRIVERS = ("json-file", "local", "journald", "syslog", "gelf", "fluentd", "awslogs", "splunk", "etwlogs",
               "gcplogs", "logentries", "none")


def _log_config(given: dict | None) -> dict:
    """HostConfig.LogConfig as dockerd keeps it: an empty Type is the daemon's default driver (json-file), the
    options stay; an unknown driver is refused at create (measured on 20.10)."""
    given = given or {}
    driver = given.get("Type") or "json-file"
    if driver not in LOG_DRIVERS:
        raise InvalidParameter(f'error looking up logging plugin {driver}: plugin "{driver}" not found')
    return {"Type": driver, "Config": dict(given.get("Config") or {})}
