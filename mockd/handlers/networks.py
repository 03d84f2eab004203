"""Network endpoints."""

from __future__ import annotations

from aiohttp import web

from mockd.engine.ipam_check import ipam_problem
from mockd.errors import DockerError
from mockd.routes import RequestContext

from . import _request_gates as request_gates
from ._engine import empty, engine, filters, route


@route("NetworkList")
async def list_(request: web.Request, ctx: RequestContext) -> web.StreamResponse:
    eng = engine(ctx)
    wanted = filters(ctx)
    nets = [n for n in sorted(eng.networks.networks.values(), key=lambda n: n.created_ns)
            if eng.networks.matches(n, wanted)]
    # Below 1.28 the list is the detailed one, with each network's containers (network inspect's).
    detailed = ctx.behaves("network-list-containers")
    return ctx.json([n.inspect(eng.network_containers(n) if detailed else {}) for n in nets])


@route("NetworkInspect")
async def inspect(request: web.Request, ctx: RequestContext) -> web.StreamResponse:
    eng = engine(ctx)
    net = eng.networks.get(ctx.path_params["id"])
    return ctx.json(net.inspect(eng.network_containers(net)))


@route("NetworkCreate")
async def create(request: web.Request, ctx: RequestContext) -> web.StreamResponse:
    body = ctx.json_body()
    if not body.get("Name"):
        raise DockerError(400, "invalid name: name is empty")
    eng = engine(ctx)
    if ctx.behaves("network-ipam-validated") and (problem := ipam_problem(body.get("IPAM"))) is not None:
        raise DockerError(400, problem)
    # Engines before 25.0 (API 1.44) create a second network of a name in use unless CheckDuplicate is set, and
    # say so in the Warning; newer ones always refuse it.
    unique = bool(body.get("CheckDuplicate")) or ctx.behaves("network-names-unique")
    same = next((n for n in eng.networks.networks.values() if n.name == body["Name"]), None)
    net = eng.create_network(body, unique=unique)
    warning = f"Network with name {same.name} (id : {same.id}) already exists" if same is not None else ""
    return ctx.json({"Id": net.id, "Warning": warning}, status=201)


@route("NetworkDelete")
async def delete(request: web.Request, ctx: RequestContext) -> web.StreamResponse:
    engine(ctx).remove_network(ctx.path_params["id"])
    return empty()


@route("NetworkConnect")
async def connect(request: web.Request, ctx: RequestContext) -> web.StreamResponse:
    body = ctx.json_body()
    engine(ctx).connect_network(ctx.path_params["id"], body.get("Container") or "",
                              request_gates.connect_endpoint(ctx, body.get("EndpointConfig")))
    return empty(200)


@route("NetworkDisconnect")
async def disconnect(request: web.Request, ctx: RequestContext) -> web.StreamResponse:
    body = ctx.json_body()
    engine(ctx).disconnect_network(ctx.path_params["id"], body.get("Container") or "", bool(body.get("Force")))
    return empty(200)


@route("NetworkPrune")
async def prune(request: web.Request, ctx: RequestContext) -> web.StreamResponse:
    return ctx.json(engine(ctx).prune_networks(filters(ctx)))
