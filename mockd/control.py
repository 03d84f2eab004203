"""The control plane under ``/_mockd/``: invisible to version routing, never recorded.

=====================  ======  ===========================================================
path                   method  what
=====================  ======  ===========================================================
/_mockd/reset          POST    back to an empty daemon (engine reset, swarm left, findings cleared)
/_mockd/state          GET     dump: engine state, swarm, bounds, settings, record status
/_mockd/findings       GET     ``{"count": N, "findings": [Finding.to_dict()...]}``;
                               ``?since=K`` skips the first K, ``?severity=warning`` filters
/_mockd/findings       DELETE  clear the findings
/_mockd/record         GET     record status ``{"active", "path", "exchanges", "format"}``
/_mockd/record/start   POST    ``{"path": "FILE.jsonl", "append": true}``: start recording, inside
                               ``--record-dir`` only (:meth:`mockd.record.Recorder.start_confined`)
/_mockd/record/stop    POST    stop; answers the final status
=====================  ======  ===========================================================

Who may call these (unix socket; TCP only with ``--control-on-tcp`` and a token): :mod:`mockd.control_access`.

Extensions (``seed``, later ``faults``) are :class:`ControlRoute` rows handed to the app factory
(``create_app(config, control_extensions=...)``; the default set is ``mockd.app.CONTROL_EXTENSIONS``)::

    ROUTES = (ControlRoute("POST", "seed", seed_handler, accepts=SEED_TYPES),)   # -> POST /_mockd/seed
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from aiohttp import web

from mockd.control_access import JSON_TYPES, ControlAccess
from mockd.errors import DockerError
from mockd.keys import BOUNDS, CONFIG, FAULTS, FUZZ, RECORDER, REGISTRY
from mockd.record import RecordRefused
from specs.findings import SEVERITY_RANK

PREFIX = "/_mockd"
ControlHandler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True)
class ControlRoute:
    """``METHOD /_mockd/<name>`` (``name`` like ``seed``, ``faults``, ``faults/{id}``) answered by ``handler``;
    ``accepts``: the body content types it takes over TCP (:mod:`mockd.control_access`)."""

    method: str
    name: str
    handler: ControlHandler
    accepts: frozenset[str] = JSON_TYPES

    @property
    def path(self) -> str:
        return f"{PREFIX}/{self.name.strip('/')}"


def _json(data: Any, status: int = 200) -> web.Response:
    return web.Response(status=status, text=json.dumps(data, default=str) + "\n", content_type="application/json")


async def reset(request: web.Request) -> web.Response:
    request.app[REGISTRY].reset()
    request.app[FAULTS].restart()  # the faults stay; their counters start again: the same run once more
    request.app[FUZZ].restart()  # so do the fuzzer's: answer N is answer N again
    return _json({"reset": True})


async def state(request: web.Request) -> web.Response:
    return _json({
        **request.app[REGISTRY].dump(),
        "bounds": asdict(request.app[BOUNDS]),
        "config": asdict(request.app[CONFIG]),
        "record": request.app[RECORDER].status(),
    })


async def findings(request: web.Request) -> web.Response:
    found = request.app[REGISTRY].findings
    try:
        since = int(request.query.get("since", "0"))
    except ValueError:
        raise DockerError(400, "since must be an integer") from None
    severity = request.query.get("severity")
    if severity and severity not in SEVERITY_RANK:
        raise DockerError(400, f"severity must be one of {sorted(SEVERITY_RANK)}")
    selected = found[since:]
    if severity:
        selected = [f for f in selected if f.at_least(severity)]  # type: ignore[arg-type]
    return _json({"count": len(selected), "total": len(found), "findings": [f.to_dict() for f in selected]})


async def clear_findings(request: web.Request) -> web.Response:
    request.app[REGISTRY].findings.clear()
    return _json({"cleared": True})


async def record_status(request: web.Request) -> web.Response:
    return _json(request.app[RECORDER].status())


async def record_start(request: web.Request) -> web.Response:
    root = request.app[CONFIG].record_dir
    if not root:
        raise DockerError(403, "record/start over the control plane is disabled: start mockd with "
                               "--record-dir DIR to allow records inside DIR (or use --record FILE)")
    try:
        body = await request.json() if request.can_read_body else {}
    except ValueError:
        raise DockerError(400, "record/start takes a JSON body {\"path\": ...}") from None
    if not isinstance(body, dict):
        raise DockerError(400, "record/start takes a JSON object {\"path\": ...}")
    path = body.get("path")
    if not path:
        raise DockerError(400, "record/start needs a path")
    if not isinstance(path, str):
        raise DockerError(400, "record/start: path must be a string")
    try:
        request.app[RECORDER].start_confined(root, path, append=bool(body.get("append", True)))
    except RecordRefused as exc:
        raise DockerError(exc.status, exc.message) from None
    return _json(request.app[RECORDER].status())


async def record_stop(request: web.Request) -> web.Response:
    return _json(request.app[RECORDER].stop())


async def not_found(request: web.Request) -> web.Response:
    raise DockerError(404, "page not found")


BUILT_IN: tuple[ControlRoute, ...] = (
    ControlRoute("POST", "reset", reset),
    ControlRoute("GET", "state", state),
    ControlRoute("GET", "findings", findings),
    ControlRoute("DELETE", "findings", clear_findings),
    ControlRoute("GET", "record", record_status),
    ControlRoute("POST", "record/start", record_start),
    ControlRoute("POST", "record/stop", record_stop),
)


def add_routes(app: web.Application, access: ControlAccess, extensions: Sequence[ControlRoute] = ()) -> None:
    """The built-in control routes and ``extensions``, each behind ``access``; anything else under the prefix
    is a 404."""
    for route in (*BUILT_IN, *extensions):
        app.router.add_route(route.method.upper(), route.path, _guarded(access, route.handler, route.accepts))
    app.router.add_route("*", PREFIX + "/{tail:.*}", _guarded(access, not_found, JSON_TYPES))


def _guarded(access: ControlAccess, fn: ControlHandler, accepts: frozenset[str]) -> ControlHandler:
    async def guarded(request: web.Request) -> web.StreamResponse:
        refusal = access.refusal(request, accepts)
        return refusal if refusal is not None else await fn(request)

    return guarded
