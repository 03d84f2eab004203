"""`GET /events` (history since/until and live events) and `GET /system/df`."""

from __future__ import annotations

import asyncio
import contextlib

from aiohttp import web

from mockd.engine.events import matches
from mockd.engine.ids import now_ns, parse_time
from mockd.errors import DockerError
from mockd.routes import RequestContext

from ._engine import engine, filters, go_json, route


@route("SystemEvents")
async def events(request: web.Request, ctx: RequestContext) -> web.StreamResponse:
    eng = engine(ctx)
    wanted = filters(ctx)
    now = now_ns()
    since_ns = parse_time(ctx.q("since"), now) if ctx.q("since") else None
    until_ns = parse_time(ctx.q("until"), now) if ctx.q("until") else None
    if ctx.q("since") and since_ns is None or ctx.q("until") and until_ns is None:
        raise DockerError(400, "invalid since/until value")
    if since_ns is not None and until_ns is not None and until_ns < since_ns:
        raise DockerError(400, "`since` time must be before `until` time")
    bus = eng.events
    live = bus.subscribe()  # before reading history: nothing falls between the two
    resp = web.StreamResponse(status=200)
    resp.content_type = "application/json"
    resp.enable_chunked_encoding()
    await resp.prepare(request)
    try:
        if since_ns is not None:
            for event in bus.since(since_ns, until_ns, wanted):
                await resp.write(go_json(event.to_dict()) + b"\n")
        if until_ns is not None and until_ns <= now_ns():
            return resp
        while True:
            timeout = None if until_ns is None else max((until_ns - now_ns()) / 1e9, 0)
            try:
                event = await asyncio.wait_for(live.get(), timeout)
            except TimeoutError:
                break
            if until_ns is not None and event.time_ns > until_ns:
                break
            if matches(event, wanted):
                with contextlib.suppress(ConnectionResetError):
                    await resp.write(go_json(event.to_dict()) + b"\n")
    finally:
        bus.unsubscribe(live)
    await resp.write_eof()
    return resp


@route("SystemDataUsage")
async def disk_usage(request: web.Request, ctx: RequestContext) -> web.StreamResponse:
    usage = engine(ctx).disk_usage()
    types = ctx.q_all("type")
    if types:
        keep = {"container": "Containers", "image": "Images", "volume": "Volumes", "build-cache": "BuildCache"}
        for kind, key in keep.items():
            if kind not in types:
                usage.pop(key, None)
    return ctx.json(usage)
