"""The read-only probe: every GET/HEAD operation of a version's document, with real ids, checked.

Safe on a production daemon: see :mod:`checker.daemon.safety` for what is bounded or skipped.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import specs
from checker.daemon.checks import Exchange, run_checks
from checker.daemon.client import DaemonClient, TransportError
from checker.daemon.discovery import kind_of
from checker.daemon.safety import is_read_only, policy_for
from specs.findings import Finding
from specs.model import ApiSpec, Operation

_PARAM = re.compile(r"\{([^}]+)\}")
BOGUS_PREFIX = "apicheck-no-such-"

# One inspect-like operation per kind is also probed with a name that does not exist: the 404 must be
# documented and in dockerd's error shape.
BOGUS_TARGETS = (
    "/containers/{id}/json", "/images/{name}/json", "/networks/{id}", "/volumes/{name}",
    "/plugins/{name}/json", "/exec/{id}/json",
)  # fmt: skip


@dataclass
class Probed:
    """One planned or sent request and what came of it."""

    version: str
    method: str
    template: str
    url: str = ""
    status: int | None = None
    content_type: str | None = None
    elapsed: float = 0.0
    skipped: str = ""
    bogus_id: bool = False
    findings: list[Finding] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": self.version, "method": self.method, "path": self.template, "url": self.url,
            "status": self.status, "content_type": self.content_type, "elapsed": round(self.elapsed, 4),
            "skipped": self.skipped, "bogus_id": self.bogus_id, "findings": len(self.findings),
        }


@dataclass
class _Planned:
    op: Operation
    path: str
    query: dict[str, str]
    bogus: bool
    max_bytes: int
    read_seconds: float
    headers: dict[str, str]


def fill(template: str, value: str) -> str:
    """The template with every path parameter set to ``value`` (the Engine API has one per path)."""
    return _PARAM.sub(lambda _m: value, template)


def plan(spec: ApiSpec, ids: dict[str, list[str]], allow_registry: bool = False) -> tuple[list[_Planned], list[Probed]]:
    """The requests of one version's probe, and the operations skipped (with the reason)."""
    planned: list[_Planned] = []
    skipped: list[Probed] = []
    for op in spec.operations:
        if not is_read_only(op):
            continue
        policy = policy_for(op)
        if policy.skip and not (policy.registry and allow_registry):
            skipped.append(Probed(spec.version, op.method, op.path, skipped=policy.skip))
            continue
        query = policy.query(op) if policy.query else {}
        headers = policy.request_headers(op)
        missing = ""
        for param, kind in policy.needs.items():
            if ids.get(kind):
                query[param] = ids[kind][0]
            else:
                missing = f"no {kind} exists to probe with"
        kind = kind_of(op.path)
        params = _PARAM.findall(op.path)
        if params and kind is None:
            missing = f"no source of ids for {params}"
        if params and kind and not ids.get(kind):
            missing = missing or f"no {kind} exists to probe with"
        if not missing:
            real = ids[kind][0] if params and kind else ""
            path = fill(op.path, real) if params else op.path
            planned.append(_Planned(op, path, query, False, policy.max_bytes, policy.read_seconds, headers))
        else:
            skipped.append(Probed(spec.version, op.method, op.path, skipped=missing))
        if op.path in BOGUS_TARGETS and kind:
            bogus = f"{BOGUS_PREFIX}{kind}-0"
            path = fill(op.path, bogus)
            planned.append(_Planned(op, path, query, True, policy.max_bytes, policy.read_seconds, headers))
    return planned, skipped


def _send(client: DaemonClient, spec: ApiSpec, url_version: str, item: _Planned) -> Probed:
    op = item.op
    out = Probed(spec.version if url_version == spec.version else url_version, op.method, op.path, bogus_id=item.bogus)
    try:
        resp = client.request(op.method, item.path, version=url_version, query=item.query,
                              headers=item.headers, max_bytes=item.max_bytes, read_seconds=item.read_seconds)
    except TransportError as exc:
        out.url = client.url(item.path, url_version, item.query)
        out.findings = [Finding(kind="transport-error", severity="error", api_version=spec.version, method=op.method,
                                path=op.path, location="endpoint", detail=str(exc), source="behaviour",
                                extra={"url": out.url, "url_version": url_version})]
        return out
    out.url, out.status, out.content_type, out.elapsed = resp.url, resp.status, resp.content_type, resp.elapsed
    ex = Exchange(spec, op, url_version, item.path, item.query, resp, bogus_id=item.bogus,
                  daemon_max=client.api_max)
    out.findings = [dataclasses.replace(f, extra={**f.extra, "stage": "probe"}) for f in run_checks(ex)]
    return out


def probe_versions(
    client: DaemonClient,
    url_versions: list[str],
    ids: dict[str, list[str]],
    *,
    allow_registry: bool = False,
    workers: int = 8,
    progress: Callable[[int], None] | None = None,
) -> list[Probed]:
    """Probe every safe GET/HEAD operation of each version's document through ``/v<version>``.

    All versions share one pool: slow answers (stats without one-shot take a second or two before 1.41)
    overlap instead of adding up version after version.
    """
    results: list[Probed] = []
    work: list[tuple[ApiSpec, str, _Planned]] = []
    for url_version in url_versions:
        spec = specs.for_request(url_version)
        planned, skipped = plan(spec, ids, allow_registry)
        results += skipped
        work += [(spec, url_version, item) for item in planned]
    # Slow operations first, so that they do not end up last on an otherwise idle pool.
    work.sort(key=lambda w: 0 if w[2].op.path.endswith(("/stats", "/logs", "/export", "/archive")) else 1)
    pool = ThreadPoolExecutor(max_workers=workers)
    try:
        for probed in pool.map(lambda w: _send(client, w[0], w[1], w[2]), work):
            results.append(probed)
            if progress:
                progress(1)
    finally:
        # On Ctrl-C the queued requests are dropped: only the few in flight are waited for.
        pool.shutdown(wait=True, cancel_futures=True)
    return results


def planned_count(url_version: str, ids: dict[str, list[str]], allow_registry: bool = False) -> int:
    return len(plan(specs.for_request(url_version), ids, allow_registry)[0])
