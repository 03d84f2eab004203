"""Networks: the predefined bridge/host/none, user networks with IPAM, and endpoint bookkeeping."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field

from .errors import Conflict, Forbidden, InvalidParameter, NotFound
from .filters import label_matches
from .ids import new_id, now_ns, rfc3339

PREDEFINED = ("bridge", "host", "none")


@dataclass
class Endpoint:
    container_id: str
    endpoint_id: str
    ip: str
    mac: str
    aliases: list[str] = field(default_factory=list)


@dataclass
class Network:
    name: str
    id: str = field(default_factory=new_id)
    driver: str = "bridge"
    scope: str = "local"
    subnet: str = ""
    gateway: str = ""
    ip_range: str = ""
    aux_addresses: dict[str, str] = field(default_factory=dict)
    internal: bool = False
    attachable: bool = False
    ingress: bool = False
    enable_ipv6: bool = False
    labels: dict[str, str] = field(default_factory=dict)
    options: dict[str, str] = field(default_factory=dict)
    created_ns: int = field(default_factory=now_ns)
    endpoints: dict[str, Endpoint] = field(default_factory=dict)  # container id -> endpoint
    ipam_driver: str = "default"
    ipam_options: dict | None = None
    extra_ipam: list[dict] = field(default_factory=list)

    @property
    def predefined(self) -> bool:
        return self.name in PREDEFINED

    def allocate_ip(self, wanted: str = "") -> str:
        if not self.subnet:
            return ""
        net = ipaddress.ip_network(self.subnet, strict=False)
        used = {e.ip for e in self.endpoints.values()} | {self.gateway}
        if wanted:
            if ipaddress.ip_address(wanted) not in net:
                raise InvalidParameter(f"Address {wanted} does not belong to any of this network's subnets")
            if wanted in used:
                raise Forbidden("Address already in use")
            return wanted
        pool = ipaddress.ip_network(self.ip_range, strict=False) if self.ip_range else net
        for host in pool.hosts():
            text = str(host)
            if text not in used:
                return text
        raise Forbidden(f"no available IPv4 addresses on this network's address pools: {self.name} ({self.id})")

    @property
    def prefix_len(self) -> int:
        return ipaddress.ip_network(self.subnet, strict=False).prefixlen if self.subnet else 0

    def inspect(self, containers: dict[str, dict] | None = None) -> dict:
        config = []
        if self.subnet:
            entry: dict = {"Subnet": self.subnet}  # dockerd's order (IPAMConfig's fields)
            if self.ip_range:
                entry["IPRange"] = self.ip_range
            if self.gateway:
                entry["Gateway"] = self.gateway
            if self.aux_addresses:
                entry["AuxiliaryAddresses"] = dict(self.aux_addresses)
            config.append(entry)
        config.extend(self.extra_ipam)
        return {
            "Name": self.name,
            "Id": self.id,
            "Created": rfc3339(self.created_ns),
            "Scope": self.scope,
            "Driver": self.driver,
            "EnableIPv4": True,
            "EnableIPv6": self.enable_ipv6,
            "IPAM": {"Driver": self.ipam_driver, "Options": self.ipam_options, "Config": config},
            "Internal": self.internal,
            "Attachable": self.attachable,
            "Ingress": self.ingress,
            "ConfigFrom": {"Network": ""},
            "ConfigOnly": False,
            "Containers": containers if containers is not None else {},
            "Options": dict(self.options),
            "Labels": dict(self.labels),
        }


class NetworkStore:
    def __init__(self) -> None:
        self.networks: dict[str, Network] = {}
        self._next_subnet = 18

    def reset_defaults(self) -> None:
        self.networks.clear()
        self._next_subnet = 18
        bridge = Network("bridge", subnet="172.17.0.0/16", gateway="172.17.0.1", options={
            "com.docker.network.bridge.default_bridge": "true", "com.docker.network.bridge.enable_icc": "true",
            "com.docker.network.bridge.enable_ip_masquerade": "true",
            "com.docker.network.bridge.host_binding_ipv4": "0.0.0.0",
            "com.docker.network.bridge.name": "docker0", "com.docker.network.driver.mtu": "1500"})
        self.networks[bridge.id] = bridge
        for name, driver in (("host", "host"), ("none", "null")):
            net = Network(name, driver=driver)
            self.networks[net.id] = net

    def find(self, ref: str) -> Network | None:
        if not ref:
            return None
        if ref in self.networks:  # keyed by id
            return self.networks[ref]
        for net in self.networks.values():
            if net.name == ref:
                return net
        hits = [n for n in self.networks.values() if n.id.startswith(ref)]
        return hits[0] if len(hits) == 1 else None

    def get(self, ref: str) -> Network:
        net = self.find(ref)
        if net is None:
            raise NotFound(f"network {ref} not found")
        return net

    def create(self, name: str, driver: str = "bridge", ipam: dict | None = None, internal: bool = False,
               attachable: bool = False, labels: dict | None = None, options: dict | None = None,
               enable_ipv6: bool = False, unique: bool = True) -> Network:
        """``unique``: refuse a name in use (what engines from 25.0 always do; older ones only with CheckDuplicate,
        else they create a second network of that name)."""
        if not name:
            raise InvalidParameter("Name is required")
        # dockerd 20.10 takes any name ("test 01" included, docker-py's suite creates one).
        if name in PREDEFINED:
            raise Forbidden(f"{name} is a pre-defined network and cannot be created")
        if unique and any(n.name == name for n in self.networks.values()):
            raise Conflict(f"network with name {name} already exists")
        driver = driver or "bridge"
        if driver in ("host", "null"):  # the predefined networks' drivers allow one instance (measured on 20.10)
            raise Forbidden(f'only one instance of "{driver}" network is allowed')
        if driver not in ("bridge", "overlay", "macvlan", "ipvlan", "null", "host"):
            raise NotFound(f"could not find plugin {driver} in v1 plugin registry: plugin not found")
        subnet = gateway = ip_range = ""
        aux: dict[str, str] = {}
        extra: list[dict] = []
        ipam = ipam or {}
        configs = [c for c in (ipam.get("Config") or []) if c]
        if configs:
            first = configs[0]
            subnet = first.get("Subnet", "")
            try:
                net = ipaddress.ip_network(subnet, strict=False)
            except ValueError as err:
                raise InvalidParameter(f"invalid subnet {subnet}: {err}") from None
            for other in self.networks.values():
                if other.subnet and ipaddress.ip_network(other.subnet, strict=False).overlaps(net):
                    raise Forbidden("Pool overlaps with other one on this address space")
            gateway = first.get("Gateway") or str(next(net.hosts()))
            ip_range = first.get("IPRange", "")
            aux = dict(first.get("AuxiliaryAddresses") or {})
            extra = configs[1:]
        elif driver in ("bridge", "overlay", "macvlan", "ipvlan"):
            while True:
                subnet = f"172.{self._next_subnet}.0.0/16"
                self._next_subnet += 1
                if not any(n.subnet == subnet for n in self.networks.values()):
                    break
            gateway = subnet.replace("0.0/16", "0.1")
        net = Network(name, driver=driver, subnet=subnet, gateway=gateway, ip_range=ip_range, internal=internal,
                      attachable=attachable, labels=dict(labels or {}), options=dict(options or {}),
                      enable_ipv6=enable_ipv6, ipam_driver=ipam.get("Driver") or "default",
                      ipam_options=ipam.get("Options"), extra_ipam=extra, aux_addresses=aux,
                      scope="swarm" if driver == "overlay" else "local")
        self.networks[net.id] = net
        return net

    def remove(self, net: Network) -> None:
        if net.predefined:
            raise Forbidden(f"{net.name} is a pre-defined network and cannot be removed")
        if net.endpoints:
            raise Forbidden(f"error while removing network: network {net.name} id {net.id} has active endpoints")
        del self.networks[net.id]

    def matches(self, net: Network, filters: dict[str, list[str]]) -> bool:
        for key, values in filters.items():
            if not values:
                continue
            if key == "name":
                if not any(v in net.name for v in values):
                    return False
            elif key == "id":
                if not any(net.id.startswith(v) for v in values):
                    return False
            elif key == "driver":
                if net.driver not in values:
                    return False
            elif key == "scope":
                if net.scope not in values:
                    return False
            elif key == "type":
                kind = "builtin" if net.predefined else "custom"
                if kind not in values:
                    return False
            elif key == "dangling":
                want = values[0].lower() in ("true", "1")
                if (not net.endpoints and not net.predefined) != want:
                    return False
            elif key == "label":
                if not all(label_matches(net.labels, v) for v in values):
                    return False
            elif key == "until":
                continue
            else:
                raise InvalidParameter(f"invalid filter '{key}'")
        return True
