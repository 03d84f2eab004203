"""What the read-only probe may send, operation by operation.

The probe runs against production daemons: every GET/HEAD operation is probed unless it is not
harmless. Streams are bounded, bulk exports are cut after a few kilobytes, operations that reach a
registry are skipped unless asked for, and secrets are never fetched.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from specs.model import Operation

# Bounds applied to every probe request: a misbehaving stream never holds the probe.
DEFAULT_MAX_BYTES = 4 * 1024 * 1024
DEFAULT_READ_SECONDS = 10.0
EXPORT_BYTES = 64 * 1024


@dataclass(frozen=True)
class Policy:
    """How one operation is probed. ``skip`` says why it is not; ``query`` builds the query from the
    operation (only parameters the version documents are sent)."""

    skip: str = ""
    registry: bool = False  # reaches a registry: probed only with allow_registry
    query: Callable[[Operation], dict[str, Any]] | None = None
    max_bytes: int = DEFAULT_MAX_BYTES
    read_seconds: float = DEFAULT_READ_SECONDS
    needs: dict[str, str] = field(default_factory=dict)  # extra ids the query needs: param -> id kind
    headers: Callable[[Operation], dict[str, str]] | None = None

    def request_headers(self, op: Operation) -> dict[str, str]:
        return self.headers(op) if self.headers else {}


def _only_known(op: Operation, wanted: dict[str, Any]) -> dict[str, Any]:
    known = op.parameters_in("query")
    return {k: v for k, v in wanted.items() if k in known}


def _logs_query(op: Operation) -> dict[str, Any]:
    # No follow: the call returns what is there. dockerd refuses logs without a stream chosen.
    return _only_known(op, {"stdout": "1", "stderr": "1", "tail": "20"})


def _stats_query(op: Operation) -> dict[str, Any]:
    return _only_known(op, {"stream": "0", "one-shot": "1"})


def _events_query(op: Operation) -> dict[str, Any]:
    now = int(time.time())
    # until just past now: the daemon replays what it buffered (events of this very second too: dockerd compares
    # nanosecond times with the whole-second until) and ends the stream a second later.
    return _only_known(op, {"since": str(now - 600), "until": str(now + 1)})


def _accept_documented(op: Operation) -> dict[str, str]:
    # dockerd 29 negotiates the events media type; asked for none it answers application/json (29.0-29.2) or, from
    # 29.3, application/jsonl even at 1.52 whose document lacks it. A client written from the document asks for
    # what the document lists.
    return {"Accept": ", ".join(op.produces)}


def _archive_query(op: Operation) -> dict[str, Any]:
    return {"path": "/"}


BOUNDED_EXPORT = dict(max_bytes=EXPORT_BYTES, read_seconds=5.0)

POLICIES: dict[tuple[str, str], Policy] = {
    ("GET", "/containers/{id}/logs"): Policy(query=_logs_query, read_seconds=5.0),
    ("GET", "/services/{id}/logs"): Policy(query=_logs_query, read_seconds=5.0),
    ("GET", "/tasks/{id}/logs"): Policy(query=_logs_query, read_seconds=5.0),
    ("GET", "/containers/{id}/stats"): Policy(query=_stats_query),
    ("GET", "/events"): Policy(query=_events_query, read_seconds=5.0, headers=_accept_documented),
    ("GET", "/containers/{id}/export"): Policy(**BOUNDED_EXPORT),
    ("GET", "/images/{name}/get"): Policy(**BOUNDED_EXPORT),
    ("GET", "/images/get"): Policy(query=lambda op: {}, needs={"names": "image"}, **BOUNDED_EXPORT),
    ("GET", "/containers/{id}/archive"): Policy(query=_archive_query, **BOUNDED_EXPORT),
    ("HEAD", "/containers/{id}/archive"): Policy(query=_archive_query),
    ("GET", "/containers/{id}/attach/ws"): Policy(skip="a websocket attach: takes the container's streams over"),
    ("GET", "/images/search"): Policy(registry=True, skip="reaches a registry (images/search)",
                                      query=lambda op: _only_known(op, {"term": "busybox", "limit": "1"})),
    ("GET", "/distribution/{name}/json"): Policy(registry=True, skip="reaches a registry (distribution)"),
    ("GET", "/plugins/privileges"): Policy(registry=True, skip="reaches a registry (plugin privileges)",
                                           query=lambda op: {}, needs={"remote": "plugin"}),
    ("GET", "/swarm/unlockkey"): Policy(skip="returns a secret (the swarm unlock key): never fetched"),
}


def policy_for(op: Operation) -> Policy:
    return POLICIES.get((op.method, op.path), Policy())


def is_read_only(op: Operation) -> bool:
    return op.method in ("GET", "HEAD")
