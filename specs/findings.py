"""The one findings model shared by mockd, apicheck and every reporter."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Severity = Literal["error", "warning", "info"]
Source = Literal["spec", "wire-profile", "behaviour", "changelog"]
Hazard = Literal["newer-client", "newer-server", "both"]
Location = Literal["endpoint", "query", "path", "header", "body", "response", "response-header"]

SEVERITIES: tuple[Severity, ...] = ("error", "warning", "info")
SEVERITY_RANK = {"error": 2, "warning": 1, "info": 0}


@dataclass(frozen=True)
class Finding:
    """One thing worth telling: a request or response that departs from a version's spec, a
    change between two versions, a behaviour difference between two daemons.

    ``kind`` names what was found (``unknown-query-parameter``, ``unknown-field``, ``wrong-type``,
    ``missing-required``, ``enum-mismatch``, ``added``, ``removed``, ...); ``name`` is the dotted
    path of the field seen from the endpoint (``HostConfig.Mounts.BindOptions``), ``''`` for the
    endpoint itself.
    """

    kind: str
    severity: Severity
    api_version: str
    method: str
    path: str
    location: str
    name: str = ""
    detail: Any = ""
    source: Source = "spec"
    hazard: Hazard | None = None
    extra: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        extra = data.pop("extra")
        if data["hazard"] is None:
            del data["hazard"]
        return {**data, **extra}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Finding:
        known = {f for f in cls.__dataclass_fields__ if f != "extra"}
        base = {k: v for k, v in data.items() if k in known}
        extra = {k: v for k, v in data.items() if k not in known}
        return cls(**base, extra=extra)

    def at_least(self, severity: Severity) -> bool:
        return SEVERITY_RANK[self.severity] >= SEVERITY_RANK[severity]

    def summary(self) -> str:
        where = f"{self.location} {self.name}".strip() if self.name else self.location
        return f"{self.severity}: {self.method} {self.path} [{where}] {self.kind}: {self.detail}"
