"""What dockerd's router does to a request before the daemon sees it (and to a few answers after), per
requested API version.

dockerd's routers reset, migrate or refuse fields by the client's version before calling the backend
(daemon/server/router/container/container_routes.go: postContainersCreate, postContainerUpdate;
network_routes.go: postNetworkConnect). The engine knows no API version, so the handlers pass each body
through here first. Every version test is a named row of :mod:`mockd.behaviours` (``ctx.behaves``).
"""

from __future__ import annotations

from typing import Any

from mockd.errors import DockerError
from mockd.routes import RequestContext, go_atoi

# Networks a container-wide setting (MacAddress) can apply to: the default bridge or a user-defined one.
_NOT_BRIDGE_OR_USER = ("host", "none")
_PREDEFINED = ("bridge", "default", "host", "none")
_BLKIO_DEVICE_FIELDS = ("BlkioWeightDevice", "BlkioDeviceReadBps", "BlkioDeviceWriteBps", "BlkioDeviceReadIOps",
                        "BlkioDeviceWriteIOps")


def create_body(ctx: RequestContext, body: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The create body as dockerd's router hands it on at ``ctx.version``, and the warnings it adds."""
    body = dict(body)
    host = dict(body.get("HostConfig") or {})
    networking = dict(body.get("NetworkingConfig") or {})
    endpoints = {k: dict(v or {}) for k, v in (networking.get("EndpointsConfig") or {}).items()}
    if not ctx.behaves("ipc-private-default") and not host.get("IpcMode"):
        host["IpcMode"] = "shareable"  # what clients below 1.40 expect an unset mode to be
    host["Mounts"] = _mounts(ctx, host.get("Mounts"))
    if not ctx.behaves("create-console-size") and ctx.behaves("console-size-reset-for-old-clients"):
        host["ConsoleSize"] = [0, 0]
    if len(endpoints) > 1 and not ctx.behaves("create-multiple-endpoints"):
        text = ("Container cannot be created with multiple network endpoints: "
                if ctx.behaves("router-refuses-multiple-endpoints") else
                "Container cannot be connected to network endpoints: ")
        raise DockerError(400, text + ", ".join(endpoints))
    warnings = _container_mac_address(ctx, body, host, endpoints)
    if host.get("VolumeDriver") and ctx.behaves("volume-driver-mounts-warning") and any(
            m.get("Type") == "volume" and not ((m.get("VolumeOptions") or {}).get("DriverConfig") or {}).get("Name")
            for m in host.get("Mounts") or []):
        warnings.append("WARNING: the container-wide volume-driver configuration is ignored for volumes specified "
                        "via 'mount'. Use '--mount type=volume,volume-driver=...' instead")
    empty = sorted(str(port) for port, bindings in (host.get("PortBindings") or {}).items() if not bindings)
    if empty and ctx.behaves("empty-port-bindings-warning"):
        warnings.append(f"Following container port(s) have an empty list of port-bindings: {', '.join(empty)}. "
                        "Such bindings will be discarded in a future version.")
    if host.get("Mounts") is None:
        host.pop("Mounts")
    body["HostConfig"] = host
    if endpoints or "EndpointsConfig" in networking:
        networking["EndpointsConfig"] = endpoints
        body["NetworkingConfig"] = networking
    return body, warnings


def create_platform(ctx: RequestContext) -> str:
    """The `platform` parameter of a create: read from 1.41, unknown (ignored) before."""
    return (ctx.q("platform") or "") if ctx.behaves("create-platform-param") else ""


def _mounts(ctx: RequestContext, mounts: Any) -> Any:
    if not isinstance(mounts, list):
        return mounts
    strict = ctx.behaves("mount-options-match-type")
    out = []
    for m in mounts:
        m = dict(m or {})
        kind = m.get("Type")
        for option, owner in (("VolumeOptions", "volume"), ("BindOptions", "bind"), ("TmpfsOptions", "tmpfs")):
            if m.get(option) is None or kind == owner:
                continue
            if strict:
                raise DockerError(400, f'{option} must not be specified on mount type "{kind}"')
            if option != "BindOptions":  # reset below 1.42 so that the later validation passes
                m.pop(option)
        out.append(m)
    return out


def _container_mac_address(ctx: RequestContext, body: dict, host: dict, endpoints: dict[str, dict]) -> list[str]:
    """The container-wide Config.MacAddress: migrated to the main network's endpoint below 1.44, migrated with a
    deprecation warning from 1.44, not read at all from 1.52 (handleMACAddressBC)."""
    if not ctx.behaves("container-mac-address"):
        body.pop("MacAddress", None)  # no such field in the 1.52 Config: Go's decoder drops it
        return []
    mac = body.get("MacAddress") or ""
    mode = host.get("NetworkMode") or "default"
    main = "bridge" if mode == "default" else mode
    if not ctx.behaves("endpoint-mac-address"):
        if not mac:
            for ep in endpoints.values():  # the old API had no endpoint MacAddress: ignored
                ep.pop("MacAddress", None)
            return []
        if mode in _NOT_BRIDGE_OR_USER or mode.startswith("container:"):
            raise DockerError(400, "conflicting options: mac-address and the network mode")
        key = next(iter(endpoints), main)  # one endpoint at most below 1.44: the old API picked it anyway
        endpoints.setdefault(key, {})["MacAddress"] = mac
        return []
    if not mac:
        return []
    if mode not in _NOT_BRIDGE_OR_USER and not mode.startswith("container:"):
        ep = endpoints.setdefault(main, {})
        if not ep.get("MacAddress"):
            ep["MacAddress"] = mac
        elif ep["MacAddress"].lower() != mac.lower():
            raise DockerError(400, "the container-wide MAC address must match the endpoint-specific MAC address "
                                   "for the main network, or be left empty")
    return ["The container-wide MacAddress field is now deprecated. It should be specified in EndpointsConfig "
            "instead."]


def update_body(ctx: RequestContext, body: dict[str, Any]) -> dict[str, Any]:
    """An update body without the fields the requested version does not know (postContainerUpdate)."""
    body = dict(body)
    if not ctx.behaves("update-pids-limit"):
        body.pop("PidsLimit", None)
    if not ctx.behaves("update-blkio-devices"):
        for name in _BLKIO_DEVICE_FIELDS:
            body.pop(name, None)
    return body


def connect_endpoint(ctx: RequestContext, endpoint: Any) -> Any:
    """A connect's EndpointConfig: its MacAddress is dropped below 1.54 (postNetworkConnect)."""
    if isinstance(endpoint, dict) and not ctx.behaves("connect-endpoint-mac-address"):
        endpoint = {k: v for k, v in endpoint.items() if k != "MacAddress"}
    return endpoint


def container_inspect(ctx: RequestContext, doc: dict[str, Any]) -> dict[str, Any]:
    """Below 1.45 a user-defined network's Aliases also list the short id and the hostname (getContainersByName);
    from 1.45 they are what was submitted (DNSNames has the rest)."""
    if ctx.behaves("aliases-as-submitted"):
        return doc
    settings = doc.get("NetworkSettings") or {}
    extra = [doc["Id"][:12], (doc.get("Config") or {}).get("Hostname") or ""]
    networks = {}
    for name, ep in (settings.get("Networks") or {}).items():
        if name not in _PREDEFINED and not name.startswith("container:"):
            ep = {**ep, "Aliases": list(dict.fromkeys([*(ep.get("Aliases") or []), *extra]))}
        networks[name] = ep
    return {**doc, "NetworkSettings": {**settings, "Networks": networks}}


def build_prune_reserved_space(ctx: RequestContext) -> int:
    """The bytes of cache a build prune keeps (postPrune of the build router): reserved-space from 1.48 (else the
    deprecated keep-storage), keep-storage alone below; each must be an integer (400 with Go's Atoi error)."""

    def number(name: str) -> int:
        text = ctx.q(name) or ""
        if not text:
            return 0
        value = go_atoi(text)
        if isinstance(value, str):
            raise DockerError(400, f'{name} is in bytes and expects an integer, got {text}: strconv.Atoi: parsing '
                                   f'"{text}": {value}')
        return value

    if not ctx.behaves("build-prune-reserved-space"):
        return number("keep-storage")
    reserved = number("reserved-space") or number("keep-storage")
    number("max-used-space")  # read (and checked) from 1.48 too
    number("min-free-space")
    return reserved
