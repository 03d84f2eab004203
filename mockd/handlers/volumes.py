"""Volume endpoints."""

from __future__ import annotations

from aiohttp import web

from mockd.errors import DockerError, no_such
from mockd.routes import RequestContext

from ._engine import empty, engine, filters, route


@route("VolumeList")
async def list_(request: web.Request, ctx: RequestContext) -> web.StreamResponse:
    eng = engine(ctx)
    try:
        ctx.q_json("filters")
    except DockerError as err:  # dockerd's volume router: 400 and its own prefix for unreadable JSON (20.10)
        raise DockerError(400, f"error reading volume filters: {err.message}") from None
    wanted = filters(ctx)  # an unknown key is the volume service's refusal, without the prefix
    return ctx.json({"Volumes": [v.inspect() for v in eng.list_volumes(wanted)], "Warnings": None})


@route("VolumeCreate")
async def create(request: web.Request, ctx: RequestContext) -> web.StreamResponse:
    body = ctx.json_body()
    volume = engine(ctx).create_volume(body.get("Name") or "", body.get("Driver") or "local", body.get("Labels"),
                                       body.get("DriverOpts"))
    return ctx.json(volume.inspect(), status=201)


@route("VolumeUpdate")
async def update(request: web.Request, ctx: RequestContext) -> web.StreamResponse:
    # putVolumesUpdate (23.0+): only cluster volumes update, and only on a swarm manager; mockd keeps none.
    if not engine(ctx).swarm.active:
        raise DockerError(503, "volume update only valid for cluster volumes, but swarm is unavailable")
    raise no_such("volume", ctx.path_params["name"])


@route("VolumeInspect")
async def inspect(request: web.Request, ctx: RequestContext) -> web.StreamResponse:
    return ctx.json(engine(ctx).volumes.get(ctx.path_params["name"]).inspect())


@route("VolumeDelete")
async def delete(request: web.Request, ctx: RequestContext) -> web.StreamResponse:
    engine(ctx).remove_volume(ctx.path_params["name"], ctx.q_bool("force"))
    return empty()


@route("VolumePrune")
async def prune(request: web.Request, ctx: RequestContext) -> web.StreamResponse:
    only_anonymous = ctx.behaves("volume-prune-anonymous-only")
    return ctx.json(engine(ctx).prune_volumes(filters(ctx), only_anonymous=only_anonymous))
