"""The fault model: which answers mockd spoils on purpose, for client robustness tests (data, no HTTP).

A :class:`Fault` names an endpoint (``method`` + path ``template``, or an ``operation`` id; optionally a
``versions`` range of requested API versions), what goes wrong (``kind``) and when (``every`` Nth call, the
``first`` N calls, a seeded ``probability``; every call when none is given). The same mapping comes from the
seed file's ``faults:`` list, ``POST /_mockd/faults`` and ``mockd --fault SPEC`` (``key=value`` pairs,
comma-separated: ``--fault "endpoint=GET /containers/json,kind=error,status=500,first=2"``).

Kinds, each a row of :data:`KINDS` (where it is applied: ``endpoint`` before the handler runs,
``mockd.fault_inject``; ``stream`` in the answer's writes, ``mockd.streams``):

=====================  ========  =================================================================
error                  endpoint  ``status`` with dockerd's ``{"message": ...}`` body (plain text below 1.24)
latency                endpoint  ``ms`` added before the answer
drop                   endpoint  the connection closed without an answer
reset                  endpoint  the connection reset (TCP RST; a unix socket's peer sees ECONNRESET/EOF)
split-frame            stream    every write from the ``after``-th on split at byte ``at``, ``ms`` apart
short-header           stream    the ``after``-th write cut inside its 8-byte frame header, then closed
cut-frame              stream    the ``after``-th write cut inside its payload, then closed
stall                  stream    ``ms`` of silence before the ``after``-th write, then the stream resumes
close-after-upgrade    stream    the connection closed right after ``101 UPGRADED``
progress-error         stream    the ``after``-th progress message replaced by an in-stream ``errorDetail``
hang                   stream    headers sent, the body never (``wait`` that never answers)
slow                   stream    every write trickled at ``bytes_per_second``
=====================  ========  =================================================================

The plan (:class:`FaultPlan`) counts the calls of each fault's endpoint and decides, per call, which faults
fire; a fault's probability draws from its own ``random.Random(seed)``, so a run is reproducible.
"""

from __future__ import annotations

import random
import re
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from mockd.versioning import within

ENDPOINT, STREAM = "endpoint", "stream"
KINDS: dict[str, str] = {
    "error": ENDPOINT, "latency": ENDPOINT, "drop": ENDPOINT, "reset": ENDPOINT,
    "split-frame": STREAM, "short-header": STREAM, "cut-frame": STREAM, "stall": STREAM,
    "close-after-upgrade": STREAM, "progress-error": STREAM, "hang": STREAM, "slow": STREAM,
}

# dockerd's texts for the statuses a fault is usually asked for, when the fault gives no message of its own.
DEFAULT_MESSAGES = {
    400: "bad parameter",
    401: "unauthorized",
    403: "forbidden",
    404: "page not found",
    409: "conflict",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
}
PROGRESS_ERROR = "unexpected EOF"  # what a pull says when the registry connection breaks mid-layer

_VERSIONS = re.compile(r"^\s*(\d+(?:\.\d+)*)?\s*(?:\.\.\s*(\d+(?:\.\d+)*)?)?\s*$")


class FaultError(ValueError):
    """A fault description that cannot be used (the message says which field)."""


@dataclass
class Fault:
    kind: str
    method: str | None = None  # with ``template``: "GET" + "/containers/{id}/json"
    template: str | None = None
    operation: str | None = None  # or an operationId: "ContainerInspect"
    versions: str | None = None  # "1.41..1.44" (inclusive), "..1.43", "1.44..", "1.41"
    status: int = 500
    message: str | None = None
    ms: int = 0
    after: int = 0
    at: int = 3
    bytes_per_second: int = 64
    every: int | None = None
    first: int | None = None
    probability: float | None = None
    seed: int = 0
    id: str = ""

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise FaultError(f"fault kind {self.kind!r}: one of {', '.join(KINDS)}")
        if not (self.operation or self.template):
            raise FaultError("a fault needs an endpoint: operation=ID, or endpoint='METHOD /path/template'")
        if self.template and not self.template.startswith("/"):
            raise FaultError(f"fault template {self.template!r} must start with /")
        if self.method:
            self.method = self.method.upper()
        if self.versions and not _VERSIONS.match(self.versions):
            raise FaultError(f"fault versions {self.versions!r}: use 1.41, 1.41..1.44, ..1.43 or 1.44..")
        if sum(x is not None for x in (self.every, self.first, self.probability)) > 1:
            raise FaultError("a fault takes one of every, first, probability")
        if self.every is not None and self.every < 1 or self.first is not None and self.first < 0:
            raise FaultError("every must be >= 1 and first >= 0")
        if self.probability is not None and not 0 <= self.probability <= 1:
            raise FaultError("probability must be between 0 and 1")
        if self.kind == "error" and not 400 <= self.status <= 599:
            raise FaultError(f"fault status {self.status}: an error status is 400-599")
        if self.kind == "slow" and self.bytes_per_second < 1:
            raise FaultError("bytes_per_second must be >= 1")

    @property
    def where(self) -> str:
        return KINDS[self.kind]

    @property
    def text(self) -> str:
        """The error message sent (error, progress-error)."""
        if self.message:
            return self.message
        if self.kind == "progress-error":
            return PROGRESS_ERROR
        return DEFAULT_MESSAGES.get(self.status, "Internal Server Error")

    def matches(self, method: str, template: str | None, operation_id: str | None, version: str) -> bool:
        if self.operation and self.operation != operation_id:
            return False
        if self.template and (self.template != template or (self.method and self.method != method)):
            return False
        return self.versions is None or in_range(version, self.versions)

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None and v != _DEFAULTS.get(k)} | {
            "kind": self.kind, "id": self.id}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Fault:
        if not isinstance(data, dict):
            raise FaultError("a fault is a mapping (kind, endpoint or operation, ...)")
        data = dict(data)
        endpoint = data.pop("endpoint", None)
        if endpoint is not None:
            method, _, path = str(endpoint).strip().partition(" ")
            if path.strip():
                data.setdefault("method", method)
                data.setdefault("template", path.strip())
            else:
                data.setdefault("operation", method)
        known = {f.name: f.type for f in fields(cls)}
        unknown = set(data) - set(known)
        if unknown:
            raise FaultError(f"unknown fault fields {sorted(unknown)}")
        if "kind" not in data:
            raise FaultError("a fault needs a kind")
        try:
            for name in ("status", "ms", "after", "at", "bytes_per_second", "every", "first", "seed"):
                if data.get(name) is not None:
                    data[name] = int(data[name])
            if data.get("probability") is not None:
                data["probability"] = float(data["probability"])
        except (TypeError, ValueError) as exc:
            raise FaultError(f"fault field: {exc}") from None
        for name in ("kind", "method", "template", "operation", "versions", "message", "id"):
            if data.get(name) is not None:
                data[name] = str(data[name])
        return cls(**data)

    @classmethod
    def from_spec(cls, spec: str) -> Fault:
        """``mockd --fault "endpoint=GET /containers/json,kind=error,status=500,first=2"``."""
        data: dict[str, Any] = {}
        for part in spec.split(","):
            if not part.strip():
                continue
            name, eq, value = part.partition("=")
            if not eq:
                raise FaultError(f"--fault {spec!r}: {part!r} is not key=value")
            data[name.strip().replace("-", "_")] = value.strip()
        return cls.from_dict(data)


_DEFAULTS = {f.name: f.default for f in fields(Fault)}


def in_range(version: str, versions: str) -> bool:
    """``version`` within ``versions`` (both ends inclusive, either open)."""
    m = _VERSIONS.match(versions)
    assert m is not None
    low, high = m.group(1) or "", m.group(2) or ""
    if ".." not in versions:
        high = low
    return within(version, low, high)


@dataclass
class Firing:
    """One fault applied to one call: what the record and the findings say."""

    fault: Fault
    call: int  # the how-many-th call of the fault's endpoint this was (1-based)

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.fault.id, "kind": self.fault.kind, "call": self.call}


@dataclass
class FaultPlan:
    """The faults in force, their call counters and random sources. ``seeded``: those from the seed file
    and ``--fault`` (kept across ``/_mockd/reset``); the control plane adds and deletes at will."""

    faults: list[Fault] = field(default_factory=list)
    calls: dict[str, int] = field(default_factory=dict)
    fired: dict[str, int] = field(default_factory=dict)
    _random: dict[str, random.Random] = field(default_factory=dict)
    _next: int = 1
    _from_seed: set[str] = field(default_factory=set)

    @property
    def active(self) -> bool:
        return bool(self.faults)

    def add(self, fault: Fault) -> Fault:
        if not fault.id:
            fault.id = f"f{self._next}"
            self._next += 1
        if any(f.id == fault.id for f in self.faults):
            raise FaultError(f"a fault with id {fault.id!r} exists")
        self.faults.append(fault)
        self.calls[fault.id] = 0
        self.fired[fault.id] = 0
        self._random[fault.id] = random.Random(fault.seed)
        return fault

    def remove(self, fault_id: str) -> bool:
        before = len(self.faults)
        self.faults = [f for f in self.faults if f.id != fault_id]
        for table in (self.calls, self.fired, self._random):
            table.pop(fault_id, None)
        return len(self.faults) != before

    def clear(self) -> None:
        self.faults.clear()
        self.calls.clear()
        self.fired.clear()
        self._random.clear()

    def restart(self) -> None:
        """Counters and random sources back to their start (``/_mockd/reset``): the same run again."""
        for f in self.faults:
            self.calls[f.id] = self.fired[f.id] = 0
            self._random[f.id] = random.Random(f.seed)

    def select(self, method: str, template: str | None, operation_id: str | None, version: str) -> list[Firing]:
        """The faults that fire on this call (counting it for every fault whose endpoint it is)."""
        out = []
        for f in self.faults:
            if not f.matches(method, template, operation_id, version):
                continue
            self.calls[f.id] += 1
            n = self.calls[f.id]
            if f.every is not None:
                fires = n % f.every == 0
            elif f.first is not None:
                fires = n <= f.first
            elif f.probability is not None:
                fires = self._random[f.id].random() < f.probability
            else:
                fires = True
            if fires:
                self.fired[f.id] += 1
                out.append(Firing(f, n))
        return out

    def replace_seeded(self, documents: list[Any] | None) -> None:
        """The seed document's ``faults:`` (``POST /_mockd/seed``): they replace the previous seed's."""
        parsed = [Fault.from_spec(d) if isinstance(d, str) else Fault.from_dict(d) for d in documents or []]
        for fault_id in sorted(self._from_seed):
            self.remove(fault_id)
        self._from_seed = {self.add(f).id for f in parsed}

    def listing(self) -> list[dict[str, Any]]:
        return [{**f.to_dict(), "calls": self.calls.get(f.id, 0), "fired": self.fired.get(f.id, 0)}
                for f in self.faults]


def plan_from(flags: list[str], seeded: list[Any] | None = None) -> FaultPlan:
    """A plan from ``--fault`` strings and a seed document's ``faults:`` (mappings or the same strings)."""
    plan = FaultPlan()
    for spec in flags:
        plan.add(Fault.from_spec(spec))
    plan.replace_seeded(seeded)
    return plan
