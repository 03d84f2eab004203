"""Shared pieces of the engine-backed handlers: engine errors as dockerd's answers, streaming helpers."""

from __future__ import annotations

import functools
import re
from collections.abc import AsyncIterable, Iterable
from typing import Any

from aiohttp import web

from mockd.behaviours import FILTER_GATES
from mockd.engine import Engine
from mockd.engine.errors import EngineError, NotModified
from mockd.errors import DockerError
from mockd.filter_keys import check_filter_keys, invalid_filter
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
                if err.message.startswith("invalid filter '") and err.message.endswith("'"):  # the engine's check
                    raise invalid_filter(err.message[len("invalid filter '"):-1], ctx.bounds.max_api) from None
                raise DockerError(err.status, daemon_wording(err.message, ctx)) from None

        return handler(operation_id)(run)

    return wrap


_UPPER_CASE_REPOSITORY = re.compile(r"repository name \([^)]*\) must be lowercase")


def daemon_wording(message: str, ctx: RequestContext) -> str:
    """An engine text as the impersonated release words it: before 25.0 (docker/distribution's reference package)
    an upper-case repository is "repository name must be lowercase", without the name (behaviours table)."""
    if not ctx.behaves("reference-error-names-repository"):
        return _UPPER_CASE_REPOSITORY.sub("repository name must be lowercase", message)
    return message


def engine(ctx: RequestContext) -> Engine:
    eng: Engine = ctx.engine
    eng.ensure_ready()
    return eng


def filters(ctx: RequestContext, name: str = "filters") -> dict[str, list[str]]:
    """dockerd's filters JSON: {"key": ["v"]} or the older {"key": {"v": true}}."""
    raw = ctx.q_json(name, {}) or {}
    if not isinstance(raw, dict):
        raise DockerError(400, f"invalid filter: {raw!r}")
    check_filter_keys(ctx.operation.operation_id, list(raw), ctx.bounds.max_api)
    out: dict[str, list[str]] = {}
    for key, value in raw.items():
        if isinstance(value, dict):
            out[key] = [k for k, v in value.items() if v]
        elif isinstance(value, list):
            out[key] = [str(v) for v in value]
        else:
            out[key] = [str(value)]
    return _known_to_the_daemon(ctx, out)


def _known_to_the_daemon(ctx: RequestContext, wanted: dict[str, list[str]]) -> dict[str, list[str]]:
    """The filters as an engine of the impersonated release reads them (mockd.behaviours.FILTER_GATES)."""
    out = {}
    for key, values in wanted.items():
        gate = FILTER_GATES.get((ctx.operation.operation_id, key))
        if gate is not None and not ctx.behaves(gate[0]):
            if gate[1] == "refused":
                raise DockerError(400, f"invalid filter '{key}'")
            continue
        out[key] = values
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
