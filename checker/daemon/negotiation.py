"""Version negotiation as dockerd does it: prefixes in range are served, out-of-range ones refused.

dockerd's behaviour (docs/dockerd-wire-facts.md) is the reference: a version above the maximum is a
400 JSON "client version X is too new. Maximum supported API version is MAX", one below the minimum a
400 "... is too old. Minimum supported API version is MIN, ..." (text/plain below 1.24), a malformed
prefix is the router's 404, and routed responses carry Api-Version, Server and Ostype headers.
"""

from __future__ import annotations

from dataclasses import dataclass

import specs
from checker.daemon.client import DaemonClient, Response, TransportError
from checker.daemon.handshake import Handshake
from specs.findings import Finding

ROUTED_HEADERS = ("Api-Version", "Server", "Ostype")
PING_HEADERS = ("Api-Version", "Ostype", "Server", "Docker-Experimental", "Cache-Control", "Pragma")


@dataclass
class VersionAnswer:
    version: str
    status: int | None
    accepted: bool


def _finding(kind: str, severity: str, version: str, path: str, detail: str, location: str = "endpoint", name: str = "") -> Finding:
    return Finding(kind=kind, severity=severity, api_version=version, method="GET", path=path,  # type: ignore[arg-type]
                   location=location, name=name, detail=detail, source="behaviour", extra={"stage": "negotiation"})


def _step(version: str, delta: int) -> str | None:
    major, minor = specs.parse_version(version)
    minor += delta
    return f"{major}.{minor}" if minor >= 0 else None


def in_range_versions(hs: Handshake) -> list[str]:
    """Every MAJOR.MINOR from the daemon's min to its max."""
    (lo_major, lo_minor), (hi_major, hi_minor) = specs.parse_version(hs.min_version), specs.parse_version(hs.max_version)
    if lo_major != hi_major:
        return [hs.max_version]
    return [f"{lo_major}.{m}" for m in range(lo_minor, hi_minor + 1)]


def check_negotiation(client: DaemonClient, hs: Handshake) -> tuple[list[Finding], list[VersionAnswer]]:
    findings: list[Finding] = []
    answers: list[VersionAnswer] = []

    def get(url: str) -> Response | None:
        try:
            return client.request("GET", "", raw_url=url, timeout=15)
        except TransportError as exc:
            findings.append(_finding("transport-error", "error", hs.max_version, "/version", f"{url}: {exc}"))
            return None

    # Every version in range is served.
    for version in in_range_versions(hs):
        r = get(f"/v{version}/version")
        if r is None:
            continue
        answers.append(VersionAnswer(version, r.status, r.status == 200))
        if r.status != 200:
            findings.append(_finding("version-refused", "error", version, "/version",
                                     f"/v{version}/version answered {r.status} although {version} is within "
                                     f"{hs.min_version}..{hs.max_version}: {r.body[:160]!r}"))
    # Above the maximum.
    too_new = [v for v in (_step(hs.max_version, 1), "1.99") if v]
    for version in too_new:
        r = get(f"/v{version}/version")
        if r is None:
            continue
        answers.append(VersionAnswer(version, r.status, r.status == 200))
        expected = f"client version {version} is too new. Maximum supported API version is {hs.max_version}"
        findings += _refusal(r, version, expected, "application/json", hs)
    # Below the minimum.
    too_old = _step(hs.min_version, -1)
    if too_old:
        r = get(f"/v{too_old}/version")
        if r is not None:
            answers.append(VersionAnswer(too_old, r.status, r.status == 200))
            expected = (f"client version {too_old} is too old. Minimum supported API version is {hs.min_version}, "
                        "please upgrade your client to a newer version")
            mime = "text/plain" if specs.compare(too_old, "1.24") < 0 else "application/json"
            findings += _refusal(r, too_old, expected, mime, hs)
    # A malformed prefix is not a version: the router's 404.
    r = get("/v1.4a/version")
    if r is not None and r.status != 404:
        findings.append(_finding("malformed-version-accepted", "warning", hs.max_version, "/version",
                                 f"/v1.4a/version answered {r.status}; dockerd answers 404 (digits only)"))
    # An unprefixed request is served at the maximum version.
    r = get("/version")
    if r is not None:
        header = r.header("Api-Version")
        if header != hs.max_version:
            findings.append(_finding("api-version-header", "warning", hs.max_version, "/version",
                                     f"Api-Version header {header!r}, expected the daemon's max {hs.max_version}",
                                     "response-header", "Api-Version"))
        missing = [h for h in ROUTED_HEADERS if r.header(h) is None]
        if missing:
            findings.append(_finding("missing-header", "warning", hs.max_version, "/version",
                                     f"routed responses lack {missing}", "response-header", ",".join(missing)))
    # The router's 404 for a path that does not exist.
    r = get(f"/v{hs.used_version}/apicheck-no-such-path")
    if r is not None:
        body = r.json_or_none()
        if r.status != 404 or r.mime != "application/json" or body != {"message": "page not found"}:
            findings.append(_finding("unknown-path-answer", "warning", hs.used_version, "/apicheck-no-such-path",
                                     f"{r.status} {r.content_type!r} {r.body[:100]!r}; dockerd answers 404 "
                                     "application/json {\"message\":\"page not found\"}"))
    findings += _check_ping(client, hs)
    return findings, answers


def _refusal(r: Response, version: str, expected: str, mime: str, hs: Handshake) -> list[Finding]:
    out = []
    if r.status != 400:
        out.append(_finding("out-of-range-version", "error", version, "/version",
                            f"/v{version}/version answered {r.status}; dockerd refuses it with 400 ({expected!r})"))
        return out
    body = r.json_or_none()
    message = body.get("message") if isinstance(body, dict) else r.body.decode(errors="replace").strip()
    if message != expected:
        out.append(_finding("out-of-range-message", "warning", version, "/version",
                            f"message {message!r}, dockerd says {expected!r}", "response"))
    if r.mime != mime:
        out.append(_finding("out-of-range-content-type", "warning", version, "/version",
                            f"Content-Type {r.content_type!r}, dockerd sends {mime}", "response-header", "Content-Type"))
    if r.header("Api-Version") != hs.max_version:
        out.append(_finding("out-of-range-api-version", "warning", version, "/version",
                            f"the refusal carries Api-Version {r.header('Api-Version')!r}; dockerd sends its max "
                            f"{hs.max_version} so that the client can renegotiate", "response-header", "Api-Version"))
    return out


def _check_ping(client: DaemonClient, hs: Handshake) -> list[Finding]:
    out = []
    try:
        r = client.request("HEAD", "/_ping")
    except TransportError:
        return out
    if r.status != 200:
        out.append(Finding(kind="ping-failed", severity="error", api_version=hs.max_version, method="HEAD",
                           path="/_ping", location="response", detail=f"unprefixed HEAD /_ping answered {r.status}; "
                           "dockerd answers 200 at every version (clients ping before they know the version)",
                           source="behaviour", extra={"stage": "negotiation"}))
        return out
    missing = [h for h in PING_HEADERS if r.header(h) is None]
    if missing:
        out.append(Finding(kind="missing-header", severity="warning", api_version=hs.max_version, method="HEAD",
                           path="/_ping", location="response-header", name=",".join(missing),
                           detail=f"HEAD /_ping lacks {missing}", source="behaviour", extra={"stage": "negotiation"}))
    # Headers the document lists for newer versions; dockerd may leave them out (Builder-Version is only
    # sent when a builder is configured), so their absence is worth telling, not a departure.
    optional = [h for h, since in (("Builder-Version", "1.39"), ("Swarm", "1.42"))
                if specs.compare(hs.max_version, since) >= 0 and r.header(h) is None]
    if optional:
        out.append(Finding(kind="optional-header-absent", severity="info", api_version=hs.max_version, method="HEAD",
                           path="/_ping", location="response-header", name=",".join(optional),
                           detail=f"HEAD /_ping does not send {optional} (documented, not required)", source="behaviour",
                           extra={"stage": "negotiation"}))
    if r.status == 200 and (r.header("Content-Length") not in ("0", None) or r.body):
        out.append(Finding(kind="ping-body", severity="warning", api_version=hs.max_version, method="HEAD",
                           path="/_ping", location="response", detail="HEAD /_ping answered a body", source="behaviour",
                           extra={"stage": "negotiation"}))
    return out

