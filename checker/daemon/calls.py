"""Send one request and check its response: the building block of the write and skew probes."""

from __future__ import annotations

import dataclasses
from typing import Any

import specs
from checker.daemon.checks import Exchange, run_checks
from checker.daemon.client import DaemonClient, Response, TransportError
from checker.daemon.probe import Probed
from specs.findings import Finding


class CheckedCaller:
    """Requests at one URL version; each response runs through the registered checks."""

    def __init__(self, client: DaemonClient, url_version: str, stage: str) -> None:
        self.client = client
        self.url_version = url_version
        self.spec = specs.for_request(url_version)
        self.stage = stage
        self.results: list[Probed] = []

    def finding(self, kind: str, severity: str, method: str, path: str, detail: str, **extra: Any) -> Finding:
        f = Finding(kind=kind, severity=severity, api_version=self.spec.version, method=method, path=path,  # type: ignore[arg-type]
                    location="endpoint", detail=detail, source="behaviour", extra={"stage": self.stage, **extra})
        self.results.append(Probed(self.url_version, method, path, findings=[f]))
        return f

    def call(
        self, method: str, path: str, *, query: dict[str, Any] | None = None, body: Any = None,
        expect: tuple[int, ...] = (), check: bool = True, **kw: Any,
    ) -> Response | None:
        """Send; None on a transport error or an unexpected status (both recorded as findings)."""
        matched = self.spec.match(method, path)
        template = matched[0].path if matched else path
        try:
            resp = self.client.request(method, path, version=self.url_version, query=query, body=body, **kw)
        except TransportError as exc:
            self.finding("transport-error", "error", method, template, str(exc))
            return None
        probed = Probed(self.url_version, method, template, url=resp.url, status=resp.status,
                        content_type=resp.content_type, elapsed=resp.elapsed)
        if check and matched:
            flat_query = {k: (v if isinstance(v, str) else str(v)) for k, v in (query or {}).items()}
            ex = Exchange(self.spec, matched[0], self.url_version, path, flat_query, resp, daemon_max=self.client.api_max)
            probed.findings = [dataclasses.replace(f, extra={**f.extra, "stage": self.stage}) for f in run_checks(ex)]
        self.results.append(probed)
        if expect and resp.status not in expect:
            self.finding("unexpected-status", "error", method, template,
                         f"{resp.status} (expected {'/'.join(map(str, expect))}): {resp.body[:300]!r}", url=resp.url)
            return None
        return resp

    @property
    def findings(self) -> list[Finding]:
        return [f for p in self.results for f in p.findings]
