"""Containers: configuration, state, filesystem, output (logs and live subscribers) and their API views."""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .errors import InvalidParameter
from .filesystem import FileTree, Mount, MountedFS, changes
from .ids import now_ns, rfc3339
from .images import Image
from .netns import NetNamespace
from .pipe import Pipe
from .tree import tree_copy

if TYPE_CHECKING:
    from .runtime import Process  # the runtime imports these records

NAME_RE = re.compile(r"^/?[a-zA-Z0-9][a-zA-Z0-9_.-]+$")
RUNNING_STATES = ("running", "paused", "restarting")


def check_name(name: str) -> str:
    if not NAME_RE.match(name):
        raise InvalidParameter(f"Invalid container name ({name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed")
    return name.lstrip("/")


def default_host_config() -> dict[str, Any]:
    """dockerd's HostConfig after decoding a request into the Go struct: every field, zero-valued."""
    return {
        "Binds": None, "ContainerIDFile": "", "LogConfig": {"Type": "json-file", "Config": {}},
        "NetworkMode": "default", "PortBindings": None, "RestartPolicy": {"Name": "no", "MaximumRetryCount": 0},
        "AutoRemove": False, "VolumeDriver": "", "VolumesFrom": None, "ConsoleSize": [0, 0], "Annotations": None,
        "CapAdd": None, "CapDrop": None, "CgroupnsMode": "private", "Dns": None, "DnsOptions": None, "DnsSearch": None,
        "ExtraHosts": None, "GroupAdd": None, "IpcMode": "private", "Cgroup": "", "Links": None, "OomScoreAdj": 0,
        "PidMode": "", "Privileged": False, "PublishAllPorts": False, "ReadonlyRootfs": False, "SecurityOpt": None,
        "UTSMode": "", "UsernsMode": "", "ShmSize": 67108864, "Runtime": "runc", "Isolation": "",
        "CpuShares": 0, "Memory": 0, "NanoCpus": 0, "CgroupParent": "", "BlkioWeight": 0,
        "BlkioWeightDevice": None, "BlkioDeviceReadBps": None, "BlkioDeviceWriteBps": None, "BlkioDeviceReadIOps": None,
        "BlkioDeviceWriteIOps": None, "CpuPeriod": 0, "CpuQuota": 0, "CpuRealtimePeriod": 0, "CpuRealtimeRuntime": 0,
        "CpusetCpus": "", "CpusetMems": "", "Devices": None, "DeviceCgroupRules": None, "DeviceRequests": None,
        "MemoryReservation": 0, "MemorySwap": 0, "MemorySwappiness": None, "OomKillDisable": False,
        "PidsLimit": None, "Ulimits": None, "CpuCount": 0, "CpuPercent": 0, "IOMaximumIOps": 0,
        "IOMaximumBandwidth": 0, "MaskedPaths": ["/proc/asound", "/proc/acpi", "/proc/kcore", "/proc/keys",
                                                 "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats",
                                                 "/proc/sched_debug", "/proc/scsi", "/sys/firmware"],
        "ReadonlyPaths": ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"],
        "KernelMemory": 0, "KernelMemoryTCP": 0, "Mounts": None, "Init": None,
    }



def link_text(target: str, parent: str, alias: str) -> str:
    """A legacy link as dockerd stores it in HostConfig.Links: "/target:/parent/alias"."""
    return f"/{target.lstrip('/')}:/{parent.lstrip('/')}/{alias}"


def legacy_links(c: Container) -> list[tuple[str, str]]:
    """(linked container's name, alias) of each legacy link in HostConfig.Links: "name:alias", "name", or as
    dockerd stores them, "/name:/me/alias"."""
    out = []
    for raw in c.host_config.get("Links") or []:
        name, _, alias = str(raw).partition(":")
        out.append((name.lstrip("/"), (alias or name).rsplit("/", 1)[-1]))
    return out

@dataclass
class MountPoint:
    type: str  # volume | bind | tmpfs
    destination: str
    tree: FileTree
    name: str = ""
    source: str = ""
    driver: str = ""
    mode: str = ""
    rw: bool = True
    propagation: str = ""
    subpath: str = ""  # the volume's directory mounted (VolumeOptions.Subpath); inspect does not show it

    def inspect(self) -> dict:
        out = {"Type": self.type}
        if self.type == "volume":
            out["Name"] = self.name
        out.update({"Source": self.source, "Destination": self.destination})
        if self.type == "volume":
            out["Driver"] = self.driver
        out.update({"Mode": self.mode, "RW": self.rw, "Propagation": self.propagation})
        return out


@dataclass
class LogEntry:
    time_ns: int
    stream: int  # 1 stdout, 2 stderr
    data: bytes


@dataclass
class Container:
    id: str
    name: str
    image: Image
    image_ref: str
    config: dict
    host_config: dict
    path: str
    args: list[str]
    rootfs: FileTree
    base: FileTree  # the image's tree plus what dockerd writes at create (for `docker diff`)
    mounts: list[MountPoint] = field(default_factory=list)
    created_ns: int = field(default_factory=now_ns)
    status: str = "created"
    pid: int = 0
    exit_code: int = 0
    error: str = ""
    started_ns: int = 0
    finished_ns: int = 0
    restart_count: int = 0
    oom_killed: bool = False
    health: dict | None = None  # State.Health while a healthcheck is configured (see health.py)
    link_env: list[str] = field(default_factory=list)  # legacy --link variables, set at start (peers.link_env)
    manual_stop: bool = False
    removed: bool = False
    networks: dict[str, dict] = field(default_factory=dict)  # network name -> EndpointSettings (full)
    logs: list[LogEntry] = field(default_factory=list)
    subscribers: set[asyncio.Queue] = field(default_factory=set)
    stdin: Pipe = field(default_factory=Pipe)
    process: Process | None = None
    exit_waiters: list[asyncio.Future] = field(default_factory=list)
    removed_waiters: list[asyncio.Future] = field(default_factory=list)
    exec_ids: list[str] = field(default_factory=list)
    # Execs whose process ended: dockerd drops them from the container's ExecIDs (still inspectable by id).
    finished_execs: set[str] = field(default_factory=set)
    tty_size: tuple[int, int] = (0, 0)
    net: NetNamespace = field(default_factory=NetNamespace)  # its listening sockets, /proc/net
    published: dict[str, list[dict]] | None = None  # port -> host bindings while published (publish.py)
    log_bytes: int = 0
    platform: str = "linux"

    # -- state --
    @property
    def running(self) -> bool:
        return self.status in RUNNING_STATES

    @property
    def tty(self) -> bool:
        return bool(self.config.get("Tty"))

    def fs(self) -> MountedFS:
        mounts = [Mount(m.destination, m.tree, not m.rw, m.subpath) for m in self.mounts]
        mounts.append(Mount("/proc/net", self.net.tree, read_only=True))  # the kernel's view of its sockets
        return MountedFS(self.rootfs, mounts, read_only_root=bool(self.host_config.get("ReadonlyRootfs")))

    # -- output --
    def emit(self, stream: int, data: bytes) -> None:
        if not data:
            return
        if self.tty:
            stream = 1
            data = re.sub(rb"(?<!\r)\n", b"\r\n", data)
        now = now_ns()
        # json-file keeps one entry per line; a partial line is an entry too.
        for line in data.splitlines(keepends=True):
            self.logs.append(LogEntry(now, stream, line))
            self.log_bytes += len(line)
        for queue in list(self.subscribers):
            queue.put_nowait((stream, data))

    def subscribe(self) -> asyncio.Queue:
        queue: asyncio.Queue = asyncio.Queue()
        self.subscribers.add(queue)
        return queue

    def unsubscribe(self, queue: asyncio.Queue) -> None:
        self.subscribers.discard(queue)

    def end_streams(self) -> None:
        for queue in list(self.subscribers):
            queue.put_nowait(None)
        self.subscribers.clear()

    # -- views --
    def state_view(self) -> dict:
        return {
            "Status": self.status,
            "Running": self.status in ("running", "paused"),
            "Paused": self.status == "paused",
            "Restarting": self.status == "restarting",
            "OOMKilled": self.oom_killed,
            "Dead": self.status == "dead",
            "Pid": self.pid if self.running else 0,
            "ExitCode": self.exit_code,
            "Error": self.error,
            "StartedAt": rfc3339(self.started_ns),
            "FinishedAt": rfc3339(self.finished_ns),
            **({"Health": self.health} if self.health is not None else {}),  # omitempty pointer in dockerd
        }

    def ports_view(self) -> dict:
        """NetworkSettings.Ports: exposed and bound ports, with the host ports given at start while running."""
        if self.status not in ("running", "paused") or self.published is None or not self._maps_ports():
            # Measured on dockerd 20.10: `{}` before the first start, after the process ended, after a refused
            # start, and with --network none/host/container (nothing mapped).
            return {}
        exposed = set((self.config.get("ExposedPorts") or {}).keys())
        exposed |= set(self.host_config.get("PortBindings") or {})
        return {port: self.published.get(port) or None for port in sorted(exposed | set(self.published))}

    def _maps_ports(self) -> bool:
        mode = self.host_config.get("NetworkMode") or "default"
        return not (mode in ("none", "host") or mode.startswith("container:"))

    def network_settings(self) -> dict:
        networks = tree_copy(self.networks)
        bridge = networks.get("bridge") or {}
        settings = {
            "Bridge": "", "SandboxID": (self.id[::-1] if self.running else ""), "SandboxKey":
                (f"/var/run/docker/netns/{self.id[:12]}" if self.running else ""),
            "HairpinMode": False, "LinkLocalIPv6Address": "", "LinkLocalIPv6PrefixLen": 0,
            "Ports": self.ports_view(), "SecondaryIPAddresses": None, "SecondaryIPv6Addresses": None,
            "EndpointID": bridge.get("EndpointID", ""), "Gateway": bridge.get("Gateway", ""),
            "GlobalIPv6Address": bridge.get("GlobalIPv6Address", ""),
            "GlobalIPv6PrefixLen": bridge.get("GlobalIPv6PrefixLen", 0),
            "IPAddress": bridge.get("IPAddress", ""), "IPPrefixLen": bridge.get("IPPrefixLen", 0),
            "IPv6Gateway": bridge.get("IPv6Gateway", ""), "MacAddress": bridge.get("MacAddress", ""),
            "Networks": networks,
        }
        return settings

    def mounts_view(self) -> list[dict]:
        return [m.inspect() for m in self.mounts]

    def inspect(self, size: bool = False) -> dict:
        out = {
            "Id": self.id,
            "Created": rfc3339(self.created_ns),
            "Path": self.path,
            "Args": list(self.args),
            "State": self.state_view(),
            "Image": self.image.id,
            "ResolvConfPath": f"/var/lib/docker/containers/{self.id}/resolv.conf",
            "HostnamePath": f"/var/lib/docker/containers/{self.id}/hostname",
            "HostsPath": f"/var/lib/docker/containers/{self.id}/hosts",
            "LogPath": f"/var/lib/docker/containers/{self.id}/{self.id}-json.log",
            "Name": "/" + self.name,
            "RestartCount": self.restart_count,
            "Driver": "overlay2",
            "Platform": self.platform,
            "MountLabel": "",
            "ProcessLabel": "",
            "AppArmorProfile": "",
            "ExecIDs": [e for e in self.exec_ids if e not in self.finished_execs] or None,
            "HostConfig": tree_copy(self.host_config),
            "GraphDriver": {"Name": "overlay2", "Data": {
                "LowerDir": f"/var/lib/docker/overlay2/{self.id[:12]}-init/diff",
                "MergedDir": f"/var/lib/docker/overlay2/{self.id[:12]}/merged",
                "UpperDir": f"/var/lib/docker/overlay2/{self.id[:12]}/diff",
                "WorkDir": f"/var/lib/docker/overlay2/{self.id[:12]}/work"}},
            "Mounts": self.mounts_view(),
            "Config": tree_copy(self.config),
            "NetworkSettings": self.network_settings(),
        }
        if size:
            out["SizeRw"] = size_rw = self.size_rw()
            out["SizeRootFs"] = size_rw + self.image.size
        return out

    def size_rw(self) -> int:
        total = 0
        for path, kind in changes(self.base, self.rootfs):
            node = self.rootfs.get(path)
            if kind != 2 and node is not None and node.kind == "file":
                total += len(node.data)
        return total

    def command_text(self) -> str:
        return " ".join([self.path, *self.args]).strip()

    def summary(self, size: bool = False, link_names: list[str] | None = None) -> dict:
        """The container list's item; `link_names` are the "/parent/alias" names legacy links give it."""
        ports = []
        for port, binds in self.ports_view().items():
            number, _, proto = port.partition("/")
            if binds:
                for b in binds:
                    ports.append({"IP": b["HostIp"], "PrivatePort": int(number), "PublicPort": int(b["HostPort"]),
                                  "Type": proto or "tcp"})
            else:
                ports.append({"PrivatePort": int(number), "Type": proto or "tcp"})
        out = {
            "Id": self.id,
            "Names": ["/" + self.name, *sorted(link_names or [])],
            "Image": self.image_ref,
            "ImageID": self.image.id,
            "Command": self.command_text(),
            "Created": self.created_ns // 1_000_000_000,
            "Ports": ports,
            "Labels": dict(self.config.get("Labels") or {}),
            "State": self.status,
            "Status": self.status_text(),
            "HostConfig": {"NetworkMode": self.host_config.get("NetworkMode", "default")},
            "NetworkSettings": {"Networks": tree_copy(self.networks)},
            "Mounts": self.mounts_view(),
        }
        if size:
            out["SizeRw"] = size_rw = self.size_rw()
            out["SizeRootFs"] = size_rw + self.image.size
        return out

    def status_text_until(self, now: int) -> int | None:
        """When :meth:`status_text` (as of ``now``) may next change by time alone: the next whole second of the
        duration it shows (every unit of Go's HumanDuration is whole seconds); None when it shows none."""
        if self.status in ("running", "paused"):
            since = self.started_ns
        elif self.status in ("restarting", "exited"):
            since = self.finished_ns
        else:
            return None
        elapsed = max(now - since, 0)
        return since + (elapsed // 1_000_000_000 + 1) * 1_000_000_000

    def status_text(self) -> str:
        now = now_ns()
        if self.status in ("running", "paused"):
            text = f"Up {_human_duration(now - self.started_ns)}"
            if self.status == "paused":
                return text + " (Paused)"
            if self.health is not None:
                status = self.health["Status"]
                return text + (" (health: starting)" if status == "starting" else f" ({status})")
            return text
        if self.status == "restarting":
            return f"Restarting ({self.exit_code}) {_human_duration(now - self.finished_ns)} ago"
        if self.status == "exited":
            return f"Exited ({self.exit_code}) {_human_duration(now - self.finished_ns)} ago"
        if self.status == "dead":
            return "Dead"
        if self.status == "removing":
            return "Removal In Progress"
        return "Created"


def _human_duration(ns: int) -> str:
    """Go's units.HumanDuration, as `docker ps` shows it."""
    seconds = max(ns, 0) / 1e9
    if seconds < 1:
        return "Less than a second"
    if seconds < 2:
        return "1 second"
    if seconds < 60:
        return f"{int(seconds)} seconds"
    minutes = seconds / 60
    if minutes < 2:
        return "About a minute"
    if minutes < 60:
        return f"{int(minutes)} minutes"
    hours = minutes / 60
    if hours < 2:
        return "About an hour"
    if hours < 48:
        return f"{int(hours)} hours"
    if hours < 24 * 7 * 2:
        return f"{int(hours / 24)} days"
    if hours < 24 * 30 * 2:
        return f"{int(hours / 24 / 7)} weeks"
    if hours < 24 * 365 * 2:
        return f"{int(hours / 24 / 30)} months"
    return f"{int(hours / 24 / 365)} years"
