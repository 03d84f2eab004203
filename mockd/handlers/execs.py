"""Exec endpoints: create, start (hijacked or detached), inspect, resize."""

from __future__ import annotations

import asyncio
import contextlib

from aiohttp import web

from mockd.hijack import hijack
from mockd.routes import RequestContext
from mockd.streams import (
    FIRST_OUTPUT_DELAY,
    RAW_STREAM,
    STDOUT,
    client_gone,
    framed,
    pump_input,
    pump_output,
    serve_hijacked,
    stream_media_type,
)

from ._engine import engine, route


@route("ContainerExec")
async def create(request: web.Request, ctx: RequestContext) -> web.StreamResponse:
    ex = engine(ctx).create_exec(ctx.path_params["id"], ctx.json_body())
    return ctx.json({"Id": ex.id}, status=201)


@route("ExecInspect")
async def inspect(request: web.Request, ctx: RequestContext) -> web.StreamResponse:
    return ctx.json(engine(ctx).get_exec(ctx.path_params["id"]).inspect())


@route("ExecResize")
async def resize(request: web.Request, ctx: RequestContext) -> web.StreamResponse:
    await engine(ctx).resize_exec(ctx.path_params["id"], ctx.q_int("h", 0, status=400) or 0, ctx.q_int("w", 0, status=400) or 0)
    return web.Response(status=200)


@route("ExecStart")
async def start(request: web.Request, ctx: RequestContext) -> web.StreamResponse:
    eng = engine(ctx)
    body = ctx.json_body()
    ex = eng.get_exec(ctx.path_params["id"])
    if body.get("Detach"):
        eng.start_exec(ex.id)
        return web.Response(status=200)
    # The framing is the start request's `Tty`, not the exec's (dockerd's postContainerExecStart): an exec created
    # with a TTY and started without one sends its terminal's output as stdout frames (docker-py's default), one
    # created without and started with one sends its stdout raw and drops its stderr (no writer for it).
    raw = bool(body.get("Tty"))
    want = None if ex.tty or not raw else (lambda stream: stream == STDOUT)
    queue = ex.subscribe()
    if not request.headers.get("Upgrade"):
        eng.start_exec(ex.id)
        resp = web.StreamResponse(status=200)
        resp.headers["Content-Type"] = RAW_STREAM  # without Upgrade dockerd always says raw-stream
        await resp.prepare(request)
        try:
            await pump_output(queue, framed(raw, resp.write), want=want, gone=client_gone(request))
        except ConnectionResetError:  # the client hung up: the stream ends
            return resp
        await resp.write_eof()
        return resp

    async with hijack(request, stream_media_type(ctx.version, raw)) as s:
        await asyncio.sleep(FIRST_OUTPUT_DELAY)  # a runtime takes a moment to start an exec
        await s.until_read()  # and the client must have read the 101 before the output comes
        eng.start_exec(ex.id)

        send = framed(raw, s.write)
        stdin = pump_input(s.read, ex, close_at_eof=True, detach_keys=ex.detach_keys) \
            if ex.config.get("AttachStdin") else None
        try:
            if await serve_hijacked(pump_output(queue, send, want=want, gone=s.gone), stdin):
                # dockerd 20.10 wraps the escape error, so it reports it as the exec's failure (and inspect says 126)
                eng.exec_detached(ex.id)
                with contextlib.suppress(ConnectionResetError):
                    await send(STDOUT, b"exec attach failed: error on attach stdin: read escape sequence\r\n")
        finally:
            ex.subscribers.discard(queue)
        return s.response
