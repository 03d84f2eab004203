"""Fuzzing (``--fuzz``): schemathesis-generated requests from the version's document.

schemathesis generates the cases (hypothesis strategies from the document) and judges each response
with its checks (no 5xx, documented status, documented content type); the project's checks judge the
body (with the wire-profile split). Requests go through our own client (unix sockets included).

Safety: without ``--write`` only the read-only probe's operations are fuzzed, with the same bounds and
skips. With ``--write`` only operations confined to the sandbox are added: creates whose name and labels
are forced to sandbox values (``WRITE_CREATES``), and operations on existing objects whose path names a
sandbox object (``WRITE_ON_SANDBOX``). Path parameters are never left to chance (``a`` would name any
container whose id starts with it): they name a discovered object (reads), a sandbox object (writes) or
one that does not exist.
"""

from __future__ import annotations

import dataclasses
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import specs
from checker.daemon.checks import Exchange, run_checks
from checker.daemon.client import DaemonClient, Response, TransportError
from checker.daemon.discovery import kind_of
from checker.daemon.probe import BOGUS_PREFIX, Probed
from checker.daemon.safety import is_read_only, policy_for
from specs.findings import Finding

_PARAM = re.compile(r"\{([^}]+)\}")

# Write operations fuzzed with --write: confined to the sandbox by forced names and labels.
WRITE_CREATES = {("POST", "/volumes/create"), ("POST", "/networks/create"), ("POST", "/containers/create")}
# Operations on existing objects fuzzed with --write: their path names a sandbox object (or none at all).
# Not here: hijacking ones (attach, exec start), commit (makes an image from a query parameter) and prunes.
WRITE_ON_SANDBOX = {
    ("POST", "/containers/{id}/start"), ("POST", "/containers/{id}/stop"), ("POST", "/containers/{id}/restart"),
    ("POST", "/containers/{id}/kill"), ("POST", "/containers/{id}/pause"), ("POST", "/containers/{id}/unpause"),
    ("POST", "/containers/{id}/update"), ("POST", "/containers/{id}/rename"), ("POST", "/containers/{id}/resize"),
    ("POST", "/containers/{id}/wait"), ("DELETE", "/containers/{id}"), ("PUT", "/containers/{id}/archive"),
    ("POST", "/containers/{id}/exec"), ("DELETE", "/volumes/{name}"), ("DELETE", "/networks/{id}"),
    ("POST", "/networks/{id}/connect"), ("POST", "/networks/{id}/disconnect"),
}  # fmt: skip


@dataclass
class FuzzResult:
    operations: int = 0
    requests: int = 0
    elapsed: float = 0.0
    stopped_by_time: bool = False
    probed: list[Probed] = field(default_factory=list)

    @property
    def findings(self) -> list[Finding]:
        return [f for p in self.probed for f in p.findings]


def _schemathesis_checks() -> list[Any]:
    from schemathesis.checks import content_type_conformance, not_a_server_error, status_code_conformance

    return [not_a_server_error, status_code_conformance, content_type_conformance]


def schemathesis_response(resp: Response) -> Any:
    """Our client's response as schemathesis' own, for its checks."""
    import requests
    from schemathesis.core.transport import Response as StResponse

    prepared = requests.Request(resp.method, "http://docker" + resp.url).prepare()
    headers: dict[str, list[str]] = {}
    for key, value in resp.headers:
        headers.setdefault(key.lower(), []).append(value)
    return StResponse(status_code=resp.status, headers=headers, content=resp.body, request=prepared,
                      elapsed=resp.elapsed, verify=False, stream_cut_short=resp.truncated)


def _judge(case: Any, resp: Response) -> list[tuple[str, str]]:
    """(check title, message) for every schemathesis check that fails."""
    try:
        case.validate_response(schemathesis_response(resp), checks=_schemathesis_checks())
    except (Exception, BaseExceptionGroup) as exc:  # FailureGroup (a BaseExceptionGroup) or a single Failure
        failures = getattr(exc, "exceptions", None) or [exc]
        return [(getattr(f, "title", type(f).__name__), str(getattr(f, "message", f))[:300]) for f in failures]
    return []


_KIND_OF_TITLE = {"Server error": "server-error", "Undocumented HTTP status code": "undocumented-status",
                  "Undocumented status code": "undocumented-status",
                  "Undocumented Content-Type": "undocumented-content-type"}


def run_fuzz(
    client: DaemonClient,
    url_version: str,
    ids: dict[str, list[str]],
    *,
    max_examples: int = 10,
    time_limit: float = 60.0,
    write: bool = False,
    sandbox_labels: dict[str, str] | None = None,
    name_prefix: str = "apicheck-fuzz",
    sandbox_ids: dict[str, list[str]] | None = None,
    on_created: Callable[[str, str], None] | None = None,
    progress: Callable[[int], None] | None = None,
) -> FuzzResult:
    import schemathesis
    from hypothesis import HealthCheck, Phase, given, settings

    spec = specs.for_request(url_version)
    schema = schemathesis.openapi.from_dict({**spec.doc, "servers": [{"url": f"/v{url_version}"}]})
    result = FuzzResult()
    started = time.monotonic()
    deadline = started + time_limit
    counter = [0]

    for entry in schema.get_all_operations():
        try:
            st_op = entry.ok()
        except Exception:  # an operation schemathesis cannot load: the rest still runs
            continue
        op = spec.operation(st_op.method, st_op.path)
        if op is None:
            continue
        policy = policy_for(op)
        read_only = is_read_only(op) and not policy.skip
        on_sandbox = write and (op.method, op.path) in WRITE_ON_SANDBOX
        if not read_only and not (write and (op.method, op.path) in WRITE_CREATES) and not on_sandbox:
            continue
        if time.monotonic() > deadline:
            result.stopped_by_time = True
            break
        result.operations += 1
        kind = kind_of(op.path)
        fixed_query = policy.query(op) if policy.query else {}
        for param, needed in policy.needs.items():
            if ids.get(needed):
                fixed_query[param] = ids[needed][0]

        def send(case: Any, op: Any = op, kind: str | None = kind, fixed_query: dict[str, Any] = fixed_query,
                 policy: Any = policy, on_sandbox: bool = on_sandbox) -> None:
            if time.monotonic() > deadline:
                result.stopped_by_time = True
                return
            params = _PARAM.findall(op.path)
            if params:
                # A write names a sandbox object, never a discovered one.
                real = (sandbox_ids or {}).get(kind or "", []) if on_sandbox else ids.get(kind or "", [])
                counter[0] += 1
                # Alternate between a real object and one that does not exist.
                value = real[0] if real and counter[0] % 2 else f"{BOGUS_PREFIX}{kind or 'object'}-{counter[0]}"
                path = _PARAM.sub(lambda _m: value, op.path)
            else:
                path = op.path
            query = {k: v for k, v in (case.query or {}).items() if v is not None}
            query.update(fixed_query)
            if op.path.endswith("/logs"):
                query.pop("follow", None)
            for wait in ("t", "timeout"):  # stop/restart wait that long before killing: keep it short
                if wait in query and not (isinstance(query[wait], int) and 0 <= query[wait] <= 2):
                    query[wait] = 1
            body = case.body if on_sandbox and isinstance(case.body, dict | list) else None
            if on_sandbox and op.path.startswith("/networks/{id}/"):
                # connect/disconnect name a container in the body: ours, never one found on the daemon.
                mine = (sandbox_ids or {}).get("container") or [f"{BOGUS_PREFIX}container"]
                body = {**(body if isinstance(body, dict) else {}), "Container": mine[0]}
            if write and (op.method, op.path) in WRITE_CREATES:
                body, query = _confine(op.path, case.body, query, sandbox_labels or {}, f"{name_prefix}-{counter[0]}")
                counter[0] += 1
            try:
                resp = client.request(op.method, path, version=url_version, query=query, body=body, timeout=15,
                                      headers=policy.request_headers(op), max_bytes=policy.max_bytes, read_seconds=min(policy.read_seconds, 5.0))
            except TransportError as exc:
                # A generated request may legitimately take long (a wait on a running container): a timeout
                # is worth telling; a broken connection is an error.
                timed_out = "timed out" in str(exc)
                result.probed.append(Probed(url_version, op.method, op.path, findings=[Finding(
                    kind="timeout" if timed_out else "transport-error", severity="info" if timed_out else "error",
                    api_version=spec.version, method=op.method, path=op.path, location="endpoint", detail=str(exc),
                    source="behaviour", extra={"stage": "fuzz", "url": client.url(path, url_version, query)})]))
                return
            result.requests += 1
            if progress:
                progress(1)
            if write and resp.status < 300 and (op.method, op.path) in WRITE_CREATES and on_created:
                created = resp.json_or_none()
                ident = (created or {}).get("Id") or (created or {}).get("Name") if isinstance(created, dict) else None
                if ident:
                    on_created(op.path.split("/")[1].rstrip("s"), str(ident))
            flat = {k: str(v) for k, v in query.items()}
            ex = Exchange(spec, op, url_version, path, flat, resp, bogus_id=BOGUS_PREFIX in path,
                          daemon_max=client.api_max)
            findings = [f for f in run_checks(ex) if f.kind not in ("undocumented-status", "undocumented-content-type")]
            for title, message in _judge(case, resp):
                findings.append(Finding(
                    kind=_KIND_OF_TITLE.get(title, "schemathesis-" + re.sub(r"\W+", "-", title.lower()).strip("-")),
                    severity=_severity(title, op, resp.status), api_version=spec.version,
                    method=op.method, path=op.path, location="response", detail=f"{title}: {message}",
                    source="spec" if title != "Server error" else "behaviour", extra={"url": resp.url, "status": resp.status}))
            findings = [dataclasses.replace(f, extra={**f.extra, "stage": "fuzz"}) for f in findings]
            result.probed.append(Probed(url_version, op.method, op.path, url=resp.url, status=resp.status,
                                        content_type=resp.content_type, elapsed=resp.elapsed, findings=findings))

        test = settings(
            max_examples=max_examples, deadline=None, database=None, phases=[Phase.generate],
            suppress_health_check=list(HealthCheck),
        )(given(case=st_op.as_strategy())(_runner(send)))
        try:
            test()
        except Exception as exc:  # a generation problem of one operation must not end the run
            result.probed.append(Probed(url_version, op.method, op.path,
                                        skipped=f"generation failed: {type(exc).__name__}: {str(exc)[:200]}"))
    result.elapsed = time.monotonic() - started
    return result


def _severity(title: str, op: Any, status: int) -> str:
    """A 5xx the document lists is dockerd's way (503 without a swarm, 500 for a malformed filter): worth
    telling, not an outage; an undocumented 5xx is an error."""
    if title != "Server error":
        return "warning"
    if str(status) not in op.responses:
        return "error"
    return "info" if status == 503 else "warning"


def _runner(send: Callable[[Any], None]) -> Callable[[Any], None]:
    def run(case: Any) -> None:
        send(case)

    return run


def _confine(path: str, body: Any, query: dict[str, Any], labels: dict[str, str], name: str) -> tuple[Any, dict[str, Any]]:
    """A generated create request, forced into the sandbox: our name, our labels, no host networking."""
    body = dict(body) if isinstance(body, dict) else {}
    body["Labels"] = dict(labels)
    if path == "/containers/create":
        query = {**query, "name": name}
        host = body.get("HostConfig") if isinstance(body.get("HostConfig"), dict) else {}
        # Nothing that reaches the host: no binds, devices, privileges or shared namespaces.
        body["HostConfig"] = {k: v for k, v in host.items() if k in ("Memory", "CpuShares", "Init", "RestartPolicy")}
        body["HostConfig"]["NetworkMode"] = "none"
    elif path == "/volumes/create":
        # The local driver only, without options: options can mount devices or remote shares.
        body = {"Name": name, "Labels": dict(labels), "Driver": "local"}
    else:
        # No driver options (they name host interfaces) and no other driver (a plugin lookup hangs).
        body = {k: v for k, v in body.items() if k in ("CheckDuplicate", "Attachable", "EnableIPv6", "Scope")}
        body.update({"Name": name, "Labels": dict(labels), "Driver": "bridge", "Internal": True})
    return body, query
