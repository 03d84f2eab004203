"""The one result model every ``apicheck client``/``traffic`` reporter consumes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from checker.client.targets import Target
from specs.findings import Finding
from specs.validation import NO_BODY


@dataclass(frozen=True)
class Exchange:
    """One request of a traffic record (``docs/record-format.md``), as sent."""

    seq: int  # 1-based order in the run
    method: str
    path: str  # concrete, with its version prefix when it had one
    query: dict[str, list[str]]
    body: Any  # the JSON body, or NO_BODY
    status: int | None = None  # what the daemon answered when recorded
    faults: tuple[dict[str, Any], ...] = ()  # the faults mockd applied to it (apicheck client --faults)
    variations: tuple[dict[str, Any], ...] = ()  # the response variations mockd sent (--fuzz-responses)

    @classmethod
    def from_record(cls, line: dict[str, Any], seq: int) -> Exchange:
        body = line.get("body")
        query = {k: list(v) if isinstance(v, list) else [str(v)] for k, v in (line.get("query") or {}).items()}
        return cls(seq, str(line["method"]).upper(), str(line["path"]), query,
                   body["json"] if isinstance(body, dict) and "json" in body else NO_BODY, line.get("status"),
                   tuple(line.get("faults") or ()), tuple(line.get("variations") or ()))

    def ref(self, template: str | None) -> dict[str, Any]:
        """How a finding names its request."""
        return {"seq": self.seq, "method": self.method, "path": self.path, "template": template}


@dataclass
class Choice:
    """How the client chose the API version it spoke."""

    how: str  # negotiated | pinned | unprefixed | none (no requests)
    prefixes: list[str] = field(default_factory=list)  # versions used in URL prefixes, in order of first use
    via: str | None = None  # the negotiating request: "HEAD /_ping" or "GET /version"

    def text(self) -> str:
        used = ", ".join(f"/v{p}/" for p in self.prefixes) or "no prefix"
        if self.how == "negotiated":
            return f"negotiated ({self.via} first), then {used}"
        if self.how == "pinned":
            return f"pinned to {used} without negotiating"
        if self.how == "unprefixed":
            return "unprefixed paths only (the daemon's own version)"
        return "no requests"


@dataclass
class CommandOutcome:
    """What the client command did at one version (absent for ``apicheck traffic``)."""

    exit_code: int | None  # None: it did not finish (timeout) or could not start
    stderr_tail: list[str] = field(default_factory=list)
    timed_out: bool = False
    seconds: float = 0.0
    crash: str | None = None  # the first line of a traceback or Go panic on stderr
    stdout: str | None = None  # kept only when asked for (--compare-output)

    @property
    def succeeded(self) -> bool:
        return self.exit_code == 0 and not self.timed_out

    def text(self) -> str:
        if self.timed_out:
            return f"timed out after {self.seconds:.0f} s"
        return "succeeded" if self.succeeded else f"failed (exit {self.exit_code})"


@dataclass
class VersionResult:
    """Everything found for one server version."""

    target: Target
    exchanges: int
    choice: Choice
    findings: list[Finding] = field(default_factory=list)  # observed in the requests
    possible: list[Finding] = field(default_factory=list)  # response-side hazards, never observed
    looseness: list[Finding] = field(default_factory=list)  # wire-profile info, kept apart
    command: CommandOutcome | None = None

    def failing(self, fail_on: str) -> list[Finding]:
        return [] if fail_on == "none" else [f for f in self.findings if f.at_least(fail_on)]  # type: ignore[arg-type]

    def to_json(self) -> dict[str, Any]:
        from checker.report.common import item

        out: dict[str, Any] = {
            "server": self.target.label, "api_version": self.target.api, "min_api_version": self.target.min_api,
            "engine_version": self.target.engine, "exchanges": self.exchanges,
            "version_choice": {"how": self.choice.how, "prefixes": self.choice.prefixes, "via": self.choice.via},
            "findings": [item(f) for f in self.findings],
            "possible": [item(f) for f in self.possible],
            "looseness": [item(f) for f in self.looseness],
        }
        if self.command is not None:
            c = self.command
            out["command"] = {"exit_code": c.exit_code, "succeeded": c.succeeded, "timed_out": c.timed_out,
                              "seconds": round(c.seconds, 2), "stderr_tail": c.stderr_tail, "crash": c.crash}
        return out


@dataclass
class ClientReport:
    """One client (a command, or a record) against every server version asked for."""

    client: str  # the command line, or the record file
    results: list[VersionResult]
    client_version: str | None = None  # --client-version, when given
    notes: list[str] = field(default_factory=list)  # e.g. a mockd flag that could not be passed

    def to_json(self) -> dict[str, Any]:
        return {"client": self.client, "client_version": self.client_version, "notes": self.notes,
                "results": [r.to_json() for r in self.results]}

    @property
    def has_command(self) -> bool:
        return any(r.command is not None for r in self.results)

    def command_failures(self) -> list[VersionResult]:
        return [r for r in self.results if r.command is not None and not r.command.succeeded]
