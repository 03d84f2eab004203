"""Deterministic responses for operations without a stateful handler: a daemon with nothing in it.

What a generated operation does, decided by data (the tables below), not per handler:

- swarm endpoints answer 503 with dockerd's texts while the node is not in a swarm
  (``SwarmInit``/``SwarmJoin`` make it a manager; ``SwarmLeave`` ends that);
- an operation naming an object by path parameter (``/plugins/{name}/json``) answers 404 with
  dockerd's text for that resource: nothing exists;
- everything else answers its first documented success status with a body generated from the
  response schema: every property defined at that version is present (upstream schemas rarely
  list ``required``, so ``{}`` would validate but tell a client nothing), arrays and maps are empty,
  scalars take the document's example when it fits, else Go's zero value; ids are derived from
  the request, so one response is consistent and the same request gives the same answer.
"""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from aiohttp import web

from mockd.errors import SWARM_NOT_MANAGER, SWARM_NOT_MEMBER, DockerError, no_such
from mockd.hijack import hijack
from mockd.streams import RAW_STREAM
from specs.model import ApiSpec, Operation

if TYPE_CHECKING:
    from mockd.routes import RequestContext

# First path segment -> the resource a path parameter there names (for 404 texts).
RESOURCE_BY_SEGMENT = {
    "containers": "container", "images": "image", "networks": "network", "volumes": "volume",
    "plugins": "plugin", "exec": "exec", "nodes": "node", "services": "service", "tasks": "task",
    "secrets": "secret", "configs": "config",
}
# Operations whose 404 text differs from the resource's usual one.
NOT_FOUND_TEXT_OVERRIDE = {"ImageInspect": "image-inspect"}
# Path-parameter operations that do not look up local objects (a registry query).
NO_LOOKUP = {"DistributionInspect"}

SWARM_SEGMENTS = {"nodes", "services", "tasks", "secrets", "configs", "swarm"}
# Operations allowed on a node outside a swarm, and the ones that answer "not part of a swarm".
SWARM_ENTRY = {"SwarmInit", "SwarmJoin"}
SWARM_MEMBER_ONLY = {"SwarmLeave", "SwarmUnlock"}

GO_ZERO_TIME = "0001-01-01T00:00:00Z"


def swarm_gate(ctx: RequestContext) -> None:
    """Raise dockerd's 503 for a swarm endpoint on a node outside a swarm."""
    segment = ctx.operation.path.split("/")[1]
    if segment not in SWARM_SEGMENTS or ctx.engine.swarm.active:
        return
    op_id = ctx.operation.operation_id
    if op_id in SWARM_ENTRY:
        return
    raise DockerError(503, SWARM_NOT_MEMBER if op_id in SWARM_MEMBER_ONLY else SWARM_NOT_MANAGER)


def object_id(seed: str) -> str:
    return hashlib.sha256(seed.encode()).hexdigest()


def success_status(op: Operation) -> int:
    codes = sorted(int(c) for c in op.responses if c.isdigit() and 200 <= int(c) < 300)
    return codes[0] if codes else 200


# --- bodies from schemas ---------------------------------------------------------------------


@lru_cache(maxsize=4096)
def _flat_response(spec: ApiSpec, method: str, path: str, status: int) -> Any:
    op = spec.operation(method, path)
    assert op is not None
    schema = op.response_schema(status)
    return None if schema is None else spec.flatten(schema)


def generate(schema: Any, ident: str, name: str = "") -> Any:
    """A value for a flattened schema (see the module docstring for the choices)."""
    if not isinstance(schema, dict):
        return None
    for combo in ("anyOf", "oneOf"):
        branches = schema.get(combo)
        if branches:
            real = [b for b in branches if not (isinstance(b, dict) and b.get("enum") == [None])]
            merged = {k: v for k, v in schema.items() if k != combo}
            return generate({**(real[0] if real else {}), **merged}, ident, name)
    typ = schema.get("type")
    if typ == "object" or "properties" in schema:
        return {prop: generate(sub, ident, prop) for prop, sub in schema.get("properties", {}).items()}
    if typ == "array":
        return []
    example = schema.get("example")
    enum = [v for v in schema.get("enum", []) if v is not None]
    if typ == "string":
        if enum:
            return example if example in enum else next((v for v in enum if v != ""), enum[0])
        if name in ("Id", "ID"):
            return ident
        if isinstance(example, str):
            return example
        if schema.get("format") == "date-time":
            return GO_ZERO_TIME
        return ""
    if typ == "integer":
        value = example if isinstance(example, int) and not isinstance(example, bool) else 0
        return _bounded(schema, value, int)
    if typ == "number":
        value = example if isinstance(example, int | float) and not isinstance(example, bool) else 0
        return _bounded(schema, value, float)
    if typ == "boolean":
        return example if isinstance(example, bool) else False
    if enum:
        return enum[0]
    # Untyped ("any"): the example if there is one, else an empty object.
    return example if example is not None else {}


def _bounded(schema: dict[str, Any], value: Any, cast: Any) -> Any:
    lo, hi = schema.get("minimum"), schema.get("maximum")
    if lo is not None and value < lo:
        value = lo
    if hi is not None and value > hi:
        value = hi
    enum = schema.get("enum")
    if enum and value not in enum:
        value = enum[0]
    return cast(value)


def body_for(spec: ApiSpec, op: Operation, status: int, ident: str) -> Any:
    """A fresh generated body (callers fill it in): decoded from the cached encoding of the generated tree."""
    encoded = _encoded_body(spec, op.method, op.path, status, ident)
    return None if encoded is None else json.loads(encoded)


@lru_cache(maxsize=1024)
def _encoded_body(spec: ApiSpec, method: str, path: str, status: int, ident: str) -> str | None:
    # Generation walks the whole flattened schema (the top of the /version and /info profiles); its result
    # depends only on these arguments. JSON text is the cheapest deep copy of it to hand out.
    schema = _flat_response(spec, method, path, status)
    return None if schema is None else json.dumps(generate(schema, ident))


# --- the generated handler ---------------------------------------------------------------------


def _empty_tar() -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w"):
        pass
    return buf.getvalue()


async def handle(request: web.Request, ctx: RequestContext) -> web.StreamResponse:
    op = ctx.operation
    swarm_gate(ctx)
    if op.operation_id in SWARM_ENTRY and not ctx.engine.swarm.active:
        ctx.engine.join_swarm(object_id(f"node:{ctx.version}")[:25])
    elif op.operation_id == "SwarmLeave":
        ctx.engine.leave_swarm()
    segment = op.path.split("/")[1]
    if ctx.path_params and op.operation_id not in NO_LOOKUP and segment in RESOURCE_BY_SEGMENT:
        resource = NOT_FOUND_TEXT_OVERRIDE.get(op.operation_id, RESOURCE_BY_SEGMENT[segment])
        raise no_such(resource, next(iter(ctx.path_params.values())))
    if op.operation_id == "Session":
        return await _session(request, ctx)

    status = success_status(op)
    if status == 204:
        return web.Response(status=204)
    mime = op.produces[0] if op.produces else "application/json"
    if mime == "application/x-tar":
        return web.Response(status=status, body=_empty_tar(), content_type="application/x-tar")
    ident = object_id(f"{ctx.version}:{op.operation_id}:{sorted(ctx.path_params.items())}:{ctx.raw_body!r}")
    body = body_for(ctx.spec, op, status, ident)
    if body is None:
        # A progress stream (pull, build, load, ...) with nothing to report: an empty 200 stream.
        resp = web.Response(status=status, body=b"")
        resp.headers["Content-Type"] = "application/json"
        return resp
    return ctx.json(body, status=status)


async def _session(request: web.Request, ctx: RequestContext) -> web.StreamResponse:
    """BuildKit's session: taken over, then held until the client closes (no gRPC service here)."""
    async with hijack(request, RAW_STREAM, upgrade=request.headers.get("Upgrade", "h2c")) as stream:
        while await stream.read():
            pass
    return stream.response
