"""`GET /events` (history since/until and live events) and `GET /system/df`."""

from __future__ import annotations

import contextlib

from aiohttp import web

import specs
from mockd.accept import match_exact, negotiate
from mockd.engine.events import matches
from mockd.engine.ids import now_ns, parse_time
from mockd.errors import DockerError
from mockd.routes import RequestContext
from mockd.serializer import go_json
from mockd.streams import client_gone, follow

from ._engine import engine, filters, route

# Each stream media type's record prefix (json-seq's record separator); every record ends in a newline.
_RECORD_PREFIX = {"application/json": b"", "application/x-ndjson": b"", "application/json-seq": b"\x1e",
                  "application/jsonl": b""}
_LEGACY_MEDIA = "application/json"  # what dockerd has always said, though the stream is not one JSON document
_JSONL_MEDIA = "application/jsonl"


def _event_media_type(ctx: RequestContext, accept: list[str]) -> tuple[str, bytes]:
    """The events stream's media type and record prefix. Engines from 29.0 (API 1.52) choose among the stream
    types of their own newest document, in its order, whatever the requested version: 29.0 to 29.2 by gddo's
    negotiation with application/json when nothing matches; from 29.3 only an exactly named type counts, else the
    requested version's default. Older engines always say application/json."""
    media = _LEGACY_MEDIA
    if ctx.behaves("events-negotiated-media-type"):
        own = specs.load(ctx.bounds.max_api).operation_by_id("SystemEvents")
        offers = [m for m in (own.produces if own else ()) if m in _RECORD_PREFIX and m != _LEGACY_MEDIA]
        if ctx.behaves("events-exact-media-type"):
            default = _JSONL_MEDIA if ctx.behaves("events-jsonl-default") else _LEGACY_MEDIA
            media = match_exact(accept, offers) or default
        else:
            media = negotiate(accept, offers, _LEGACY_MEDIA)
    return media, _RECORD_PREFIX[media]


@route("SystemEvents")
async def events(request: web.Request, ctx: RequestContext) -> web.StreamResponse:
    eng = engine(ctx)
    wanted = filters(ctx)
    now = now_ns()
    since, until = ctx.q_timestamp("since"), ctx.q_timestamp("until")
    since_ns = parse_time(since, now) if since else None
    until_ns = parse_time(until, now) if until else None
    if since and since_ns is None or until and until_ns is None:
        raise DockerError(400, "invalid since/until value")
    if since_ns is not None and until_ns is not None and until_ns < since_ns:
        raise DockerError(400, "`since` time must be before `until` time")
    bus = eng.events
    # Before reading history (nothing falls between the two); filtered before buffering, as dockerd's topic.
    live = bus.subscribe(lambda event: matches(event, wanted))
    resp = web.StreamResponse(status=200)
    media, prefix = _event_media_type(ctx, request.headers.getall("Accept", []))
    resp.content_type = media
    resp.enable_chunked_encoding()
    await resp.prepare(request)
    try:
        if since_ns is not None:
            for event in bus.since(since_ns, until_ns, wanted):
                if not _shown(ctx, event):
                    continue
                await resp.write(prefix + go_json(ctx.serialize(event.to_dict(), "EventMessage")) + b"\n")
        if until_ns is not None and until_ns <= now_ns():
            return resp
        async with contextlib.aclosing(follow(live, until_ns, gone=client_gone(request))) as arriving:
            async for event in arriving:
                if until_ns is not None and event.time_ns > until_ns:
                    break
                if matches(event, wanted) and _shown(ctx, event):
                    await resp.write(prefix + go_json(ctx.serialize(event.to_dict(), "EventMessage")) + b"\n")
    except ConnectionResetError:  # the client hung up (a failed write, or noticed while waiting): the stream ends
        return resp
    finally:
        bus.unsubscribe(live)
    await resp.write_eof()
    return resp


def _shown(ctx: RequestContext, event) -> bool:
    """Events the engine always emits that a client sees only per a version row (mockd/behaviours.py)."""
    action = event.action.split(":", 1)[0]
    if event.type == "image" and action == "create":
        return ctx.behaves("image-create-events")
    if action == "prune":
        return ctx.behaves("prune-events")
    if action == "exec_die":
        return ctx.behaves("exec-die-events")
    return True


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
