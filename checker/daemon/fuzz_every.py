"""Every-operation fuzzing against a throwaway mockd (``apicheck daemon --fuzz --every-operation``).

The read-only and sandbox fuzzing of :mod:`checker.daemon.fuzz` may run against a production daemon, so
it leaves most writes alone. A mock can take them all: here every documented operation of each version
gets schemathesis-generated cases (writes, deletes and prunes included), and each answer is judged by two
checks:

- ``not_a_server_error`` (schemathesis): a 5xx is an error unless the allow-list
  (:mod:`checker.daemon.fuzz_allow`) says dockerd gives that 5xx too, and why;
- response schema conformance with the wire profile: the project's schema checks, where Go's nulls
  (and the rest of ``specs.wire``) are known looseness, not violations.

The daemon must be mockd: the run resets it (``POST /_mockd/reset``) before each version and refuses any
other product. Path parameters alternate between a live object of the right kind (recreated before each
operation when a case deleted it) and one that does not exist. Streams are bounded (no ``follow``, events
up to now, a short read), so no case holds the run.
"""

from __future__ import annotations

import dataclasses
import json
import re
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import specs
from checker.daemon.checks import Exchange, _same_field, parse_bodies, spec_conformance
from checker.daemon.classify import NEWER_KINDS, classify
from checker.daemon.client import DaemonClient, Response, TransportError
from checker.daemon.discovery import kind_of
from checker.daemon.fuzz import schemathesis_response
from checker.daemon.fuzz_allow import AllowList
from checker.daemon.probe import BOGUS_PREFIX, Probed
from checker.daemon.safety import policy_for
from specs.findings import Finding
from specs.wire import loosen_document

MOCK_PRODUCTS = frozenset({"mockd"})
STAGE = "fuzz-every"
# What the project's response checks call a schema violation (a type, a null, a required field, an enum).
SCHEMA_KINDS = frozenset({"wrong-type", "null-value", "missing-required", "enum-mismatch", "schema-violation"})
READ_SECONDS = 2.5  # a stream case is cut after this long: the answer's head is what is judged
REQUEST_TIMEOUT = 5.0
IMAGE = "busybox:latest"
FAR_BEHIND = 120.0  # seconds past the time limit after which the operations left are given up (not_reached)
_PARAM = re.compile(r"\{([^}]+)\}")


class FuzzSetupError(RuntimeError):
    """The daemon cannot be fuzzed with every operation (not mockd, or its control plane is out of reach)."""


@dataclass
class VersionFuzz:
    """One version's run: how many operations and cases, what was found."""

    version: str
    operations: int = 0
    cases: int = 0
    elapsed: float = 0.0
    not_reached: list[str] = field(default_factory=list)  # operations the time limit left out
    probed: list[Probed] = field(default_factory=list)

    @property
    def findings(self) -> list[Finding]:
        return [f for p in self.probed for f in p.findings]

    def server_errors(self, allowed: bool | None = None) -> list[Finding]:
        return [f for f in self.findings if f.kind == "server-error"
                and (allowed is None or bool(f.extra.get("allowed")) == allowed)]

    def schema_violations(self) -> list[Finding]:
        return [f for f in self.findings if f.kind in SCHEMA_KINDS]

    def to_dict(self) -> dict[str, Any]:
        return {"version": self.version, "operations": self.operations, "cases": self.cases,
                "elapsed": round(self.elapsed, 2), "not_reached": self.not_reached,
                "server_errors": len(self.server_errors(False)), "allowed_server_errors": len(self.server_errors(True)),
                "schema_violations": len(self.schema_violations()),
                # every unexpected one in full (the request that caused it included): what to fix
                "unexpected": [f.to_dict() for f in self.server_errors(False) + self.schema_violations()]}


def reset(client: DaemonClient) -> None:
    try:
        resp = client.request("POST", "/_mockd/reset", timeout=30)
    except TransportError as exc:
        raise FuzzSetupError(f"cannot reset the daemon: {exc}") from exc
    if resp.status != 200:
        raise FuzzSetupError(f"POST /_mockd/reset answered {resp.status}: every-operation fuzzing needs mockd's "
                             "control plane (a unix socket, or --control-on-tcp)")


class Targets:
    """Live objects for path parameters, recreated when a case removed them (a delete, a prune, a stop)."""

    def __init__(self, client: DaemonClient, version: str) -> None:
        self.client, self.version = client, version
        self.ids: dict[str, str] = {}
        self.serial = 0

    def _call(self, method: str, path: str, **kw: Any) -> Response | None:
        try:
            return self.client.request(method, path, version=self.version, timeout=30, **kw)
        except TransportError:
            return None

    def _exists(self, kind: str, ident: str) -> bool:
        path = {"container": f"/containers/{ident}/json", "image": f"/images/{ident}/json",
                "volume": f"/volumes/{ident}", "network": f"/networks/{ident}", "exec": f"/exec/{ident}/json"}[kind]
        r = self._call("GET", path)
        if r is None or r.status != 200:
            return False
        return kind != "container" or (r.json_or_none() or {}).get("State", {}).get("Running") is True

    def ensure(self, kind: str | None) -> dict[str, str]:
        """Make sure an object of ``kind`` exists (an image, a running container, a volume, a network, an exec:
        the container's); the ids of those known. Only the kind an operation names is checked: each check is a
        request, and every operation's cases start here."""
        self.serial += 1
        n = self.serial
        if kind in ("image", "container", "exec") and not ("image" in self.ids and self._exists("image", self.ids["image"])):
            self._call("POST", "/images/create", query={"fromImage": "busybox", "tag": "latest"}, read_seconds=20)
            self.ids["image"] = IMAGE
        if kind in ("container", "exec") and not ("container" in self.ids and self._exists("container", self.ids["container"])):
            r = self._call("POST", "/containers/create", query={"name": f"fuzz-target-{n}"},
                           body={"Image": IMAGE, "Cmd": ["sleep", "3600"], "OpenStdin": True, "StopTimeout": 1})
            cid = (r.json_or_none() or {}).get("Id") if r is not None and r.status == 201 else None
            if cid:
                self._call("POST", f"/containers/{cid}/start")
                self.ids["container"] = cid
                self.ids.pop("exec", None)
        if kind == "volume" and not ("volume" in self.ids and self._exists("volume", self.ids["volume"])):
            r = self._call("POST", "/volumes/create", body={"Name": f"fuzz-vol-{n}"})
            if r is not None and r.status < 300:
                self.ids["volume"] = f"fuzz-vol-{n}"
        if kind == "network" and not ("network" in self.ids and self._exists("network", self.ids["network"])):
            r = self._call("POST", "/networks/create", body={"Name": f"fuzz-net-{n}"})
            nid = (r.json_or_none() or {}).get("Id") if r is not None and r.status < 300 else None
            if nid:
                self.ids["network"] = nid
        cid = self.ids.get("container")
        if kind == "exec" and cid and not ("exec" in self.ids and self._exists("exec", self.ids["exec"])):
            r = self._call("POST", f"/containers/{cid}/exec", body={"Cmd": ["true"]})
            eid = (r.json_or_none() or {}).get("Id") if r is not None and r.status == 201 else None
            if eid:
                self.ids["exec"] = eid
        return dict(self.ids)


def _request_of(case: Any, op: Any, fixed_query: dict[str, Any]) -> tuple[dict[str, Any], Any, dict[str, str]]:
    """Query, body and headers of a generated case, bounded so that no case holds the run."""
    query = {k: v for k, v in (case.query or {}).items() if v is not None}
    query.update(fixed_query)
    for stream in ("follow", "stream"):  # a followed log or a stats stream would last for ever
        if stream in query:
            query[stream] = False
    for wait in ("t", "timeout"):  # stop/restart wait that long before killing: keep it short
        if wait in query and not (isinstance(query[wait], int) and 0 <= query[wait] <= 1):
            query[wait] = 0
    body = case.body
    if type(body).__name__ == "NotSet":  # schemathesis' marker for "no body"
        body = None
    headers = {k: v for k, v in (case.headers or {}).items() if isinstance(v, str)}
    media = getattr(case, "media_type", None) or ""
    if body is not None and not isinstance(body, bytes) and media and "json" not in media:
        body = body.encode() if isinstance(body, str) else json.dumps(body).encode()
    if isinstance(body, bytes) and media:
        headers.setdefault("Content-Type", media)
    return query, body, headers


def _schemathesis_verdict(case: Any, resp: Response) -> list[str]:
    """Messages of schemathesis' ``not_a_server_error`` for this answer (empty when it passes)."""
    from schemathesis.checks import not_a_server_error

    try:
        case.validate_response(schemathesis_response(resp), checks=[not_a_server_error])
    except (Exception, BaseExceptionGroup) as exc:
        failures = getattr(exc, "exceptions", None) or [exc]
        return [str(getattr(f, "title", type(f).__name__)) for f in failures]
    return []


def _error_message(resp: Response) -> str:
    body = resp.json_or_none()
    if isinstance(body, dict) and isinstance(body.get("message"), str):
        return body["message"]
    return resp.body[:300].decode("utf-8", "replace")


def _shown(value: Any, limit: int = 300) -> str:
    if isinstance(value, bytes):
        text = repr(value[:limit])
    else:
        try:
            text = json.dumps(value, ensure_ascii=False, default=str)
        except (TypeError, ValueError):
            text = repr(value)
    return text if len(text) <= limit else text[:limit] + "..."


def fuzz_version(
    client: DaemonClient,
    version: str,
    *,
    max_examples: int,
    time_limit: float,
    allow: AllowList,
    only: frozenset[str] | None = None,
    progress: Callable[[int], None] | None = None,
    seed: int | None = None,
) -> VersionFuzz:
    """Every operation of ``version``'s document (``only``: those named ``METHOD /template``), up to
    ``max_examples`` cases each. Each operation gets at least one case; ``time_limit`` seconds bound the rest
    (shared out among the operations still to come, so a slow one does not starve the others). Only a daemon
    so slow that the run falls ``FAR_BEHIND`` seconds (or a whole ``time_limit``) behind leaves operations out
    (``not_reached``)."""
    import schemathesis
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import seed as hypothesis_seed

    reset(client)
    _register_tar()
    spec = specs.for_request(version)
    # Generated from the wire profile's document: requests may carry Go's nulls, as real clients send them.
    doc = loosen_document(spec.doc)
    schema = schemathesis.openapi.from_dict({**doc, "servers": [{"url": f"/v{version}"}]})
    out = VersionFuzz(version)
    started = time.monotonic()
    deadline = started + time_limit
    targets = Targets(client, version)
    spent = [0.0, 0]  # seconds and cases so far
    entries = [e.ok() for e in schema.get_all_operations() if _loads(e)]
    if only is not None:
        entries = [e for e in entries if f"{e.method.upper()} {e.path}" in only]
    for index, st_op in enumerate(entries):
        op = spec.operation(st_op.method, st_op.path)
        if op is None:
            continue
        now = time.monotonic()
        if now >= deadline + max(time_limit, FAR_BEHIND):  # a daemon that answers each case slowly: stop, say so
            out.not_reached += [f"{e.method.upper()} {e.path}" for e in entries[index:]]
            break
        # As many cases as this operation's share of the time left affords, at the cost per case so far (decided
        # before the run: hypothesis takes a test whose draws depend on the clock for a flaky one), at least one.
        per_case = spent[0] / spent[1] if spent[1] else 0.2
        examples = max(1, min(max_examples, int((deadline - now) / (len(entries) - index) / per_case)))
        out.operations += 1
        kind = kind_of(op.path)
        policy = policy_for(op)
        ids = targets.ensure(kind or next(iter(policy.needs.values()), None))
        fixed_query = policy.query(op) if policy.query else {}
        for param, needed in policy.needs.items():
            if ids.get(needed):
                fixed_query[param] = ids[needed]
        counter = [0]

        def send(case: Any, op: Any = op, kind: str | None = kind, fixed_query: dict[str, Any] = fixed_query,
                 ids: dict[str, str] = ids, counter: list[int] = counter, policy: Any = policy) -> None:
            counter[0] += 1
            bogus = bool(_PARAM.search(op.path)) and (counter[0] % 2 == 0 or not ids.get(kind or ""))
            value = f"{BOGUS_PREFIX}{kind or 'object'}-{counter[0]}" if bogus else ids.get(kind or "", "")
            path = _PARAM.sub(lambda _m: value, op.path)
            query, body, headers = _request_of(case, op, fixed_query)
            headers = {**policy.request_headers(op), **headers}  # a generated header wins over the policy's
            try:
                resp = client.request(op.method, path, version=version, query=query, body=body, headers=headers,
                                      timeout=REQUEST_TIMEOUT, max_bytes=policy.max_bytes, read_seconds=READ_SECONDS)
            except TransportError as exc:
                out.cases += 1
                out.probed.append(Probed(version, op.method, op.path, findings=[Finding(
                    kind="timeout" if "timed out" in str(exc) else "transport-error",
                    severity="info" if "timed out" in str(exc) else "error", api_version=spec.version,
                    method=op.method, path=op.path, location="endpoint", detail=str(exc)[:300], source="behaviour",
                    extra={"stage": STAGE, "url_version": version, "body": _shown(body)})]))
                return
            out.cases += 1
            if progress:
                progress(1)
            out.probed.append(_judge(client, spec, op, version, path, query, body, resp, case, allow, bogus))

        test = settings(max_examples=examples, deadline=None, database=None, phases=[Phase.generate],
                        suppress_health_check=list(HealthCheck))(given(case=_strategy(st_op))(_runner(send)))
        if seed is not None:  # per operation and version, so one operation's cases do not depend on the others'
            test = hypothesis_seed(zlib.crc32(f"{seed}:{version}:{op.method} {op.path}".encode()))(test)
        cases_before, op_started = out.cases, time.monotonic()
        try:
            test()
        except Exception as exc:  # a generation problem of one operation must not end the run
            out.probed.append(Probed(version, op.method, op.path,
                                     skipped=f"generation failed: {type(exc).__name__}: {str(exc)[:200]}"))
        spent[0] += time.monotonic() - op_started
        spent[1] += out.cases - cases_before
    out.elapsed = time.monotonic() - started
    return out


def _judge(client: DaemonClient, spec: Any, op: Any, version: str, path: str, query: dict[str, Any], body: Any,
           resp: Response, case: Any, allow: AllowList, bogus: bool) -> Probed:
    extra = {"stage": STAGE, "url": resp.url, "status": resp.status, "url_version": version, "bogus_id": bogus}
    findings: list[Finding] = []
    if resp.status >= 500 and "Server error" in _schemathesis_verdict(case, resp):
        message = _error_message(resp)
        reason = allow.reason_for(version, op.method, op.path, resp.status, message, query)
        findings.append(Finding(
            kind="server-error", severity="info" if reason else "error", api_version=spec.version, method=op.method,
            path=op.path, location="response", detail=f"{resp.status} {message[:300]}", source="behaviour",
            extra={**extra, "message": message[:300], "body": _shown(body), "query": _shown(query),
                   **({"allowed": reason} if reason else {})}))
    flat = {k: str(v) for k, v in query.items()}
    ex = Exchange(spec, op, version, path, flat, resp, bogus_id=bogus, daemon_max=client.api_max)
    ex.bodies = parse_bodies(resp, op.method)
    # The schema check with the wire profile, and the newer-than-requested split; not openapi-core's second
    # opinion (checks.cross_check): it costs more than the request, and the probes run it.
    for f in classify(spec_conformance(ex), document=spec.version, url_version=version, daemon_max=client.api_max,
                      operation_id=op.operation_id, status=resp.status, bodies=ex.bodies, same_field=_same_field):
        if f.kind in SCHEMA_KINDS and f.source != "wire-profile" and f.kind not in NEWER_KINDS:
            findings.append(dataclasses.replace(f, extra={**f.extra, **extra, "body": _shown(body)}))
    return Probed(version, op.method, op.path, url=resp.url, status=resp.status, content_type=resp.content_type,
                  elapsed=resp.elapsed, bogus_id=bogus, findings=findings)


def _register_tar() -> None:
    """Bodies of ``application/x-tar`` (images/load, plugins/create) go as generated bytes: a daemon must refuse a
    tar that is not one without a server error of its own (schemathesis has no serializer for the type: the
    octet-stream one sends bytes as they are)."""
    import schemathesis

    schemathesis.serializer.alias("application/x-tar", "application/octet-stream")


def _strategy(st_op: Any) -> Any:
    """Valid cases and invalid ones (wrong types, missing required fields, out-of-range values) mixed:
    a daemon must answer both without a server error of its own."""
    from hypothesis import strategies
    from schemathesis import GenerationMode

    modes = [st_op.as_strategy(generation_mode=mode) for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)]
    return strategies.one_of(*modes)


def _loads(entry: Any) -> bool:
    try:
        entry.ok()
    except Exception:  # an operation schemathesis cannot load: the rest still runs
        return False
    return True


def _runner(send: Callable[[Any], None]) -> Callable[[Any], None]:
    def run(case: Any) -> None:
        send(case)

    return run


def run_fuzz_every(
    client: DaemonClient,
    product: str,
    versions: list[str],
    *,
    max_examples: int = 10,
    time_limit: float = 60.0,
    allow: AllowList | None = None,
    only: frozenset[str] | None = None,
    progress: Callable[[int], None] | None = None,
    seed: int | None = None,
) -> list[VersionFuzz]:
    """Each version in turn on a freshly reset mockd; ``time_limit`` is shared out among the versions."""
    if product not in MOCK_PRODUCTS:
        raise FuzzSetupError(f"every-operation fuzzing writes, deletes and prunes: only against a throwaway mockd, "
                             f"not {product!r}")
    allow = allow or AllowList.load()
    if client.api_max is None:  # newer-than-requested fields are the newer-server hazard, not violations
        client.api_max = str((client.request("GET", "/version", timeout=30).json_or_none() or {}).get("ApiVersion") or "")
    started = time.monotonic()
    results = []
    for index, version in enumerate(versions):
        left = max(0.0, time_limit - (time.monotonic() - started))
        results.append(fuzz_version(client, version, max_examples=max_examples, time_limit=left / (len(versions) - index),
                                    allow=allow, only=only, progress=progress, seed=seed))
    reset(client)
    return results
