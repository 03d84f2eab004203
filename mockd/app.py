"""The app factory: one aiohttp application that looks like dockerd at the protocol level.

Request path (``dispatch``): version prefix -> route match against the daemon's own (newest)
document, 404 ``page not found`` otherwise -> version bounds (400, dockerd's texts) -> the
operation of the *requested* version's document -> query/body checks (findings; 400 in
``--strict``) -> the operationId's handler, or a generated answer. The middleware renders
:class:`DockerError` (and anything unexpected) in dockerd's shape, logs one line per request and
writes the traffic record. ``Api-Version``/``Server``/``Ostype`` go on every routed response.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from aiohttp import web

import specs
from mockd import control, fault_control, fault_inject, fuzz_control, generated
from mockd.behaviours import behaves
from mockd.bodies import DecodedBody, read_json_body
from mockd.config import Config
from mockd.control import ControlRoute
from mockd.control_access import ControlAccess, new_token
from mockd.errors import DockerError, error_response, page_not_found
from mockd.faults import plan_from
from mockd.handlers import seed as seed_control
from mockd.httpserver import HANDLER_ARGS
from mockd.keys import (
    ACCEPTED,
    BOUNDS,
    CONFIG,
    CONTROL_ACCESS,
    CTX,
    DAEMON_HEADERS,
    FAULTS,
    FAULTS_APPLIED,
    FUZZ,
    HANDLERS,
    INFO,
    NO_CONTENT_TYPE,
    PERSISTED,
    PREPARED,
    RECORDER,
    REGISTRY,
    ROUTED,
    TASKS,
    VARIATIONS,
    VERSION,
)
from mockd.record import Recorder, body_entry, header_entry, now_iso
from mockd.routes import Handler, RequestContext, load_handlers
from mockd.state import Registry, load_seed, seeded_engine_factory
from mockd.variations import Fuzzer
from mockd.versioning import Bounds, VersionRejected, check_version, spec_version_for, split_prefix
from specs.findings import Finding
from specs.validation import NO_BODY, check_request

log = logging.getLogger("mockd")
access_log = logging.getLogger("mockd.access")
findings_log = logging.getLogger("mockd.findings")

MAX_BODY = 8 * 1024 ** 3  # image tars for load/build/import

# The control plane's extensions (``/_mockd/<name>`` beyond the built-in routes of mockd.control), in one place.
CONTROL_EXTENSIONS: tuple[ControlRoute, ...] = (*seed_control.ROUTES, *fault_control.ROUTES,
                                                  *fuzz_control.ROUTES)


def create_app(config: Config | None = None, *, registry: Registry | None = None, control_token: str | None = None,
               control_extensions: Sequence[ControlRoute] = CONTROL_EXTENSIONS) -> web.Application:
    """The daemon as one aiohttp application.

    ``control_token``: the bearer token for the control plane over TCP (``--control-on-tcp``); one is
    made when that is on and none is given (``app[CONTROL_ACCESS].token``). ``control_extensions``:
    the extra control routes (default :data:`CONTROL_EXTENSIONS`; tests pass their own)."""
    config = config or Config()
    bounds = config.bounds()
    app = web.Application(middlewares=[_outer], client_max_size=MAX_BODY, handler_args=HANDLER_ARGS)
    app[CONFIG] = config
    app[BOUNDS] = bounds
    app[DAEMON_HEADERS] = _headers_of(bounds, config)
    if registry is None:
        registry = Registry(engine_factory=seeded_engine_factory(config.seed, config.publish_ports,
                                                                 registry_strict=config.registry == "strict"))
    app[REGISTRY] = registry
    if config.data_root:
        from mockd.persist.service import PersistedEngine

        app[PERSISTED] = PersistedEngine(registry.engine, config.data_root)  # CorruptState: refuse to start
    app[RECORDER] = Recorder()
    app[HANDLERS] = load_handlers()
    app[TASKS] = set()
    app[FUZZ] = Fuzzer()
    app[FAULTS] = plan_from(config.faults, _seed_faults(config.seed))
    if config.control_on_tcp and control_token is None:
        control_token = new_token()
    app[CONTROL_ACCESS] = ControlAccess(on_tcp=config.control_on_tcp,
                                        token=control_token if config.control_on_tcp else None)
    control.add_routes(app, app[CONTROL_ACCESS], control_extensions)
    app.router.add_route("*", "/{tail:.*}", dispatch)
    app.on_response_prepare.append(_daemon_headers)
    app.on_startup.append(_startup)
    app.on_shutdown.append(_close_streams)
    if PERSISTED in app:
        app.on_shutdown.append(_close_data_root)  # after the open requests ended: nothing writes any more
    app.on_cleanup.append(_cleanup)
    return app


def _seed_faults(path: str | None) -> list | None:
    """The seed file's ``faults:`` section (the engine ignores it): the server's fault plan starts with it."""
    return load_seed(path).get("faults") if path else None


async def _startup(app: web.Application) -> None:
    config = app[CONFIG]
    if config.record:
        app[RECORDER].start(config.record)
    # Warm the documents the daemon routes with, so the first request is not the slow one.
    specs.load(app[BOUNDS].max_api)


async def _close_streams(app: web.Application) -> None:
    """Graceful shutdown: end every open request (events, waits, hijacked streams)."""
    tasks = [t for t in app[TASKS] if not t.done()]
    for task in tasks:
        task.cancel()
    if tasks:
        await asyncio.wait(tasks, timeout=2)


async def _close_data_root(app: web.Application) -> None:
    await app[PERSISTED].close()


async def _cleanup(app: web.Application) -> None:
    app[RECORDER].stop()


async def _daemon_headers(request: web.Request, response: web.StreamResponse) -> None:
    """dockerd's headers. Runs after aiohttp filled in its defaults (``Server: Python/.. aiohttp/..``,
    ``Content-Type: application/octet-stream`` for an unlabelled body), so it can also remove them."""
    request[PREPARED] = True
    if request.get(ROUTED):
        # dockerd's experimental middleware runs inside its version check: every answer to a request at an
        # accepted version says it (measured on 20.10), a rejected version's 400 does not.
        response.headers.update(request.app[DAEMON_HEADERS][1 if request.get(ACCEPTED) else 0])
    else:
        # The router's own 404 comes from Go's mux without any daemon header, Server included.
        response.headers.popall("Server", None)
    if response.get(NO_CONTENT_TYPE):
        response.headers.popall("Content-Type", None)
    fault_inject.on_prepare(request, response)


def _headers_of(bounds: Bounds, config: Config) -> tuple[dict[str, str], dict[str, str]]:
    """The daemon's headers (made once per app): for a rejected version, and for an accepted one."""
    headers = {"Api-Version": bounds.max_api, "Server": f"Docker/{bounds.engine_version} ({config.os_type})",
               "Ostype": config.os_type}
    return headers, {**headers, "Docker-Experimental": "true" if config.experimental else "false"}


# --- dispatch ------------------------------------------------------------------------------------


async def dispatch(request: web.Request) -> web.StreamResponse:
    app = request.app
    bounds = app[BOUNDS]
    requested, rest = split_prefix(request.path)
    routed = _match(bounds.max_api, request.method, rest)  # the routes this daemon has
    if routed is None and request.method == "HEAD" and rest == "/_ping":
        # Documented from 1.40, but every dockerd answers it: clients ping before they know the version.
        routed = _match(specs.latest(), "HEAD", "/_ping")
    if routed is None:
        return page_not_found()  # unknown path and wrong method alike, without daemon headers
    request[ROUTED] = True
    version = requested or bounds.max_api
    request[VERSION] = version
    try:
        check_version(version, bounds)
    except VersionRejected as exc:
        return _render(request, 400, exc.message)  # plain text below 1.24: decided by the version, as any error
    request[ACCEPTED] = True

    spec = specs.load(spec_version_for(version))
    findings: list[Finding] = []
    matched = _match(spec.version, request.method, rest)
    if matched is None:
        op, params = routed
        if op.operation_id != "SystemPingHead":  # clients ping before they know the version
            findings.append(Finding(
                kind="unknown-endpoint", severity="error", api_version=spec.version, method=op.method,
                path=op.path, location="endpoint", name="", hazard="newer-client",
                detail=f"{op.method} {op.path} ({op.operation_id}) does not exist at API {spec.version}; "
                       f"the daemon ({bounds.max_api}) serves it",
            ))
    else:
        op, params = matched
    params = dict(params)  # the match is cached: never hand out the shared dict
    request[INFO] = {"template": op.path, "operation_id": op.operation_id, "spec_version": spec.version}

    query = _query(request)
    raw, decoded = await _read_body(request, spec, op, bounds.max_api)
    body = decoded.body
    checked_body = NO_BODY if decoded.sent is None else decoded.sent  # JSON null: Go decodes it into a zero value
    findings += check_request(spec, op, query, checked_body)
    ctx = RequestContext(
        version=version, spec=spec, operation=op, path_params=params, query=query, body=body,
        raw_body=raw, registry=app[REGISTRY], config=app[CONFIG], bounds=bounds, findings=findings,
        sent_body=decoded.sent,
    )
    request[CTX] = ctx
    if findings:
        app[REGISTRY].add_findings(findings)
        if findings_log.isEnabledFor(logging.INFO):
            for f in findings:
                findings_log.info("%s", f.summary())
    if decoded.refused is not None:  # the router's own answer comes before --strict's
        raise decoded.refused
    if app[CONFIG].strict:
        refused = [f for f in findings if f.source == "spec" and f.at_least("warning")]
        if refused:
            raise DockerError(400, "mockd --strict: " + "; ".join(_short(f) for f in refused[:5]))
    if app[FAULTS].active and (spoiled := await fault_inject.before_handler(request, ctx, app[FAULTS])) is not None:
        return spoiled
    handler: Handler = app[HANDLERS].get(op.operation_id, generated.handle)
    response = await handler(request, ctx)
    if app[FUZZ].on:
        fuzz_control.vary_response(request, ctx, response)
    return response


@lru_cache(maxsize=8192)
def _match(version: str, method: str, path: str) -> tuple[Any, dict[str, str]] | None:
    """Path matching scans every template's regex: cached per (version, method, concrete path)."""
    return specs.load(version).match(method, path)


def _query(request: web.Request) -> dict[str, list[str]]:
    query: dict[str, list[str]] = {}
    for name, value in request.rel_url.query.items():
        query.setdefault(name, []).append(value)
    return query


def _short(f: Finding) -> str:
    where = f"{f.location} {f.name}".strip()
    return f"{f.kind} ({where}): {f.detail}"


async def _read_body(request: web.Request, spec: specs.ApiSpec, op: Any, daemon: str) -> tuple[bytes, DecodedBody]:
    """The raw body and, for an operation that takes JSON, the body decoded as the daemon's router decodes it
    (:func:`mockd.bodies.read_json_body`: Content-Type check, Go's decoder, the typed step; dockerd's errors).

    Upgrade requests without a Content-Length are not read: the connection is taken over."""
    if request.headers.get("Upgrade") and request.content_length is None:
        return b"", DecodedBody(NO_BODY, NO_BODY)
    raw = await request.read() if request.body_exists else b""
    if not op.takes_json:
        return raw, DecodedBody(NO_BODY, NO_BODY)
    return raw, read_json_body(raw, request.headers.get("Content-Type", ""), spec, op, daemon)


# --- the outer middleware: errors, log line, record ----------------------------------------------


@web.middleware
async def _outer(request: web.Request, handler: Any) -> web.StreamResponse:
    started = time.perf_counter()
    task = asyncio.current_task()
    tasks = request.app[TASKS]
    if task is not None:
        tasks.add(task)
    response: web.StreamResponse | None = None
    failure: str | None = None
    try:
        response = await handler(request)
    except DockerError as exc:
        response = _render(request, exc.status, exc.message)
    except web.HTTPException as exc:  # aiohttp's own refusals (body too large, ...)
        response = _render(request, exc.status, exc.text or exc.reason)
    except asyncio.CancelledError:
        failure = "cancelled"
        raise
    except (ConnectionResetError, BrokenPipeError):
        failure = "connection lost"
        raise
    except Exception as exc:
        log.exception("internal error on %s %s", request.method, request.path)
        if request.get(PREPARED):
            failure = f"{type(exc).__name__} after the response started"
            raise
        response = _render(request, 500, f"mockd internal error: {type(exc).__name__}: {exc}")
    finally:
        if task is not None:
            tasks.discard(task)
        _after(request, response, started, failure)
    persisted = request.app.get(PERSISTED)
    if persisted is not None and request.method not in ("GET", "HEAD"):
        await persisted.commit()  # --data-root: a write is answered once it is durable
    return response


def _render(request: web.Request, status: int, message: str) -> web.Response:
    version = request.get(VERSION)
    plain = version is not None and behaves("plain-text-errors", version)
    return error_response(status, message, plain=plain)


def _after(request: web.Request, response: web.StreamResponse | None, started: float, failure: str | None) -> None:
    ms = (time.perf_counter() - started) * 1000
    status = response.status if response is not None else 0
    if access_log.isEnabledFor(logging.INFO):  # the arguments alone cost a few µs per request
        access_log.info("%s %s v%s %s %.1fms%s", request.method, request.path_qs, request.get(VERSION, "-"),
                        status or failure, ms, "" if failure is None or response is not None else f" ({failure})")
    app = request.app
    registry = app[REGISTRY]
    if request.get(ROUTED):
        registry.requests_seen += 1
    recorder = app[RECORDER]
    # The router's 404s are recorded too (template null): a path this daemon lacks may exist at
    # another version, which is what a record is re-checked for. The control plane never is.
    if not recorder.active or request.path.startswith(control.PREFIX + "/") or request.path == control.PREFIX:
        return
    ctx: RequestContext | None = request.get(CTX)
    info = request.get(INFO, {})
    requested, _rest = split_prefix(request.path)
    recorder.write({
        "time": now_iso(),
        "api_version": request.get(VERSION) or requested or app[BOUNDS].max_api,
        "requested_version": requested,
        "spec_version": info.get("spec_version"),
        "daemon_api_version": app[BOUNDS].max_api,
        "method": request.method,
        "path": request.path,
        "template": info.get("template"),
        "operation_id": info.get("operation_id"),
        "query": ctx.query if ctx else _query(request),
        "headers": header_entry(request.headers),
        "body": body_entry(ctx.raw_body, ctx.sent_body, request.headers.get("Content-Type")) if ctx else None,
        "status": status,
        "response_content_type": response.headers.get("Content-Type") if response is not None else None,
        "duration_ms": round(ms, 3),
        "findings": [f.to_dict() for f in ctx.findings] if ctx else [],
        **({"error": failure} if failure else {}),
        **({"faults": request[FAULTS_APPLIED]} if FAULTS_APPLIED in request else {}),
        **({"variations": [a.to_dict() for a in request[VARIATIONS]]} if VARIATIONS in request else {}),
    })
