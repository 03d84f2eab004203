"""The filter keys each list and prune operation accepts, checked before anything is listed, as dockerd's
``filters.Args.Validate`` does (an empty daemon refuses an unknown key too), and the refusal's wording by release.

The sets are dockerd 20.10's (daemon/list.go acceptedPsFilterTags, daemon/images/images.go and image_prune.go,
daemon/prune.go, volume/service/service.go, api/types/network/network.go). Later releases accept more keys
(``all`` for volume prune from 23.0, ``until`` for images, ...): for them the engine's own checks decide, so that
a key a newer daemon knows is never refused here.
"""

from __future__ import annotations

from mockd.errors import DockerError
from mockd.versioning import Before, Since

_LABELS = {"label", "label!"}
ACCEPTED: dict[str, frozenset[str]] = {
    "ContainerList": frozenset({"ancestor", "before", "exited", "id", "isolation", "label", "name", "status", "health",
                                "since", "volume", "network", "is-task", "publish", "expose"}),
    "ContainerPrune": frozenset({*_LABELS, "until"}),
    "ImageList": frozenset({"dangling", "label", "before", "since", "reference"}),
    "ImagePrune": frozenset({"dangling", *_LABELS, "until"}),
    "NetworkList": frozenset({"dangling", "driver", "id", "label", "name", "scope", "type"}),
    "NetworkPrune": frozenset({*_LABELS, "until"}),
    "VolumeList": frozenset({"dangling", "name", "driver", "label"}),
    "VolumePrune": frozenset(_LABELS),
}
CHECKED_UP_FRONT = Before("1.42")  # the daemons whose sets are these (judged by the daemon's version)
# 20.10's invalidFilter: "Invalid filter 'k'"; 23.0 rewrote filters' errors in lower case (api/types/filters).
LOWER_CASE = Since("1.42")


def invalid_filter(key: str, daemon: str) -> DockerError:
    return DockerError(400, f"{'invalid' if LOWER_CASE.applies(daemon) else 'Invalid'} filter '{key}'")


def check_filter_keys(operation_id: str, keys: list[str], daemon: str) -> None:
    accepted = ACCEPTED.get(operation_id)
    if accepted is None or not CHECKED_UP_FRONT.applies(daemon):
        return
    for key in keys:  # Go ranges over a map: any unknown key is the one named; the first sent is as good
        if key not in accepted:
            raise invalid_filter(key, daemon)
