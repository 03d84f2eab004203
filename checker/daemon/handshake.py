"""Handshake: ping and version, which product the daemon is, and the API versions it offers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import specs
from checker.daemon.client import DaemonClient, Response, TransportError


class HandshakeError(RuntimeError):
    """The daemon did not answer like a Docker-compatible daemon at all."""


@dataclass
class Handshake:
    product: str  # "Docker", "Podman", "mockd" or "unknown"
    engine_version: str
    max_version: str
    min_version: str
    used_version: str  # the version the probe checks against
    spec_version: str  # the bundled document used for used_version
    ping_headers: dict[str, str] = field(default_factory=dict)
    version_body: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "product": self.product, "engine_version": self.engine_version, "max_version": self.max_version,
            "min_version": self.min_version, "used_version": self.used_version, "spec_version": self.spec_version,
            "notes": list(self.notes),
        }

    def documented_versions(self) -> list[str]:
        """Bundled documents between the daemon's min and max versions."""
        return [v for v in specs.versions() if _between(v, self.min_version, self.max_version)]


def _between(version: str, low: str, high: str) -> bool:
    try:
        return specs.compare(version, low) >= 0 and specs.compare(version, high) <= 0
    except specs.InvalidVersion:
        return False


def detect_product(ping: Response | None, version_body: dict[str, Any]) -> str:
    """Docker, Podman or mockd, from the ping headers and the /version components."""
    names = [str(c.get("Name", "")) for c in version_body.get("Components") or [] if isinstance(c, dict)]
    server = (ping.header("Server") if ping else None) or ""
    headers = ping.header_names() if ping else set()
    text = " ".join([*names, server, str(version_body.get("Platform", {}).get("Name", ""))]).lower()
    if "mockd" in text or any(h.startswith("x-mockd") for h in headers):
        return "mockd"
    if "podman" in text or "libpod" in text or "libpod-api-version" in headers:
        return "Podman"
    if "Engine" in names or server.startswith("Docker/"):
        return "Docker"
    return "unknown"


def handshake(client: DaemonClient, api_version: str | None = None) -> Handshake:
    """HEAD /_ping (unprefixed, like the Go clients) then GET /version; pick the version to check."""
    notes: list[str] = []
    try:
        ping = client.request("HEAD", "/_ping")
    except TransportError as exc:
        raise HandshakeError(f"cannot reach the daemon at {client.host}: {exc}") from exc
    if ping.status != 200:
        notes.append(f"HEAD /_ping answered {ping.status}")
    version = client.request("GET", "/version")
    body = version.json_or_none()
    if version.status != 200 or not isinstance(body, dict):
        raise HandshakeError(f"GET /version answered {version.status}: {version.body[:200]!r}")
    max_version = str(body.get("ApiVersion") or ping.header("Api-Version") or "")
    min_version = str(body.get("MinAPIVersion") or "")
    try:
        specs.parse_version(max_version)
    except specs.InvalidVersion as exc:
        raise HandshakeError(f"the daemon reports no usable API version: {max_version!r}") from exc
    try:
        specs.parse_version(min_version)
    except specs.InvalidVersion:
        notes.append(f"no usable MinAPIVersion ({min_version!r}); assuming {max_version}")
        min_version = max_version
    header_version = ping.header("Api-Version")
    if header_version and header_version != max_version:
        notes.append(f"ping says Api-Version {header_version}, /version says {max_version}")
    if api_version:
        used = specs.normalize(api_version)
        if not _between(used, min_version, max_version):
            notes.append(f"{used} is outside the daemon's {min_version}..{max_version}: expect refusals")
    else:
        used = max_version if specs.compare(max_version, specs.latest()) <= 0 else specs.latest()
        if used != max_version:
            notes.append(f"the daemon's {max_version} is newer than the newest bundled document; checking {used}")
    spec = specs.for_request(used)
    return Handshake(
        product=detect_product(ping, body),
        engine_version=str(body.get("Version", "")),
        max_version=max_version,
        min_version=min_version,
        used_version=used,
        spec_version=spec.version,
        ping_headers=dict(ping.headers),
        version_body=body,
        notes=notes,
    )
