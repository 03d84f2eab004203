"""Response fuzzing in the server: ``/_mockd/fuzz`` (the control plane) and :func:`vary_response` (dispatch's hook).

=================  ======  ===================================================================================
/_mockd/fuzz       GET     status: ``{"active", "seed", "mode", "rate", "only", "applied", "rules"}``
/_mockd/fuzz       POST    ``{"seed": N, "mode": "valid"|"invalid", "rate": 0.3, "only": [ids] | null}``: fuzz
                           every JSON answer from now on (counters start again)
/_mockd/fuzz       DELETE  plain answers again
=================  ======  ===================================================================================

The variations themselves are :mod:`mockd.variations`; each answer's list goes into the traffic record
(``variations``), which is what apicheck shrinks over.
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

import specs
from mockd.control import ControlRoute
from mockd.errors import DockerError
from mockd.keys import FUZZ, VARIATIONS
from mockd.routes import RequestContext
from mockd.serializer import dumps
from mockd.variations import VALID


def vary_response(request: web.Request, ctx: RequestContext, response: web.StreamResponse) -> None:
    """A handler's complete JSON answer (2xx), varied by the fuzzer in force; anything else is left alone."""
    if not isinstance(response, web.Response) or not 200 <= response.status < 300:
        return
    if response.content_type != "application/json" or not isinstance(response.body, bytes | bytearray):
        return
    try:
        body = json.loads(response.body)
    except ValueError:
        return
    applied = request.app[FUZZ].vary(body, version=ctx.spec.version, newest=specs.latest(),  # any newer daemon may answer V
                                     operation_id=ctx.operation.operation_id, status=response.status)
    if applied:
        response.body = dumps(body)
        request[VARIATIONS] = applied  # made dicts only if the traffic record is on


def _json(data: Any, status: int = 200) -> web.Response:
    return web.Response(status=status, text=json.dumps(data) + "\n", content_type="application/json")


async def fuzz_status(request: web.Request) -> web.Response:
    return _json(request.app[FUZZ].status())


async def fuzz_start(request: web.Request) -> web.Response:
    try:
        body = json.loads(await request.read() or b"{}")
    except ValueError as exc:
        raise DockerError(400, f"fuzz: invalid JSON body: {exc}") from None
    if not isinstance(body, dict):
        raise DockerError(400, "fuzz takes a JSON object {\"seed\": N, ...}")
    only = body.get("only")
    try:
        if only is not None and not (isinstance(only, list) and all(isinstance(i, str) for i in only)):
            raise ValueError("only must be a list of variation ids")
        request.app[FUZZ].configure(int(body.get("seed", 0)), str(body.get("mode", VALID)),
                                    float(body.get("rate", 0.3)), only)
    except (TypeError, ValueError) as exc:
        raise DockerError(400, f"fuzz: {exc}") from None
    return _json(request.app[FUZZ].status())


async def fuzz_stop(request: web.Request) -> web.Response:
    request.app[FUZZ].off()
    return _json(request.app[FUZZ].status())


# Handed to the app factory (mockd.app.CONTROL_EXTENSIONS).
ROUTES = (
    ControlRoute("GET", "fuzz", fuzz_status),
    ControlRoute("POST", "fuzz", fuzz_start),
    ControlRoute("DELETE", "fuzz", fuzz_stop),
)
