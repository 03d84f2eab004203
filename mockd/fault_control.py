"""Control plane: ``/_mockd/faults`` (the fault plan of :mod:`mockd.faults`), under the control plane's rules.

======================  ======  ==============================================================
/_mockd/faults          GET     ``{"faults": [{..., "id", "calls", "fired"}]}``
/_mockd/faults          POST    one fault mapping, or a list of them: ``{"faults": [...]}`` (201)
/_mockd/faults          DELETE  every fault
/_mockd/faults/{id}     DELETE  one fault (404 when there is none by that id)
======================  ======  ==============================================================
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from mockd.control import ControlRoute
from mockd.errors import DockerError
from mockd.faults import Fault, FaultError
from mockd.keys import FAULTS


def _json(data: Any, status: int = 200) -> web.Response:
    return web.Response(status=status, text=json.dumps(data) + "\n", content_type="application/json")


async def list_faults(request: web.Request) -> web.Response:
    return _json({"faults": request.app[FAULTS].listing()})


async def create_faults(request: web.Request) -> web.Response:
    try:
        body = json.loads(await request.read() or b"null")
    except ValueError as exc:
        raise DockerError(400, f"faults: invalid JSON body: {exc}") from None
    items = body.get("faults") if isinstance(body, dict) and "faults" in body else body
    items = items if isinstance(items, list) else [items]
    plan = request.app[FAULTS]
    try:
        parsed = [Fault.from_dict(item) for item in items]  # all or nothing: a bad one adds none
        created = [plan.add(f) for f in parsed]
    except FaultError as exc:
        raise DockerError(400, f"invalid fault: {exc}") from None
    return _json({"faults": [f.to_dict() for f in created]}, status=201)


async def clear_faults(request: web.Request) -> web.Response:
    request.app[FAULTS].clear()
    return _json({"cleared": True})


async def delete_fault(request: web.Request) -> web.Response:
    fault_id = request.match_info["id"]
    if not request.app[FAULTS].remove(fault_id):
        raise DockerError(404, f"no such fault: {fault_id}")
    return _json({"deleted": fault_id})


# Handed to the app factory (mockd.app.CONTROL_EXTENSIONS).
ROUTES = (
    ControlRoute("GET", "faults", list_faults),
    ControlRoute("POST", "faults", create_faults),
    ControlRoute("DELETE", "faults", clear_faults),
    ControlRoute("DELETE", "faults/{id}", delete_fault),
)
