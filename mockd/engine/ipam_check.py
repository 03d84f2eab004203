"""The IPAM checks of a network create that engines from 25.0 make before anything else (moby's
api/types/network/ipam.go ValidateIPAM, v25.0): every problem of every config, joined into one message."""

from __future__ import annotations

import ipaddress

Prefix = ipaddress.IPv4Interface | ipaddress.IPv6Interface


def _prefix(text: str) -> Prefix | None:
    """Go's netip.ParsePrefix: an address, a slash and a length (no bare address)."""
    if "/" not in text:
        return None
    try:
        return ipaddress.ip_interface(text)
    except ValueError:
        return None


def _family(version: int) -> str:
    return "IPv6" if version == 6 else "IPv4"


def _masked(p: Prefix) -> str:
    return str(p.network)


def _range_problems(ip_range: str, subnet: Prefix) -> list[str]:
    if not ip_range:
        return []
    prefix = _prefix(ip_range)
    if prefix is None:
        return [f"invalid ip-range {ip_range}: invalid CIDR block notation"]
    if prefix.version != subnet.version:
        return [f"invalid ip-range {ip_range}: parent subnet is an {_family(subnet.version)} block"]
    problems = []
    if prefix.network.prefixlen < subnet.network.prefixlen:
        problems.append(f"invalid ip-range {ip_range}: CIDR block is bigger than its parent subnet {subnet.with_prefixlen}")
    if prefix.ip != prefix.network.network_address:
        problems.append(f"invalid ip-range {prefix.with_prefixlen}: it should be {_masked(prefix)}")
    if not subnet.network.overlaps(prefix.network):
        problems.append(f"invalid ip-range {ip_range}: parent subnet {subnet.with_prefixlen} doesn't contain ip-range")
    return problems


def _address_problem(address: str, subnet: Prefix) -> str | None:
    if not address:
        return None
    try:
        addr = ipaddress.ip_address(address)
    except ValueError:
        return "invalid address"
    if addr.version != subnet.version:
        return f"parent subnet is an {_family(subnet.version)} block"
    if addr not in subnet.network:
        return f"parent subnet {subnet.with_prefixlen} doesn't contain this address"
    return None


def ipam_problem(ipam: dict | None) -> str | None:
    """dockerd's message for an invalid IPAM section, or None when it is valid."""
    problems: list[str] = []
    for cfg in (ipam or {}).get("Config") or []:
        cfg = cfg or {}
        text = cfg.get("Subnet") or ""
        subnet = _prefix(text)
        if subnet is None:
            problems.append(f"invalid subnet {text}: invalid CIDR block notation")
            continue
        if subnet.ip != subnet.network.network_address:
            problems.append(f"invalid subnet {subnet.with_prefixlen}: it should be {_masked(subnet)}")
        problems += _range_problems(cfg.get("IPRange") or "", subnet)
        gateway = cfg.get("Gateway") or ""
        if (problem := _address_problem(gateway, subnet)) is not None:
            problems.append(f"invalid gateway {gateway}: {problem}")
        for name, aux in (cfg.get("AuxiliaryAddresses") or {}).items():
            if (problem := _address_problem(aux, subnet)) is not None:
                problems.append(f"invalid auxiliary address {name}: {problem}")
    if not problems:
        return None
    joined = problems[0].strip() if len(problems) == 1 else "* " + "\n* ".join(p.replace("\n", "\n\t") for p in problems)
    return f"invalid network config:\n{joined}"
