"""What a running container reaches beyond itself: the other containers by name on its networks (Docker's
embedded DNS) and, for a container given the docker socket, the daemon itself (Ryuk reaps through it).

dockerd's rules, as a client in a container sees them:
- on a user-defined network a container is found by its name, its short id and its aliases (`DNSNames`), and
  by its address; on the default bridge only by address and by the `--link` names given to this container;
- its own hostname and name are in its `/etc/hosts`, so they reach its own sockets;
- a program talks to the daemon when the socket is mounted (`-v /var/run/docker.sock:/var/run/docker.sock`)
  or DOCKER_HOST points elsewhere; else it cannot.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .containers import Container, legacy_links
from .netns import NetNamespace

if TYPE_CHECKING:
    from .engine import Engine
    from .state import DaemonState

DOCKER_SOCKET = "/var/run/docker.sock"


class ContainerLink:
    def __init__(self, engine: Engine, c: Container) -> None:
        self.engine = engine
        self.container = c

    def is_self(self, host: str) -> bool:
        """Our own names: hostname, name, short id, and on a user network our aliases and address (the embedded
        DNS answers a container its own service name too: compose's healthchecks dial it)."""
        c = self.container
        if host in (c.config.get("Hostname") or c.id[:12], c.name.lstrip("/"), c.id[:12]):
            return True
        for net_name, mine in c.networks.items():
            net = self.engine.state.networks.find(mine.get("NetworkID") or net_name)
            if net is not None and not net.predefined and host in (mine.get("DNSNames") or []):
                return True
        return any(host == mine.get("IPAddress") for mine in c.networks.values() if mine.get("IPAddress"))

    def resolve(self, host: str) -> tuple[NetNamespace, str] | None:
        """The namespace `host` names from here and our address towards it, or None (no such host)."""
        me = self.container
        links = {alias: name for name, alias in legacy_links(me)}
        for net_name, mine in me.networks.items():
            own_ip = mine.get("IPAddress") or ""
            if not own_ip:
                continue
            net = self.engine.state.networks.find(mine.get("NetworkID") or net_name)
            if net is None:
                continue
            for cid, endpoint in net.endpoints.items():
                peer = self.engine.state.containers.get(cid)
                if peer is None or peer is me or not peer.running:
                    continue
                settings = peer.networks.get(net.name) or {}
                names = set(settings.get("DNSNames") or []) if not net.predefined else set()
                if links.get(host) == peer.name.lstrip("/"):
                    names.add(host)
                if host == endpoint.ip or host in names:
                    return peer.net, own_ip
        return None

    def daemon(self) -> Engine | None:
        """The engine, when this container was given a way to talk to it."""
        c = self.container
        binds = [str(b).split(":")[1] for b in c.host_config.get("Binds") or [] if ":" in str(b)]
        mounts = [str((m or {}).get("Target") or "") for m in c.host_config.get("Mounts") or []]
        env = dict(str(e).partition("=")[::2] for e in c.config.get("Env") or [])
        if DOCKER_SOCKET in binds + mounts or env.get("DOCKER_HOST"):
            return self.engine
        return None


def link_env(state: DaemonState, c: Container) -> list[str]:
    """The variables legacy links (`HostConfig.Links`, "name:alias") give a container on the default bridge, as
    moby's daemon/links builds them: ALIAS_NAME=/me/alias, ALIAS_PORT*, and ALIAS_ENV_X for the linked
    container's Env (HOME and PATH left out)."""
    if (c.host_config.get("NetworkMode") or "default") not in ("default", "bridge"):
        return []
    out: list[str] = []
    for name, alias in legacy_links(c):
        target = state.find_container_by_name(name)
        if target is None:
            continue
        prefix = alias.upper().replace("-", "_")
        ip = (target.networks.get("bridge") or {}).get("IPAddress") or ""
        ports = sorted(target.config.get("ExposedPorts") or {}, key=lambda p: (int(p.split("/")[0]), p))
        if ports and ip:
            number, _, proto = ports[0].partition("/")
            out.append(f"{prefix}_PORT={proto or 'tcp'}://{ip}:{number}")
        for port in ports:
            number, _, proto = port.partition("/")
            proto = proto or "tcp"
            key = f"{prefix}_PORT_{number}_{proto.upper()}"
            out += [f"{key}={proto}://{ip}:{number}", f"{key}_ADDR={ip}", f"{key}_PORT={number}",
                    f"{key}_PROTO={proto}"]
        out.append(f"{prefix}_NAME=/{c.name.lstrip('/')}/{alias}")
        for item in target.config.get("Env") or []:
            key, sep, value = item.partition("=")
            if sep and key not in ("HOME", "PATH"):
                out.append(f"{prefix}_ENV_{key}={value}")
    return out
