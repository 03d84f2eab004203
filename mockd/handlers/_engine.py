"""Shared pieces of the engine-backed handlers: engine errors as dockerd's answers, streaming helpers."""

from __future__ import annotations

import functools
from collections.abc import AsyncIterable, Iterable
from typing import Any

from aiohttp import web

from mockd.engine import Engine
from mockd.engine.errors import EngineError, NotModified
from mockd.errors import DockerError
from mockd.routes import Handler, RequestContext, handler
from mockd.serializer import dumps, go_json


def route(operation_id: str):
    """@handler(operation_id) with the engine's errors answered as dockerd answers them."""

    def wrap(fn: Handler) -> Handler:
        @functools.wraps(fn)
        async def run(request: web.Request, ctx: RequestContext) -> web.StreamResponse:
            try:
                return await fn(request, ctx)
            except NotModified:
                return web.Response(status=304)
            except EngineError as err:
                raise DockerError(err.status, err.message) from None

        return handler(operation_id)(run)

    return wrap


def engine(ctx: RequestContext) -> Engine:
    eng: Engine = ctx.engine
    eng.ensure_ready()
    return eng


def filters(ctx: RequestContext, name: str = "filters") -> dict[str, list[str]]:
    """dockerd's filters JSON: {"key": ["v"]} or the older {"key": {"v": true}}."""
    raw = ctx.q_json(name, {}) or {}
    if not isinstance(raw, dict):
        raise DockerError(400, f"invalid filter: {raw!r}")
    out: dict[str, list[str]] = {}
    for key, value in raw.items():
        if isinstance(value, dict):
            out[key] = [k for k, v in value.items() if v]
        elif isinstance(value, list):
            out[key] = [str(v) for v in value]
        else:
            out[key] = [str(value)]
    return out


async def json_stream(request: web.Request, messages: Iterable[dict] | AsyncIterable[dict],
                      separator: bytes = b"\r\n") -> web.StreamResponse:
    """A progress stream (pull, push, build, load): 200 chunked application/json, one message per line."""
    resp = web.StreamResponse(status=200)
    resp.content_type = "application/json"
    resp.enable_chunked_encoding()
    await resp.prepare(request)
    try:
        if hasattr(messages, "__aiter__"):
            async for msg in messages:  # type: ignore[union-attr]
                await resp.write(go_json(msg) + separator)
        else:
            for msg in messages:  # type: ignore[union-attr]
                await resp.write(go_json(msg) + separator)
        await resp.write_eof()
    except ConnectionResetError:
        # The client hung up: the stream ends there, as dockerd's does, without a logged traceback per hang-up
        # (pytest keeps every logged record: 200 dropped pulls were megabytes).
        pass
    return resp


def empty(status: int = 204) -> web.Response:
    return web.Response(status=status)


def json_value(value: Any, status: int = 200) -> web.Response:
    """A JSON answer the serializer does not reshape (free-form maps, ids)."""
    resp = web.Response(status=status, body=dumps(value))
    resp.headers["Content-Type"] = "application/json"
    return resp


def tar_response(data: bytes, content_type: str = "application/x-tar", headers: dict | None = None) -> web.Response:
    resp = web.Response(status=200, body=data, headers=headers or {})
    resp.headers["Content-Type"] = content_type
    return resp
