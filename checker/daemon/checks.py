"""Checks run on every probed response. Each is a small named function registered here, in one place.

A check gets one :class:`Exchange` (the operation, what was sent, the response, its parsed JSON
bodies) and returns findings. Genuine departures carry ``source="spec"`` or ``"behaviour"``; the known
Go-encoding looseness of the documents carries ``source="wire-profile"`` (severity info).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from checker.daemon.classify import classify
from checker.daemon.client import Response
from checker.daemon.reference import reference_errors
from specs.findings import Finding
from specs.model import ApiSpec, Operation
from specs.validation import NO_BODY, check_response

MAX_STREAM_ITEMS = 200


@dataclass
class Exchange:
    spec: ApiSpec
    op: Operation
    url_version: str  # the version in the URL prefix (may be older than the document's)
    path: str  # concrete path, without prefix or query
    query: dict[str, str]
    response: Response
    bogus_id: bool = False  # the path names an object that does not exist, on purpose
    bodies: list[Any] = field(default_factory=list)
    daemon_max: str | None = None  # the daemon's own (newest) API version: newer fields are a hazard, not a departure

    def finding(self, kind: str, severity: str, location: str, name: str, detail: str, source: str = "behaviour") -> Finding:
        return Finding(
            kind=kind, severity=severity, api_version=self.spec.version, method=self.op.method,  # type: ignore[arg-type]
            path=self.op.path, location=location, name=name, detail=detail, source=source,  # type: ignore[arg-type]
        )


# JSON record streams (events from 1.52): one JSON value per line; json-seq puts an RS byte before each.
JSON_STREAMS = frozenset({"application/x-ndjson", "application/jsonl", "application/json-seq"})


def parse_bodies(response: Response, method: str) -> list[Any]:
    """The JSON values of a response: one, a stream of newline-separated ones, or ``[NO_BODY]``."""
    if method == "HEAD" or not response.body.strip():
        return [NO_BODY]
    if response.mime not in ("application/json", "", *JSON_STREAMS):
        return [NO_BODY]
    try:
        return [json.loads(response.body)]
    except (ValueError, UnicodeDecodeError):
        pass
    lines = response.body.replace(b"\x1e", b"\n").split(b"\n")
    if response.truncated:
        lines = lines[:-1]  # the last line may be cut
    out = []
    for line in lines:
        line = line.strip()
        if not line:
            continue
        try:
            out.append(json.loads(line))
        except (ValueError, UnicodeDecodeError):
            return [NO_BODY]  # not JSON at all (e.g. multiplexed log frames without a Content-Type)
        if len(out) >= MAX_STREAM_ITEMS:
            break
    return out or [NO_BODY]


Check = Callable[[Exchange], list[Finding]]
CHECKS: list[Check] = []


def check(fn: Check) -> Check:
    CHECKS.append(fn)
    return fn


@check
def spec_conformance(ex: Exchange) -> list[Finding]:
    """The response against the version's document: status, content type, fields, types, nulls, enums."""
    seen: dict[tuple[str, str, str, str], Finding] = {}
    content_type = ex.response.content_type
    if ex.response.mime in JSON_STREAMS:  # status and media type once; then each record as JSON
        for f in check_response(ex.spec, ex.op, ex.response.status, content_type, NO_BODY):
            seen.setdefault((f.kind, f.location, f.name, f.source), f)
        content_type = None
    for body in ex.bodies:
        for f in check_response(ex.spec, ex.op, ex.response.status, content_type, body):
            seen.setdefault((f.kind, f.location, f.name, f.source), f)
    return list(seen.values())


@check
def error_shape(ex: Exchange) -> list[Finding]:
    """Errors in dockerd's shape: ``application/json``, ``{"message": "..."}`` and a newline."""
    r = ex.response
    if r.status < 400 or ex.op.method == "HEAD":
        return []
    body = r.json_or_none()
    problems = []
    if r.mime != "application/json":
        problems.append(f"Content-Type {r.content_type!r}, dockerd sends application/json")
    if not isinstance(body, dict) or not isinstance(body.get("message"), str):
        problems.append(f"body {r.body[:120]!r} is not {{\"message\": ...}}")
    else:
        extra = sorted(set(body) - {"message"})
        if extra:
            problems.append(f"extra keys {extra} next to message")
        if not r.body.endswith(b"\n"):
            problems.append("no newline after the JSON")
    if not problems:
        return []
    return [ex.finding("error-shape", "warning", "response", "", "; ".join(problems))]


def _router_like_404(r: Response) -> bool:
    if r.status != 404:
        return False
    body = r.json_or_none()
    if isinstance(body, dict) and str(body.get("message", "")).strip().lower() == "page not found":
        return True
    text = r.body.strip().lower()
    return r.mime != "application/json" and text in (b"not found", b"404 page not found", b"page not found")


@check
def missing_endpoint(ex: Exchange) -> list[Finding]:
    """A documented operation answered by the router's 404 (or a 405): the daemon does not have it."""
    r = ex.response
    if r.status == 405 or _router_like_404(r):
        return [ex.finding("missing-endpoint", "error", "endpoint", "",
                           f"{r.status} {r.body[:80]!r}: the daemon does not serve this documented operation")]
    return []


# Kinds of the project's checks that openapi-core can see too (it does not close the schemas).
_REFERENCE_KINDS = {"wrong-type", "null-value", "missing-required", "enum-mismatch"}


def cross_check(ex: Exchange, findings: list[Finding]) -> list[Finding]:
    """Attach openapi-core's verdict to each finding; report what only openapi-core saw."""
    r = ex.response
    if ex.op.method == "HEAD" or r.mime not in ("application/json", "") or len(ex.bodies) != 1 or ex.bodies[0] is NO_BODY:
        return findings
    ref = reference_errors(ex.spec, ex.op.method, ex.path, ex.query, r.status, r.mime, r.body)
    if ref is None:
        return findings
    ref_fields = {name for name, _ in ref}
    out = []
    mine = set()
    for f in findings:
        if f.location == "response" and f.kind in _REFERENCE_KINDS:
            mine.add(f.name)
            verdict = "confirmed" if _matches(f.name, ref_fields) else "not-seen"
            f = dataclasses.replace(f, extra={**f.extra, "openapi_core": verdict})
        out.append(f)
    whole = any(f.kind in ("undocumented-status", "undocumented-content-type") for f in findings)
    for name, message in ref:
        if not name and whole:
            continue  # the status or content type: already reported
        if not _matches(name, mine) and not any(f.location == "response" and f.name and _matches(f.name, {name}) for f in findings):
            out.append(ex.finding("reference-disagreement", "info", "response", name,
                                  f"openapi-core: {message[:300]}", source="spec"))
    return out


def _matches(name: str, names: set[str]) -> bool:
    """Field names match when one is the other, a parent of it, or the same path with map keys left out
    (openapi-core names ``Networks.none.Links`` what the project's checks call ``Networks.Links``)."""
    return any(_same_field(name, n) for n in names)


def _same_field(a: str, b: str) -> bool:
    if a == b:
        return True
    if not a or not b:
        return False
    if a.startswith(b + ".") or b.startswith(a + "."):
        return True
    short, long = sorted((a.split("."), b.split(".")), key=len)
    if short[-1] != long[-1]:
        return False
    it = iter(long)
    return all(part in it for part in short)  # a subsequence: the longer one has map keys in between


def run_checks(ex: Exchange) -> list[Finding]:
    ex.bodies = parse_bodies(ex.response, ex.op.method)
    findings: list[Finding] = []
    for fn in CHECKS:
        findings += fn(ex)
    findings = cross_check(ex, findings)
    findings = classify(findings, document=ex.spec.version, url_version=ex.url_version, daemon_max=ex.daemon_max,
                        operation_id=ex.op.operation_id, status=ex.response.status, bodies=ex.bodies,
                        same_field=_same_field)
    extra = {"url": ex.response.url, "status": ex.response.status, "url_version": ex.url_version}
    if ex.bogus_id:
        extra["bogus_id"] = True
    return [dataclasses.replace(f, extra={**extra, **f.extra}) for f in findings]
