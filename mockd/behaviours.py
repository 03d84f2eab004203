"""dockerd's version-dependent behaviours, by name: the one table handlers consult.

Handlers never compare version strings; they ask ``ctx.behaves("volume-prune-anonymous-only")``
(:meth:`mockd.routes.RequestContext.behaves`) and this table says from or up to which API version
dockerd does it, and why. Each row is judged by the *requested* version unless it says ``daemon``
(a property of the daemon being impersonated, whatever version the client speaks).

Per-version response *fields* (hidden, renamed, adapted) are not here: they are the serializer's
rules table (``mockd/serializer.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from mockd.versioning import Before, Since, Window

__all__ = ["BEHAVIOURS", "FILTER_GATES", "Before", "Behaviour", "Since", "Window", "behaves"]


@dataclass(frozen=True)
class Behaviour:
    when: Window  # Since("1.42"), Before("1.24"): mockd.versioning's one version-window type
    why: str
    judged_by: Literal["request", "daemon"] = "request"
    # A request-judged row whose gate an engine release brought: daemons whose newest API is outside this window
    # never had the other behaviour, so they show this one at every requested version.
    gate_on_daemons: Window | None = None


BEHAVIOURS: dict[str, Behaviour] = {
    "plain-text-errors": Behaviour(
        Before("1.24"), "dockerd's error handler writes JSON only for requests above 1.23; below, Go's http.Error text"),
    "wait-error-null": Behaviour(
        Before("1.42"), "engines before 23.0 (API 1.42) always send the wait answer's Error, null when there was none, "
                        "at every requested version (measured on 20.10 at 1.29 and 1.41); from 23.0 the field is "
                        "omitempty (api/types/container WaitResponse)", judged_by="daemon"),
    "multiplexed-stream-content-type": Behaviour(
        Since("1.42"), "from 1.42 non-TTY attach/exec/logs are labelled application/vnd.docker.multiplexed-stream"),
    "logs-content-type": Behaviour(
        Since("1.42"), "logs answers carry a Content-Type only from 1.42 (measured: none at 1.41)"),
    "volume-prune-anonymous-only": Behaviour(
        Since("1.42"), "from 1.42 volume prune removes only anonymous volumes unless filters has all=true"),
    "image-list-filter-param": Behaviour(
        Before("1.41"), "the deprecated `filter` (reference) parameter of GET /images/json was removed in 1.41"),
    "image-create-events": Behaviour(
        Since("1.46"), "an image create event (sent when a build makes an image) reaches clients from 1.46; the "
                       "events router skips it below (daemon/server/router/system/system_routes.go)"),
    "prune-events": Behaviour(
        Since("1.41"), "engines from 20.10 (API 1.41) emit prune events with a reclaimed attribute; the router does "
                       "not filter them by requested version", judged_by="daemon"),
    "exec-die-events": Behaviour(
        Since("1.36"), "engines from 18.02 (API 1.36) emit exec_die; the router does not filter it by requested "
                       "version", judged_by="daemon"),
    "build-aux-id": Behaviour(
        Since("1.30"), "a build that is not quiet sends an aux message with the built image's ID from 1.30"),
    "ping-builder-and-swarm-headers": Behaviour(
        Since("1.42"), "engines from 23.0 (API 1.42) default to BuildKit and tell the swarm state in the ping",
        judged_by="daemon"),
    "empty-config-lowercase": Behaviour(
        Since("1.44"), "25.0's postContainersCreate refuses a nil Config itself with runconfig.ErrEmptyConfig ('config "
                       "cannot be empty ...'); before, daemon/create.go said 'Config cannot be empty ...' (20.10, 23, 24)",
        judged_by="daemon"),
    "reference-error-names-repository": Behaviour(
        Since("1.44"), "25.0 vendors github.com/distribution/reference (normalize.go: 'repository name (%s) must be "
                       "lowercase', the path with library/); before, docker/distribution said it without the name",
        judged_by="daemon"),
    "tag-reference-checked-first": Behaviour(
        Since("1.43"), "24.0's postImagesTag parses repo and tag first (httputils.RepoTagReference, 400), then looks "
                       "the image up; 20.10-23 TagImage looked the image up first and passed the reference error on (500)",
        judged_by="daemon"),
    # What the routers do to requests by version (mockd/handlers/_request_gates.py; moby's
    # daemon/server/router/container/container_routes.go and network_routes.go).
    "ipc-private-default": Behaviour(
        Since("1.40"), "an unset IpcMode means private from 1.40; the router sets shareable for older clients"),
    "create-platform-param": Behaviour(
        Since("1.41"), "the create's platform parameter is read from 1.41; older requests' is not looked at"),
    "mount-options-match-type": Behaviour(
        Since("1.42"), "options of another mount type (VolumeOptions on a tmpfs...) are refused with 400 from 1.42; "
                       "below, VolumeOptions and TmpfsOptions that do not match are reset before validation"),
    "create-console-size": Behaviour(
        Since("1.42"), "HostConfig.ConsoleSize is reset to 0x0 below 1.42 (Linux daemons did not apply it)"),
    "console-size-reset-for-old-clients": Behaviour(
        Since("1.42"), "engines from 23.0 (API 1.42) reset a create's ConsoleSize for requests below 1.42; 20.10 kept "
                       "it in HostConfig (measured)", judged_by="daemon"),
    "router-refuses-multiple-endpoints": Behaviour(
        Since("1.44"), "engines from 25.0 (API 1.44) refuse several endpoints in the router, for requests below 1.44, "
                       "with their own text; older engines' create refused them at every version with 'Container "
                       "cannot be connected to network endpoints' (measured on 20.10)", judged_by="daemon"),
    "create-multiple-endpoints": Behaviour(
        Since("1.44"), "below 1.44 a create with several EndpointsConfig entries is refused with 400"),
    "endpoint-mac-address": Behaviour(
        Since("1.44"), "the endpoint MacAddress of a create is read from 1.44 (and the container-wide one migrated "
                       "to it with a deprecation warning); below, the container-wide one is migrated silently and "
                       "an endpoint's own is dropped"),
    "container-mac-address": Behaviour(
        Before("1.52"), "the container-wide Config.MacAddress is read below 1.52 only (handleMACAddressBC is called "
                        "for those versions; the 1.52 Config has no such field: ignored, not refused)"),
    "volume-driver-mounts-warning": Behaviour(
        Since("1.48"), "a container-wide VolumeDriver with volume Mounts (no driver of their own) warns from 1.48"),
    "empty-port-bindings-warning": Behaviour(
        Since("1.52"), "an empty PortBindings list (backfilled at start) is warned about from 1.52"),
    "build-prune-reserved-space": Behaviour(
        Since("1.48"), "build prune reads reserved-space (keep-storage as its fallback), max-used-space and "
                       "min-free-space from 1.48; below only keep-storage. The changelog says keep-storage is "
                       "honoured up to 1.51; the router still reads it as the fallback at every version (followed)"),
    "update-pids-limit": Behaviour(
        Since("1.40"), "an update's PidsLimit is read from 1.40; the router drops it for older requests"),
    "update-blkio-devices": Behaviour(
        Since("1.55"), "an update's per-device blkio settings are read from 1.55; the router drops them below"),
    "connect-endpoint-mac-address": Behaviour(
        Since("1.54"), "a network connect's EndpointConfig.MacAddress is applied from 1.54; dropped below by engines "
                       "from 25.0 (API 1.44, where the container-wide MacAddress moved to the endpoint); 20.10-24 "
                       "apply it at every version (docker-py's test_connect_with_mac_address passes on 20.10 at 1.41)",
        gate_on_daemons=Since("1.44")),
    "network-list-containers": Behaviour(
        Before("1.28"), "the network list is the detailed one (with each network's containers) below 1.28"),
    "aliases-as-submitted": Behaviour(
        Since("1.45"), "from 1.45 an endpoint's Aliases are what was submitted; below, engines from 25.0 (API 1.44) "
                       "add the short id and the hostname on user-defined networks in inspect; 20.10-24 keep them "
                       "implicit and report what was submitted (docker-py's test_run_with_networking_config on 20.10)",
        gate_on_daemons=Since("1.44")),
    "websocket-binary-frames": Behaviour(
        Since("1.28"), "attach over a websocket sends binary frames from 1.28, text frames before (moby #28176)"),
    "websocket-attach-stream-params": Behaviour(
        Since("1.42"), "the websocket attach reads stdin/stdout/stderr from 1.42 (absent: false); below, all three "
                       "streams are attached whatever the query says"),
    "wait-condition": Behaviour(
        Since("1.30"), "wait reads its condition and sends the headers at once from 1.30; below, not-running and "
                       "headers at the exit"),
    "wait-invalid-condition-refused": Behaviour(
        Since("1.42"), "engines from 23.0 (API 1.42) refuse an unknown wait condition with 400 (for requests from "
                       "1.30); 20.10's router took it for not-running", judged_by="daemon"),
    "events-negotiated-media-type": Behaviour(
        Since("1.52"), "engines from 29.0 (API 1.52) choose the events media type from Accept (x-ndjson, json-seq; "
                       "jsonl from 1.53) at every requested version; 29.0 to 29.2 by gddo's negotiation, "
                       "application/json when none matches (no Accept); older ones always say application/json",
        judged_by="daemon"),
    "events-exact-media-type": Behaviour(
        Since("1.54"), "engines from 29.3 (API 1.54) take the events media type only from an Accept naming one "
                       "exactly (wildcards such as curl's and docker-py's */* are ignored: moby 35fdcb8, "
                       "contenttype.MatchAcceptStrict); otherwise the default of the requested version",
        judged_by="daemon"),
    "events-jsonl-default": Behaviour(
        Since("1.52"), "on engines from 29.3 the events stream is application/jsonl for requests from 1.52 when the "
                       "Accept names none of its types (application/json below); consulted only on those engines"),
    "network-names-unique": Behaviour(
        Since("1.44"), "engines from 25.0 (API 1.44) refuse a network name in use whatever CheckDuplicate says; "
                       "older ones created a duplicate with a warning unless CheckDuplicate was set "
                       "(daemon/network.go of 20.10)", judged_by="daemon"),
    "network-ipam-validated": Behaviour(
        Since("1.44"), "engines from 25.0 (API 1.44) check a network's IPAM configs first (ValidateIPAM: subnets "
                       "with host bits, ranges, gateways and auxiliary addresses outside the subnet) and answer 400; "
                       "older ones masked a subnet's host bits", judged_by="daemon"),
    "search-automated-always-false": Behaviour(
        Since("1.45"), "engines from 26.0 (API 1.45) force is_automated to false in search results and answer "
                       "nothing for is-automated=true (registry/search.go), at every requested version",
        judged_by="daemon"),
    # Filters that older engines did not know: refused by their validation, or (events, prune) not looked at.
    # The daemon's code reads filters whatever the requested version, so these are judged by the daemon's release.
    "container-list-port-filters": Behaviour(
        Since("1.28"), "engines from 17.04 (API 1.28) know the publish and expose filters of the container list "
                       "(daemon/list.go acceptedPsFilterTags; 17.03 refuses them)", judged_by="daemon"),
    "network-list-scope-filter": Behaviour(
        Since("1.29"), "engines from 17.05 (API 1.29) know the network list's scope filter (17.04's router "
                       "acceptedNetworkFilters refuses it)", judged_by="daemon"),
    "prune-label-filter": Behaviour(
        Since("1.29"), "engines from 17.05 (API 1.29) read the label filters of prune; 17.04's daemon/prune.go reads "
                       "only until and prunes everything else", judged_by="daemon"),
    "events-scope-filter": Behaviour(
        Since("1.30"), "engines from 17.06 (API 1.30) match an event's scope; older events filters skip the key "
                       "(daemon/events/filter.go Include)", judged_by="daemon"),
    "network-list-dangling-filter": Behaviour(
        Since("1.40"), "engines from 19.03 (API 1.40) know the network list's dangling filter (18.09's "
                       "api/types/network acceptedFilters refuses it)", judged_by="daemon"),
}

# (operationId, filter) -> (behaviour row, what an engine without it does with the filter: "refused" with
# dockerd's invalid-filter error, or "ignored"). Consulted by mockd.handlers._engine.filters.
FILTER_GATES: dict[tuple[str, str], tuple[str, str]] = {
    ("ContainerList", "publish"): ("container-list-port-filters", "refused"),
    ("ContainerList", "expose"): ("container-list-port-filters", "refused"),
    ("NetworkList", "scope"): ("network-list-scope-filter", "refused"),
    ("NetworkList", "dangling"): ("network-list-dangling-filter", "refused"),
    **{(op, "label"): ("prune-label-filter", "ignored")
       for op in ("ContainerPrune", "ImagePrune", "VolumePrune", "NetworkPrune")},
    ("SystemEvents", "scope"): ("events-scope-filter", "ignored"),
}


def behaves(name: str, version: str, daemon: str | None = None) -> bool:
    """Whether dockerd shows the named behaviour for a request at ``version`` to a daemon whose
    newest API is ``daemon`` (needed for rows judged by the daemon). Unknown names are a KeyError."""
    row = BEHAVIOURS[name]
    if row.judged_by == "daemon":
        if daemon is None:
            raise ValueError(f"behaviour {name!r} is judged by the daemon's version; pass daemon=")
        return row.when.applies(daemon)
    if row.gate_on_daemons is not None and daemon is not None and not row.gate_on_daemons.applies(daemon):
        return True
    return row.when.applies(version)
