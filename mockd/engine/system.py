"""The daemon as a whole: counts and facts for `docker info`, disk usage, swarm membership, a debug dump."""

from __future__ import annotations

import os
import platform
from typing import Any

from .state import DaemonState, Swarm

# What a stock install reports: components at the commits the engine expects (the CLI prints
# "(expected: X)" when they differ) and dockerd's built-in plugins (measured on 20.10).
COMMITS = {"ContainerdCommit": "05044ec0a9a75232cad458027ca83437aae3f4da", "RuncCommit": "v1.2.5-0-g59923ef",
           "InitCommit": "de40ad0"}
PLUGINS = {
    "Volume": ["local"], "Network": ["bridge", "host", "ipvlan", "macvlan", "null", "overlay"], "Authorization": None,
    "Log": ["awslogs", "fluentd", "gcplogs", "gelf", "journald", "json-file", "local", "logentries", "splunk", "syslog"],
}


def _memory_total() -> int:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return 0


class SystemOps:
    def __init__(self, state: DaemonState) -> None:
        self.state = state

    @property
    def swarm(self) -> Swarm:
        return self.state.swarm

    def join_swarm(self, node_id: str) -> None:
        self.state.swarm.active = True
        self.state.swarm.node_id = node_id

    def leave_swarm(self) -> None:
        self.state.swarm = Swarm()

    def info_counts(self) -> dict[str, int]:
        cs = list(self.state.containers.values())
        return {"Containers": len(cs), "ContainersRunning": sum(c.status in ("running", "restarting") for c in cs),
                "ContainersPaused": sum(c.status == "paused" for c in cs),
                "ContainersStopped": sum(c.status in ("created", "exited", "dead") for c in cs),
                "Images": len(self.state.images.images)}

    def daemon_facts(self) -> dict[str, Any]:
        """What `docker info` tells of this daemon beyond the counts: storage, host, logging, runtimes,
        component commits, plugins and the swarm this node is in (or not)."""
        swarm = self.state.swarm
        return {
            "Driver": "overlay2", "DriverStatus": [["Backing Filesystem", "extfs"]],
            "DockerRootDir": "/var/lib/docker", "Architecture": platform.machine() or "x86_64",
            "OperatingSystem": "mockd", "OSVersion": "", "NCPU": os.cpu_count() or 1, "MemTotal": _memory_total(),
            "IndexServerAddress": "https://index.docker.io/v1/", "LoggingDriver": "json-file",
            "CgroupVersion": "2", "CgroupDriver": "systemd", "DefaultRuntime": "runc",
            "Runtimes": {"runc": {"path": "runc"}}, "Commits": dict(COMMITS), "Debug": False,
            "Plugins": {k: (list(v) if v is not None else None) for k, v in PLUGINS.items()},
            "Swarm": {"LocalNodeState": "active" if swarm.active else "inactive", "NodeID": swarm.node_id,
                      "ControlAvailable": swarm.active},
        }

    def disk_usage(self) -> dict:
        containers = []
        for c in self.state.containers.values():
            s = c.summary(size=True)
            containers.append(s)
        images = []
        counts = self.state.image_container_counts()
        for img in self.state.images.images.values():
            summary = img.summary(containers=counts.get(img.id, 0))
            summary["SharedSize"] = 0
            images.append(summary)
        volumes = []
        for v in self.state.volumes.volumes.values():
            volumes.append(v.inspect(ref_count=len(self.state.volume_users(v.name))))
        layers = sum(img.size for img in self.state.images.images.values())
        return {"LayersSize": layers, "Images": images, "Containers": containers, "Volumes": volumes,
                "BuildCache": []}

    def dump(self) -> dict:
        state = self.state
        return {"containers": [{"id": c.id, "name": c.name, "status": c.status, "image": c.image_ref}
                               for c in state.containers.values()],
                "images": [{"id": i.id, "tags": i.repo_tags} for i in state.images.images.values()],
                "volumes": sorted(state.volumes.volumes),
                "networks": sorted(n.name for n in state.networks.networks.values()),
                "rules": len(state.rules)}
