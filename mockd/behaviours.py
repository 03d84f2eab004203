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

__all__ = ["BEHAVIOURS", "Before", "Behaviour", "Since", "Window", "behaves"]


@dataclass(frozen=True)
class Behaviour:
    when: Window  # Since("1.42"), Before("1.24"): mockd.versioning's one version-window type
    why: str
    judged_by: Literal["request", "daemon"] = "request"


BEHAVIOURS: dict[str, Behaviour] = {
    "plain-text-errors": Behaviour(
        Before("1.24"), "dockerd's error handler writes JSON only for requests above 1.23; below, Go's http.Error text"),
    "wait-error-field": Behaviour(
        Since("1.30"), "the wait answer's Error object is defined from 1.30; older answers carry only StatusCode"),
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
}


def behaves(name: str, version: str, daemon: str | None = None) -> bool:
    """Whether dockerd shows the named behaviour for a request at ``version`` to a daemon whose
    newest API is ``daemon`` (needed for rows judged by the daemon). Unknown names are a KeyError."""
    row = BEHAVIOURS[name]
    if row.judged_by == "daemon":
        if daemon is None:
            raise ValueError(f"behaviour {name!r} is judged by the daemon's version; pass daemon=")
        return row.when.applies(daemon)
    return row.when.applies(version)
