"""Published ports as dockerd reads and allocates them: the `HostConfig.PortBindings` checks at create, the
host-port allocator (dockerd's portallocator: the ephemeral range, sequential from the last port given,
unique across containers) and dockerd's error texts at start.

Measured on dockerd 20.10 (`tests/test_engine_ports.py` compares them when a real dockerd runs here):
- at create, a container port or host port that is not a number in 1..65535 (or a range `a-b`, host side
  only) is `400 invalid port specification: "abc"`; an unknown protocol (`80/xyz`) is accepted;
- at start (`500`, the container stays `created`), `driver failed programming external connectivity on
  endpoint NAME (ENDPOINT-ID): ` followed by `Bind for 0.0.0.0:8080 failed: port is already allocated`
  (another container holds it), `Error starting userland proxy: listen tcp4 0.0.0.0:8080: bind: address
  already in use` (a host process holds it) or `invalid transport protocol: 0` (not tcp, udp or sctp);
- `HostPort` `""` and `"0"` get the next free port of the range (32768, 32769, ... on a fresh daemon);
  a host range `8000-8010` gets its first free port.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .errors import EngineError, InvalidParameter

PROTOCOLS = ("tcp", "udp", "sctp")
DEFAULT_RANGE = (32768, 60999)  # dockerd's fallback when the kernel's range cannot be read


def ephemeral_range(path: str = "/proc/sys/net/ipv4/ip_local_port_range") -> tuple[int, int]:
    """The kernel's ephemeral range, as dockerd's portallocator reads it."""
    try:
        low, high = (int(x) for x in Path(path).read_text().split())
    except (OSError, ValueError):
        return DEFAULT_RANGE
    return (low, high) if 0 < low <= high <= 65535 else DEFAULT_RANGE


def split_proto_port(key: str) -> tuple[str, str]:
    """Go's nat.SplitProtoPort: "80/udp" -> ("udp", "80"); no protocol is tcp."""
    port, _, proto = key.partition("/")
    return (proto or "tcp"), port


def _number(text: str) -> int | None:
    return int(text) if text.isdigit() and 0 <= int(text) <= 65535 else None


def parse_range(text: str) -> tuple[int, int] | None:
    """nat.ParsePortRange: "8080" or "8000-8010" -> (start, end); None when malformed."""
    start, dash, end = text.partition("-")
    low = _number(start)
    high = _number(end) if dash else low
    if low is None or high is None or high < low:
        return None
    return low, high


def check_port_bindings(bindings: dict | None) -> None:
    """dockerd's create-time check of `HostConfig.PortBindings` (InvalidParameter with its text)."""
    for key, binds in (bindings or {}).items():
        _, port = split_proto_port(str(key))
        if port and (_number(port) is None):
            raise InvalidParameter(f'invalid port specification: "{port}"')
        for b in binds or []:
            host_port = str((b or {}).get("HostPort") or "")
            if host_port and parse_range(split_proto_port(host_port)[1]) is None:
                raise InvalidParameter(f'invalid port specification: "{host_port}"')


def decoded_port_bindings(bindings: dict | None) -> dict | None:
    """PortBindings as dockerd keeps them after decoding into Go structs: every binding has HostIp and HostPort
    (a null binding is the zero one), other keys are gone."""
    if bindings is None:
        return None
    return {key: None if binds is None else [{"HostIp": str((b or {}).get("HostIp") or ""),
                                              "HostPort": str((b or {}).get("HostPort") or "")} for b in binds]
            for key, binds in bindings.items()}


def programming_error(name: str, endpoint_id: str, detail: str) -> EngineError:
    return EngineError(f"driver failed programming external connectivity on endpoint {name} ({endpoint_id}): "
                       f"{detail}", 500)


def already_allocated(host_ip: str, port: int) -> str:
    return f"Bind for {host_ip or '0.0.0.0'}:{port} failed: port is already allocated"


def userland_proxy_error(proto: str, host_ip: str, port: int, reason: str) -> str:
    """docker-proxy's listen failure as dockerd reports it (Go's net.OpError text)."""
    network = f"{proto}4" if ":" not in (host_ip or "") else f"{proto}6"
    return f"Error starting userland proxy: listen {network} {host_ip or '0.0.0.0'}:{port}: bind: {reason}"


@dataclass
class PortAllocator:
    """Host ports held by containers, per (protocol, host ip): what dockerd's portallocator tracks. A port held
    for 0.0.0.0 is held for every address."""

    low: int = DEFAULT_RANGE[0]
    high: int = DEFAULT_RANGE[1]
    held: dict[tuple[str, str, int], str] = field(default_factory=dict)  # (proto, ip, port) -> container id
    _last: int = 0

    def is_free(self, proto: str, ip: str, port: int) -> bool:
        ips = {ip, "0.0.0.0"} if ip != "0.0.0.0" else {key[1] for key in self.held if key[0] == proto} | {ip}
        return not any((proto, i, port) in self.held for i in ips)

    def hold(self, proto: str, ip: str, port: int, owner: str) -> None:
        self.held[(proto, ip, port)] = owner

    def candidates(self, proto: str, ip: str, wanted: tuple[int, int] | None):
        """Ports to try in order: the wanted range, or the ephemeral range from after the last port given
        (dockerd keeps going round the range rather than reusing a just-released port)."""
        if wanted is not None:
            yield from (p for p in range(wanted[0], wanted[1] + 1) if self.is_free(proto, ip, p))
            return
        size = self.high - self.low + 1
        start = (self._last + 1 - self.low) % size if self._last else 0
        for i in range(size):
            port = self.low + (start + i) % size
            if self.is_free(proto, ip, port):
                self._last = port
                yield port

    def release(self, owner: str) -> None:
        for key in [k for k, v in self.held.items() if v == owner]:
            del self.held[key]
