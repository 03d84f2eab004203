"""Exec endpoints: create, start (hijacked or detached), inspect, resize."""

from __future__ import annotations

import asyncio
import contextlib

from aiohttp import web

from mockd.hijack import hijack
from mockd.routes import RequestContext
from mockd.streams import client_gone, framed, pump_input, pump_output, stream_media_type

from ._engine import engine, route

EXEC_START_LATENCY = 0.02  # seconds between the 101 and the exec's first output


@route("ContainerExec")
async def create(request: web.Request, ctx: RequestContext) -> web.StreamResponse:
    ex = engine(ctx).create_exec(ctx.path_params["id"], ctx.json_body())
    return ctx.json({"Id": ex.id}, status=201)


@route("ExecInspect")
async def inspect(request: web.Request, ctx: RequestContext) -> web.StreamResponse:
    return ctx.json(engine(ctx).get_exec(ctx.path_params["id"]).inspect())


@route("ExecResize")
async def resize(request: web.Request, ctx: RequestContext) -> web.StreamResponse:
    engine(ctx).resize_exec(ctx.path_params["id"], ctx.q_int("h", 0) or 0, ctx.q_int("w", 0) or 0)
    return web.Response(status=200)


@route("ExecStart")
async def start(request: web.Request, ctx: RequestContext) -> web.StreamResponse:
    eng = engine(ctx)
    body = ctx.json_body()
    ex = eng.get_exec(ctx.path_params["id"])
    if body.get("Detach"):
        eng.start_exec(ex.id)
        return web.Response(status=200)
    if body.get("Tty") is not None:
        ex.config["Tty"] = bool(body["Tty"]) or ex.tty
    queue = ex.subscribe()
    media = stream_media_type(ctx.version, ex.tty)
    if not request.headers.get("Upgrade"):
        eng.start_exec(ex.id)
        resp = web.StreamResponse(status=200)
        resp.headers["Content-Type"] = media
        await resp.prepare(request)
        try:
            await pump_output(queue, framed(ex.tty, resp.write), gone=client_gone(request))
        except ConnectionResetError:  # the client hung up: the stream ends
            return resp
        await resp.write_eof()
        return resp

    async with hijack(request, media) as s:
        # A runtime takes a moment to start an exec. docker-py reads the hijacked socket underneath
        # http.client's buffer, so output arriving together with the 101 would be lost to it.
        await asyncio.sleep(EXEC_START_LATENCY)
        eng.start_exec(ex.id)

        stdin = asyncio.ensure_future(pump_input(s.read, ex, close_at_eof=True)) if ex.config.get("AttachStdin") else None
        try:
            with contextlib.suppress(ConnectionResetError):  # the client went away: the stream ends
                await pump_output(queue, framed(ex.tty, s.write), gone=s.gone)
        finally:
            if stdin is not None:
                stdin.cancel()
            ex.subscribers.discard(queue)
        return s.response
