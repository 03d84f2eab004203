"""The one registry of server state, kept in the app under :data:`mockd.keys.REGISTRY`.

The stateful engine (``mockd.engine.Engine``) plugs in through ``engine_factory``: the registry
creates the engine at start-up and again on every ``reset()``. Until an engine exists,
:class:`EmptyEngine` stands in (a daemon with nothing in it).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from specs.findings import Finding


class EmptyEngine:
    """Placeholder engine: no objects, nothing to reset."""

    def reset(self) -> None:
        pass

    def dump(self) -> dict[str, Any]:
        return {}


def default_engine_factory() -> Any:
    try:
        from mockd.engine import Engine  # type: ignore[attr-defined]
    except ImportError:
        return EmptyEngine()
    return Engine()


def load_seed(path: str) -> dict[str, Any]:
    """Read and check a seed file (``mockd --seed FILE``); ValueError with the reason when it is bad."""
    from mockd.engine.errors import EngineError
    from mockd.engine.seed import load_seed_file

    try:
        return load_seed_file(path)
    except OSError as exc:
        raise ValueError(f"--seed {path}: {exc.strerror or exc}") from None
    except (EngineError, ValueError) as exc:
        raise ValueError(f"--seed {path}: {getattr(exc, 'message', exc)}") from None


def seeded_engine_factory(path: str) -> Callable[[], Any]:
    """An engine factory starting from the seed file at ``path`` (read once, at start-up); the engine
    keeps the document and returns to it on every reset."""
    from mockd.engine import Engine  # type: ignore[attr-defined]

    document = load_seed(path)
    return lambda: Engine(seed=document)


@dataclass
class SwarmState:
    """Whether this node is in a swarm: manager endpoints answer 503 while it is not."""

    active: bool = False
    node_id: str = ""

    def reset(self) -> None:
        self.active = False
        self.node_id = ""


@dataclass
class Registry:
    engine_factory: Callable[[], Any] = default_engine_factory
    max_findings: int = 10000
    engine: Any = None
    swarm: SwarmState = field(default_factory=SwarmState)
    findings: list[Finding] = field(default_factory=list)
    requests_seen: int = 0

    def __post_init__(self) -> None:
        if self.engine is None:
            self.engine = self.engine_factory()

    def reset(self) -> None:
        """Back to a daemon with nothing in it: new engine, swarm left, findings cleared."""
        if hasattr(self.engine, "reset"):
            self.engine.reset()
        else:
            self.engine = self.engine_factory()
        self.swarm.reset()
        self.findings.clear()
        self.requests_seen = 0

    def add_findings(self, found: list[Finding]) -> None:
        self.findings.extend(found)
        if len(self.findings) > self.max_findings:
            del self.findings[: len(self.findings) - self.max_findings]

    def dump(self) -> dict[str, Any]:
        engine_dump = getattr(self.engine, "dump", None)
        return {
            "engine": engine_dump() if engine_dump else repr(self.engine),
            "swarm": {"active": self.swarm.active, "node_id": self.swarm.node_id},
            "findings": len(self.findings),
            "requests": self.requests_seen,
        }
