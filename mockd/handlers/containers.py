"""Container endpoints: thin wrappers over the engine, plus the streaming ones (attach, wait, logs, stats)."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json

from aiohttp import web

from mockd.engine import Engine
from mockd.engine.containers import Container
from mockd.engine.detach import attach_keys
from mockd.engine.ids import now_ns, parse_time, rfc3339
from mockd.errors import DockerError
from mockd.hijack import hijack
from mockd.routes import RequestContext, omit_content_type
from mockd.serializer import dumps, go_json
from mockd.streams import (
    FIRST_OUTPUT_DELAY,
    client_gone,
    follow,
    framed,
    output_frame,
    pump_input,
    pump_output,
    serve_hijacked,
    stream_media_type,
    unless_gone,
)

from . import _request_gates as request_gates
from ._engine import empty, engine, filters, json_value, route, tar_response


@route("ContainerCreate")
async def create(request: web.Request, ctx: RequestContext) -> web.StreamResponse:
    body = ctx.json_body()
    if not body.keys() - {"HostConfig", "NetworkingConfig"}:  # the decoded body sets no field of the embedded Config
        config = "config" if ctx.behaves("empty-config-lowercase") else "Config"
        raise DockerError(400, f"{config} cannot be empty in order to create a container")
    body, gated = request_gates.create_body(ctx, body)
    c, warnings = engine(ctx).create_container(body, ctx.q("name") or "", request_gates.create_platform(ctx))
    return ctx.json({"Id": c.id, "Warnings": warnings + gated}, status=201)


@route("ContainerList")
async def list_(request: web.Request, ctx: RequestContext) -> web.StreamResponse:
    eng = engine(ctx)
    if ctx.q_bool("size"):  # SizeRw follows writes of the container's processes, which emit no event: never cached
        links = eng.link_names()
        return ctx.json([c.summary(size=True, link_names=links.get(c.id)) for c in _listed(eng, ctx)])
    # Two levels of the answer cache: the whole list per query, and each container's item (the list of one
    # query is rebuilt from the items whenever any of its containers' status texts ticks over).
    mark, now = eng.change_mark(), now_ns()
    version = (ctx.version, ctx.bounds.max_api)
    answers = ctx.registry.answers

    def item(c: Container, links: dict[str, list[str]]) -> tuple[bytes, int | None]:
        # One item as the serializer projects it in a list (the brackets of a one-item list stripped).
        return go_json(ctx.serialize([c.summary(link_names=links.get(c.id))]))[1:-1], c.status_text_until(now)

    def whole() -> tuple[bytes, int | None]:
        links = eng.link_names()
        items = [answers.get(("ContainerList.item", version, c.id), lambda c=c: item(c, links), mark=mark, now=now)
                 for c in _listed(eng, ctx)]
        deadlines = [d for _, d in items if d is not None]
        return b"[" + b",".join(body for body, _ in items) + b"]\n", min(deadlines, default=None)

    return ctx.encoded(answers.get(("ContainerList", version, request.query_string), whole, mark=mark, now=now)[0])


def _listed(eng: Engine, ctx: RequestContext) -> list[Container]:
    return eng.list_containers(all_=ctx.q_bool("all"), limit=ctx.q_int("limit", -1) or -1, filters=filters(ctx),
                               latest=ctx.q_bool("latest"))


@route("ContainerInspect")
async def inspect(request: web.Request, ctx: RequestContext) -> web.StreamResponse:
    eng = engine(ctx)
    c = eng.container(ctx.path_params["id"])
    if ctx.q_bool("size"):  # SizeRw follows the processes' writes, which emit no event: never cached
        return ctx.json(request_gates.container_inspect(ctx, c.inspect(size=True)))
    # Health probes record their results without an event unless the status changes: the last one is in the key.
    health = c.health
    probe = (health["FailingStreak"], health["Log"][-1]["End"] if health["Log"] else "") if health else None
    key = ("ContainerInspect", ctx.version, ctx.bounds.max_api, c.id, c.status, probe)
    return ctx.encoded(ctx.registry.answers.get(key, lambda: (dumps(ctx.serialize(request_gates.container_inspect(ctx, c.inspect()))), None),
                                                mark=eng.change_mark())[0])


@route("ContainerStart")
async def start(request: web.Request, ctx: RequestContext) -> web.StreamResponse:
    engine(ctx).start_container(ctx.path_params["id"])
    return empty()


@route("ContainerStop")
async def stop(request: web.Request, ctx: RequestContext) -> web.StreamResponse:
    await engine(ctx).stop_container(ctx.path_params["id"], ctx.q_int("t"), ctx.q("signal"))
    return empty()


@route("ContainerRestart")
async def restart(request: web.Request, ctx: RequestContext) -> web.StreamResponse:
    await engine(ctx).restart_container(ctx.path_params["id"], ctx.q_int("t"), ctx.q("signal"))
    return empty()


@route("ContainerKill")
async def kill(request: web.Request, ctx: RequestContext) -> web.StreamResponse:
    await engine(ctx).kill_container(ctx.path_params["id"], ctx.q("signal"))
    return empty()


@route("ContainerPause")
async def pause(request: web.Request, ctx: RequestContext) -> web.StreamResponse:
    engine(ctx).pause_container(ctx.path_params["id"])
    return empty()


@route("ContainerUnpause")
async def unpause(request: web.Request, ctx: RequestContext) -> web.StreamResponse:
    engine(ctx).unpause_container(ctx.path_params["id"])
    return empty()


@route("ContainerRename")
async def rename(request: web.Request, ctx: RequestContext) -> web.StreamResponse:
    engine(ctx).rename_container(ctx.path_params["id"], ctx.q("name") or "")
    return empty()


@route("ContainerUpdate")
async def update(request: web.Request, ctx: RequestContext) -> web.StreamResponse:
    warnings = engine(ctx).update_container(ctx.path_params["id"], request_gates.update_body(ctx, ctx.json_body()))
    return ctx.json({"Warnings": warnings})


@route("ContainerResize")
async def resize(request: web.Request, ctx: RequestContext) -> web.StreamResponse:
    engine(ctx).resize_container(ctx.path_params["id"], ctx.q_int("h", 0, status=400) or 0, ctx.q_int("w", 0, status=400) or 0)
    return web.Response(status=200)


@route("ContainerTop")
async def top(request: web.Request, ctx: RequestContext) -> web.StreamResponse:
    return ctx.json(engine(ctx).top(ctx.path_params["id"], ctx.q("ps_args") or "-ef"))


@route("ContainerChanges")
async def changes(request: web.Request, ctx: RequestContext) -> web.StreamResponse:
    found = engine(ctx).changes(ctx.path_params["id"])
    return ctx.json(found or None)


@route("ContainerExport")
async def export(request: web.Request, ctx: RequestContext) -> web.StreamResponse:
    return tar_response(engine(ctx).export(ctx.path_params["id"]), "application/octet-stream")


@route("ContainerDelete")
async def delete(request: web.Request, ctx: RequestContext) -> web.StreamResponse:
    await engine(ctx).remove_container(ctx.path_params["id"], force=ctx.q_bool("force"), volumes=ctx.q_bool("v"),
                                       link=ctx.q_bool("link"))
    return empty()


@route("ContainerPrune")
async def prune(request: web.Request, ctx: RequestContext) -> web.StreamResponse:
    return ctx.json(await engine(ctx).prune_containers(filters(ctx)))


WAIT_CONDITIONS = ("not-running", "next-exit", "removed")


# -- wait: a long poll, headers first -------------------------------------------------------------------------

@route("ContainerWait")
async def wait(request: web.Request, ctx: RequestContext) -> web.StreamResponse:
    eng = engine(ctx)
    c = eng.container(ctx.path_params["id"])
    # Below 1.30 the condition is not read and the headers wait for the exit; daemons before 23.0 (API 1.42)
    # took an unknown condition for not-running, newer ones refuse it.
    condition = (ctx.q("condition") or "not-running") if ctx.behaves("wait-condition") else "not-running"
    if condition not in WAIT_CONDITIONS and not ctx.behaves("wait-invalid-condition-refused"):
        condition = "not-running"
    fut = eng.wait_future(c.id, condition)
    resp = web.StreamResponse(status=200)
    resp.content_type = "application/json"
    resp.enable_chunked_encoding()
    try:
        if ctx.behaves("wait-condition"):
            await resp.prepare(request)
        code = await unless_gone(fut, client_gone(request))
        if not resp.prepared:
            await resp.prepare(request)
    except ConnectionResetError:  # the client hung up (docker run -d drops its wait): no waiter stays behind
        return resp
    finally:
        if not fut.done():
            fut.cancel()
        for waiters in (c.exit_waiters, c.removed_waiters):
            if fut in waiters:
                waiters.remove(fut)
    # A `removed` wait (`docker run --rm`) ends without the start error in dockerd (measured on 20.10), so the
    # CLI prints only the start error, not also "Error waiting for container".
    error = {"Message": c.error} if c.error and code != 0 and condition != "removed" else None
    body = {"Error": error, "StatusCode": code} if error or ctx.behaves("wait-error-null") else {"StatusCode": code}
    with contextlib.suppress(ConnectionResetError):  # the client gave up just as the container exited
        await resp.write(dumps(body))
        await resp.write_eof()
    return resp


# -- attach: one output pump (mockd.streams) for the hijacked, plain and websocket variants -------------------

@route("ContainerAttach")
async def attach(request: web.Request, ctx: RequestContext) -> web.StreamResponse:
    eng = engine(ctx)
    keys = attach_keys(ctx.q("detachKeys") or "")  # dockerd checks them before it looks the container up
    c = eng.attach(ctx.path_params["id"])
    want = {1: ctx.q_bool("stdout"), 2: ctx.q_bool("stderr")}
    want_stdin = ctx.q_bool("stdin") and bool(c.config.get("OpenStdin"))
    # A stopped container's streams stay attachable: `docker start -a` attaches first, then starts.
    live = ctx.q_bool("stream") and c.status not in ("removing", "dead")
    queue = c.subscribe() if live else None  # before the 101: `docker run` starts right after it
    backlog = [(e.stream, e.data) for e in c.logs] if ctx.q_bool("logs") else []
    media = stream_media_type(ctx.version, c.tty)
    try:
        if not request.headers.get("Upgrade"):
            return await _attach_plain(request, c, queue, backlog, want, media)
        async with hijack(request, media) as s:
            stdin = None
            if queue is not None and want_stdin:
                stdin = pump_input(s.read, c, close_at_eof=bool(c.config.get("StdinOnce")), detach_keys=keys)
            if backlog:
                await asyncio.sleep(FIRST_OUTPUT_DELAY)  # dockerd opens the log file after the 101
            output = pump_output(queue, framed(c.tty, s.write), backlog=backlog, want=want.get, gone=s.gone)
            if await serve_hijacked(output, stdin):
                eng.detached(c)  # the container runs on; the connection closes
            return s.response
    finally:
        if queue is not None:
            c.unsubscribe(queue)


async def _attach_plain(request, c, queue, backlog, want, media) -> web.StreamResponse:
    """Attach without `Upgrade` (some clients): the same bytes as the body of a plain 200."""
    resp = web.StreamResponse(status=200)
    resp.headers["Content-Type"] = media
    await resp.prepare(request)
    try:
        await pump_output(queue, framed(c.tty, resp.write), backlog=backlog, want=want.get, gone=client_gone(request))
    except ConnectionResetError:  # the client hung up: the stream ends
        return resp
    await resp.write_eof()
    return resp


@route("ContainerAttachWebsocket")
async def attach_ws(request: web.Request, ctx: RequestContext) -> web.StreamResponse:
    eng = engine(ctx)
    keys = attach_keys(ctx.q("detachKeys") or "")
    c = eng.attach(ctx.path_params["id"])
    # From 1.42 the stdin/stdout/stderr parameters choose the streams (absent: not attached); below, all three.
    chosen = ctx.behaves("websocket-attach-stream-params")
    want = {1: ctx.q_bool("stdout") or not chosen, 2: ctx.q_bool("stderr") or not chosen}
    use_stdin = ctx.q_bool("stdin") or not chosen
    frame = web.WSMsgType.BINARY if ctx.behaves("websocket-binary-frames") else web.WSMsgType.TEXT
    live = ctx.q_bool("stream", True) and c.status not in ("removing", "dead")
    queue = c.subscribe() if live else None
    ws = web.WebSocketResponse()
    await ws.prepare(request)

    async def read() -> bytes:
        async for msg in ws:
            if msg.type in (web.WSMsgType.TEXT, web.WSMsgType.BINARY) and c.config.get("OpenStdin") and use_stdin:
                data = msg.data.encode() if isinstance(msg.data, str) else msg.data
                if data:
                    return data
        return b""

    async def reader() -> None:
        # The hijacked attach's input pump: with a TTY the bytes go through the terminal (echo, line editing)
        # and the detach keys end the session, as on dockerd's websocket attach.
        if await pump_input(read, c, close_at_eof=bool(c.config.get("StdinOnce")), detach_keys=keys):
            eng.detached(c)
            await ws.close()

    async def send(_stream: int, data: bytes) -> None:
        # The bytes unframed; in text frames below 1.28 (Go's websocket default), whatever the bytes are.
        await ws.send_frame(data, frame)

    gone = client_gone(request)
    task = asyncio.ensure_future(reader())
    try:
        backlog = [(e.stream, e.data) for e in c.logs] if ctx.q_bool("logs") else []
        await pump_output(queue, send, backlog=backlog, want=want.get, gone=lambda: ws.closed or gone())
    except ConnectionResetError:  # the client hung up: the stream ends
        pass
    finally:
        if queue is not None:
            c.unsubscribe(queue)
        task.cancel()
        await ws.close()
    return ws


# -- logs ----------------------------------------------------------------------------------------------------

def _log_bytes(c: Container, stream: int, data: bytes, time_ns: int, timestamps: bool) -> bytes:
    payload = (rfc3339(time_ns).encode() + b" " + data) if timestamps else data
    return output_frame(c.tty, stream, payload)


@route("ContainerLogs")
async def logs(request: web.Request, ctx: RequestContext) -> web.StreamResponse:
    eng = engine(ctx)
    c = eng.container(ctx.path_params["id"])
    stdout, stderr = ctx.q_bool("stdout"), ctx.q_bool("stderr")
    if not (stdout or stderr):
        raise DockerError(400, "Bad parameters: you must choose at least one stream")
    following = ctx.q_bool("follow") and c.running
    timestamps = ctx.q_bool("timestamps")
    until = ctx.q_timestamp("until")
    queue = c.subscribe() if following else None  # subscribe and snapshot without an await in between
    entries = eng.log_entries(c.id, stdout, stderr, ctx.q_timestamp("since"), until, ctx.q("tail") or "all")
    resp = web.StreamResponse(status=200)
    if ctx.behaves("logs-content-type"):
        resp.headers["Content-Type"] = stream_media_type(ctx.version, c.tty)
    else:
        omit_content_type(resp)  # dockerd sends none (aiohttp would say application/octet-stream)
    resp.enable_chunked_encoding()
    await resp.prepare(request)
    try:
        # One write (one HTTP chunk) per frame, as dockerd's flushing writer sends them; clients may read
        # chunk by chunk, and stream faults count frames.
        for e in entries:
            await resp.write(_log_bytes(c, e.stream, e.data, e.time_ns, timestamps))
        if queue is not None:
            until_ns = parse_time(until) if until else None
            async with contextlib.aclosing(follow(queue, until_ns, gone=client_gone(request))) as live:
                async for stream, data in live:
                    if (stream == 1 and stdout) or (stream == 2 and stderr):
                        now = now_ns()
                        for line in data.splitlines(keepends=True):
                            await resp.write(_log_bytes(c, stream, line, now, timestamps))
    except ConnectionResetError:  # the client hung up: the stream ends, nothing stays subscribed
        return resp
    finally:
        if queue is not None:
            c.unsubscribe(queue)
    await resp.write_eof()
    return resp


# -- stats ---------------------------------------------------------------------------------------------------

@route("ContainerStats")
async def stats(request: web.Request, ctx: RequestContext) -> web.StreamResponse:
    eng = engine(ctx)
    c = eng.container(ctx.path_params["id"])
    stream = ctx.q_bool("stream", True) and not ctx.q_bool("one-shot")
    if not stream:
        first = eng.stats(c.id)
        if not ctx.q_bool("one-shot") and c.running:
            # dockerd samples twice for a non-streaming call so precpu is filled in.
            first = eng.stats(c.id, previous=first)
        return json_value(first)
    resp = web.StreamResponse(status=200)
    resp.content_type = "application/json"
    resp.enable_chunked_encoding()
    await resp.prepare(request)
    previous = None
    with contextlib.suppress(ConnectionResetError):
        while c.id in eng.containers:
            previous = eng.stats(c.id, previous)
            await resp.write(dumps(previous))
            if not c.running:
                break
            await asyncio.sleep(1)
    return resp


# -- archive (docker cp) -------------------------------------------------------------------------------------

def _stat_header(stat: dict) -> str:
    return base64.b64encode(json.dumps(stat, separators=(",", ":")).encode()).decode()


@route("ContainerArchiveInfo")
async def archive_head(request: web.Request, ctx: RequestContext) -> web.StreamResponse:
    path = ctx.q("path")
    if not path:
        raise DockerError(400, "bad parameter: path cannot be empty")
    stat = engine(ctx).archive_stat(ctx.path_params["id"], path)
    # dockerd answers with the stat header only, no Content-Type (measured on 20.10).
    return web.Response(status=200, headers={"X-Docker-Container-Path-Stat": _stat_header(stat)})


@route("ContainerArchive")
async def archive_get(request: web.Request, ctx: RequestContext) -> web.StreamResponse:
    path = ctx.q("path")
    if not path:
        raise DockerError(400, "bad parameter: path cannot be empty")
    stat, data = engine(ctx).archive_get(ctx.path_params["id"], path)
    return tar_response(data, headers={"X-Docker-Container-Path-Stat": _stat_header(stat)})


@route("PutContainerArchive")
async def archive_put(request: web.Request, ctx: RequestContext) -> web.StreamResponse:
    path = ctx.q("path")
    if not path:
        raise DockerError(400, "bad parameter: path cannot be empty")
    data = ctx.raw_body or await request.read()
    engine(ctx).archive_put(ctx.path_params["id"], path, data, ctx.q_bool("noOverwriteDirNonDir"))
    return web.Response(status=200)

