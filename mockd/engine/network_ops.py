"""Networks as the daemon changes them: create, remove, prune, connect and disconnect containers, and the
endpoints a container gets on its networks while it runs."""

from __future__ import annotations

from .containers import Container
from .errors import EngineError, no_such_container
from .ids import new_id
from .networks import Endpoint, Network
from .state import DaemonState

# The /etc/hosts dockerd writes (measured on 20.10): loopback and the IPv6 names, then `--add-host` entries.
ETC_HOSTS = ("127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\n"
             "ff00::0\tip6-mcastprefix\nff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n")


def etc_hosts(extra_hosts: list[str], host_gateway: str) -> bytes:
    lines = [ETC_HOSTS]
    for entry in extra_hosts:  # "name:ip" (the IP may hold colons) or "name=ip"
        sep = "=" if "=" in entry else ":"
        name, _, ip = entry.partition(sep)
        # "host-gateway" is dockerd's name for the host as seen from containers: the default bridge's gateway.
        lines.append(f"{host_gateway if ip == 'host-gateway' else ip}\t{name}\n")
    return "".join(lines).encode()


class NetworkOps:
    def __init__(self, state: DaemonState) -> None:
        self.state = state

    def endpoint_settings(self, net: Network, requested: dict, c: Container) -> dict:
        aliases = list(requested.get("Aliases") or [])
        return {
            "IPAMConfig": requested.get("IPAMConfig"), "Links": requested.get("Links"), "Aliases": aliases or None,
            "MacAddress": requested.get("MacAddress", ""), "DriverOpts": requested.get("DriverOpts"),
            "GwPriority": 0, "NetworkID": net.id, "EndpointID": "", "Gateway": "", "IPAddress": "",
            "IPPrefixLen": 0, "IPv6Gateway": "", "GlobalIPv6Address": "", "GlobalIPv6PrefixLen": 0,
            "DNSNames": None,
        }

    def connect_endpoints(self, c: Container) -> None:
        for net_name, settings in c.networks.items():
            net = self.state.networks.find(settings.get("NetworkID", "")) or self.state.networks.find(net_name)
            if net is None or c.id in net.endpoints:
                continue
            wanted = ((settings.get("IPAMConfig") or {}).get("IPv4Address") or "")
            ip = net.allocate_ip(wanted) if net.driver not in ("host", "null") else ""
            # The endpoint's MacAddress, else the container-wide Config.MacAddress on its first network (what
            # dockerd 20.10 does with `docker run --mac-address`), else one derived from the id as dockerd's
            # from the IP.
            first = next(iter(c.networks)) == net_name
            given = settings.get("MacAddress") or (c.config.get("MacAddress") if first else "")
            mac = (given or "02:42:" + ":".join(f"{b:02x}" for b in bytes.fromhex(c.id[:8]))) if ip else ""
            ep = Endpoint(c.id, new_id(), ip, mac, list(settings.get("Aliases") or []))
            net.endpoints[c.id] = ep
            settings.update({"EndpointID": ep.endpoint_id, "IPAddress": ip, "Gateway": net.gateway if ip else "",
                             "IPPrefixLen": net.prefix_len if ip else 0, "MacAddress": mac,
                             "NetworkID": net.id})
            if not net.predefined or net.name == "bridge":
                settings["DNSNames"] = [c.name, c.id[:12], *(settings.get("Aliases") or [])] \
                    if not net.predefined else None
            self.state.events.emit("network", "connect", net.id, {"container": c.id, "name": net.name, "type": net.driver})

    def disconnect_endpoints(self, c: Container) -> None:
        for net_name, settings in c.networks.items():
            net = self.state.networks.find(settings.get("NetworkID", "")) or self.state.networks.find(net_name)
            if net is None or c.id not in net.endpoints:
                continue
            del net.endpoints[c.id]
            settings.update({"EndpointID": "", "IPAddress": "", "Gateway": "", "IPPrefixLen": 0, "MacAddress": "",
                             "DNSNames": None})
            self.state.events.emit("network", "disconnect", net.id, {"container": c.id, "name": net.name,
                                                               "type": net.driver})


    # -- networks --
    def create_network(self, body: dict, unique: bool = True) -> Network:
        net = self.state.networks.create(
            body.get("Name") or "", driver=body.get("Driver") or "bridge", ipam=body.get("IPAM"),
            internal=bool(body.get("Internal")), attachable=bool(body.get("Attachable")),
            labels=body.get("Labels"), options=body.get("Options"), enable_ipv6=bool(body.get("EnableIPv6")), unique=unique)
        self.state.events.emit("network", "create", net.id, {"name": net.name, "type": net.driver})
        return net

    def network_containers(self, net: Network) -> dict:
        out = {}
        for cid, ep in net.endpoints.items():
            c = self.state.containers.get(cid)
            if c is None:
                continue
            out[cid] = {"Name": c.name, "EndpointID": ep.endpoint_id, "MacAddress": ep.mac,
                        "IPv4Address": f"{ep.ip}/{net.prefix_len}" if ep.ip else "", "IPv6Address": ""}
        return out

    def remove_network(self, ref: str) -> None:
        net = self.state.networks.get(ref)
        self.state.networks.remove(net)
        self.state.events.emit("network", "destroy", net.id, {"name": net.name, "type": net.driver})

    def connect_network(self, ref: str, container_ref: str, endpoint: dict | None = None) -> None:
        net = self.state.networks.get(ref)
        c = self.state.container(container_ref)
        if net.name in c.networks:
            raise EngineError(f"endpoint with name {c.name} already exists in network {net.name}", 403)
        mode = c.host_config.get("NetworkMode")
        if mode in ("host", "none") or net.name in ("host", "none"):
            raise EngineError("container cannot be disconnected from host network or connected to host network"
                              if "host" in (mode, net.name) else
                              "container cannot be connected to multiple networks with one of the networks in "
                              "private (none) mode", 400)
        c.networks[net.name] = self.endpoint_settings(net, endpoint or {}, c)
        if c.running:
            self.connect_endpoints(c)
        else:
            self.state.events.emit("network", "connect", net.id, {"container": c.id, "name": net.name,
                                                            "type": net.driver})

    def disconnect_network(self, ref: str, container_ref: str, force: bool = False) -> None:
        net = self.state.networks.get(ref)
        c = self.state.find_container(container_ref)
        if c is None:
            if force:
                return
            raise no_such_container(container_ref)
        if net.name not in c.networks:
            raise EngineError(f"container {c.id} is not connected to network {net.name}", 400)
        del c.networks[net.name]
        net.endpoints.pop(c.id, None)
        self.state.events.emit("network", "disconnect", net.id, {"container": c.id, "name": net.name, "type": net.driver})

    def prune_networks(self, filters: dict | None = None) -> dict:
        deleted = []
        for net in list(self.state.networks.networks.values()):
            if net.predefined or net.endpoints:
                continue
            if any(net.name in c.networks for c in self.state.containers.values()):
                continue
            if not self.state.networks.matches(net, {k: v for k, v in (filters or {}).items() if k == "label"}):
                continue
            self.remove_network(net.id)
            deleted.append(net.name)
        self.state.events.emit("network", "prune", "", {"reclaimed": "0"})
        return {"NetworksDeleted": deleted or None}



def embedded_dns(state: DaemonState, c: Container, name: str) -> tuple[bool, str | None]:
    """What dockerd's embedded DNS server tells container `c` of `name`: (whether `c` asks it at all — only on
    user-defined networks —, the address or None). On each such network of `c`: its link aliases there
    (`Links` "container:alias"), then the network's containers by name, short id and alias."""
    asked = False
    for net_name, settings in c.networks.items():
        net = state.networks.find(settings.get("NetworkID", "")) or state.networks.find(net_name)
        if net is None or net.predefined:
            continue
        asked = True
        for link in settings.get("Links") or []:
            target, _, alias = str(link).partition(":")
            if name in (alias, target.lstrip("/")):
                other = state.find_container(target)
                ep = net.endpoints.get(other.id) if other is not None else None
                if ep is not None and ep.ip:
                    return True, ep.ip
        address = network_lookup(state, net, name)
        if address is not None:
            return True, address
    return asked, None


def network_lookup(state: DaemonState, net: Network, name: str) -> str | None:
    """The address dockerd's embedded DNS gives `name` on a user-defined network: a container there by name,
    short id or alias."""
    for cid, ep in net.endpoints.items():
        other = state.containers.get(cid)
        if other is not None and ep.ip and name in (other.name.lstrip("/"), other.id[:12], *ep.aliases):
            return ep.ip
    return None
