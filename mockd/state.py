"""The one registry of server state, kept in the app under :data:`mockd.keys.REGISTRY`.

The engine (``mockd.engine.Engine``, the daemon's objects) is made by ``engine_factory`` at start-up;
``reset()`` returns it to its seed. Beside it, what the server itself collects (findings, the request count).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from mockd.answer_cache import AnswerCache
from mockd.engine import Engine
from mockd.engine.errors import EngineError
from mockd.engine.seed import load_seed_file
from specs.findings import Finding


def load_seed(path: str) -> dict[str, Any]:
    """Read and check a seed file (``mockd --seed FILE``); ValueError with the reason when it is bad."""
    try:
        return load_seed_file(path)
    except OSError as exc:
        raise ValueError(f"--seed {path}: {exc.strerror or exc}") from None
    except (EngineError, ValueError) as exc:
        raise ValueError(f"--seed {path}: {getattr(exc, 'message', exc)}") from None


def seeded_engine_factory(path: str | None, publish_ports: str = "loopback", *,
                          registry_strict: bool = False) -> Callable[[], Engine]:
    """An engine factory starting from the seed file at ``path`` (read once, at start-up; None: an empty
    daemon); the engine keeps the document and returns to it on every reset. ``publish_ports``: ``mockd
    --publish-ports``; ``registry_strict``: the ``--registry strict`` registry."""
    document = load_seed(path) if path else None
    return lambda: Engine(seed=document, publish_ports=publish_ports, registry_strict=registry_strict)


@dataclass
class Registry:
    engine_factory: Callable[[], Engine] = Engine
    max_findings: int = 10000
    engine: Engine = field(init=False)
    findings: list[Finding] = field(default_factory=list)
    requests_seen: int = 0
    answers: AnswerCache = field(default_factory=AnswerCache)

    def __post_init__(self) -> None:
        self.engine = self.engine_factory()
        self.engine.runtime.report = self._unsimulated_program

    def _unsimulated_program(self, program: str, message: str) -> None:
        """The engine started an opaque process (`mockd/engine/opaque.py`): a finding, once per program."""
        self.add_findings([Finding(kind="unsimulated-program", severity="warning", api_version="", method="",
                                   path="", location="process", name=program, detail=message, source="behaviour")])

    def reset(self) -> None:
        """Back to the daemon's seed (one with nothing in it when there is none), findings cleared."""
        self.engine.reset()
        self.answers.clear()
        self.findings.clear()
        self.requests_seen = 0

    def add_findings(self, found: list[Finding]) -> None:
        self.findings.extend(found)
        if len(self.findings) > self.max_findings:
            del self.findings[: len(self.findings) - self.max_findings]

    def dump(self) -> dict[str, Any]:
        swarm = self.engine.swarm
        return {
            "engine": self.engine.dump(),
            "swarm": {"active": swarm.active, "node_id": swarm.node_id},
            "findings": len(self.findings),
            "requests": self.requests_seen,
        }
