"""The route table: operationId -> handler. Handlers are thin; state lives in the engine.

Writing a handler
-----------------
A handler module (listed in ``mockd/handlers/__init__.py``) registers coroutines by the
operationId they implement (the same id in every API version)::

    from mockd.routes import RequestContext, handler

    @handler("ContainerList")
    async def container_list(request: web.Request, ctx: RequestContext) -> web.StreamResponse:
        containers = ctx.engine.list_containers(all=ctx.q_bool("all"))
        return ctx.json([c.summary() for c in containers])   # serialized for ctx.version

By the time a handler runs, the middleware has negotiated the version, matched the operation,
parsed query and body, recorded findings (and refused the request in ``--strict`` mode). A
handler raises :class:`mockd.errors.DockerError` for dockerd's error answers. Operations with no
handler are answered by :mod:`mockd.generated`.

:class:`RequestContext` carries:

- ``version``: the requested API version (the URL prefix, or the daemon's max when unprefixed);
- ``spec`` / ``operation`` / ``path_params``: that version's document, the matched operation
  (from the daemon's newest document when the operation is newer than ``version``) and its
  path parameters (``{"id": "abc"}``);
- ``query``: ``{name: [values...]}``; ``q(name)``, ``q_bool(name)`` (dockerd's reading:
  ``1/true/True`` are true, ``0/false/False/""`` false), ``q_int``, ``q_json`` (``filters``);
- ``body``: the JSON body decoded as dockerd decodes it into its struct (:mod:`mockd.bodies`: Go's rules,
  the schema's field names), ``None`` for JSON ``null``, :data:`NO_BODY` when absent or not JSON;
  ``sent_body``: the same as the client spelled it (records, checks); ``raw_body``: the bytes (not read for
  ``Upgrade`` requests without a Content-Length: those hijack the connection);
- ``registry`` (``ctx.engine`` is ``ctx.registry.engine``), ``config``, ``bounds``;
- ``serialize(obj, target=None, status=200)`` -> the object as dockerd answers at ``version``
  (version rules from :mod:`mockd.serializer`), ``json(obj, status=200, target=None)`` -> a
  response in Go's encoding;
- ``findings``: what the request checks found (a handler may append behaviour findings);
- ``behaves(name)``: whether dockerd shows a named version-dependent behaviour for this request
  (the table in :mod:`mockd.behaviours`). Handlers never compare version strings themselves.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from mockd.behaviours import behaves
from mockd.config import Config
from mockd.engine import Engine
from mockd.errors import DockerError
from mockd.keys import NO_CONTENT_TYPE
from mockd.serializer import dumps, serialize
from mockd.state import Registry
from mockd.versioning import Before, Bounds, Since, Window
from specs.findings import Finding
from specs.godecode import go_decode_error, go_filters_error
from specs.model import ApiSpec, Operation
from specs.validation import NO_BODY
from specs.wire import query_bool

INT64_MIN, INT64_MAX = -(2 ** 63), 2 ** 63 - 1


def go_atoi(text: str) -> int | str:
    """Go's strconv.Atoi on a 64-bit platform: the number, or the reason it is not one (Go's wording)."""
    digits = text[1:] if text[:1] in "+-" else text
    if not digits or not digits.isascii() or not digits.isdigit():
        return "invalid syntax"
    number = int(text)
    return number if INT64_MIN <= number <= INT64_MAX else "value out of range"


# filters.FromJSON's error by release (judged by the daemon): 20.10 returns the decoder's error as is (a 500 where
# the router passes it on); 23.0 wraps it as invalidFilter (400) "invalid filter: <text>"; 24.0 drops the text
# (api/types/filters/parse.go FromJSON: `return args, invalidFilter{}`, errors.go: "invalid filter").
_FILTERS_JSON_ERRORS = ((Before("1.42"), 500, "{text}"), (Window("1.42", "1.43"), 400, "invalid filter: {text}"),
                        (Since("1.43"), 400, "invalid filter"))


def filters_json_error(text: str, daemon: str) -> DockerError:
    status, form = next((s, f) for window, s, f in _FILTERS_JSON_ERRORS if window.applies(daemon))
    return DockerError(status, form.format(text=text))


Handler = Callable[[web.Request, "RequestContext"], Awaitable[web.StreamResponse]]


def omit_content_type(response: web.StreamResponse) -> None:
    """Send ``response`` without Content-Type. aiohttp fills in ``application/octet-stream`` for a
    non-empty body while preparing; the app's ``on_response_prepare`` hook (run after that default,
    the documented place to modify default headers) removes it again for marked responses."""
    response[NO_CONTENT_TYPE] = True

_TABLE: dict[str, Handler] = {}


def handler(operation_id: str) -> Callable[[Handler], Handler]:
    """Register the decorated coroutine for one operationId (every API version)."""

    def register(fn: Handler) -> Handler:
        if operation_id in _TABLE and _TABLE[operation_id] is not fn:
            raise ValueError(f"two handlers for {operation_id}: {_TABLE[operation_id].__qualname__} and {fn.__qualname__}")
        _TABLE[operation_id] = fn
        return fn

    return register


def load_handlers() -> dict[str, Handler]:
    """Import every handler module listed in ``mockd.handlers.MODULES``; the operationId table."""
    from mockd.handlers import MODULES

    for name in MODULES:
        importlib.import_module(name)
    return dict(_TABLE)


@dataclass
class RequestContext:
    version: str
    spec: ApiSpec
    operation: Operation
    path_params: dict[str, str]
    query: dict[str, list[str]]
    body: Any
    raw_body: bytes
    registry: Registry
    config: Config
    bounds: Bounds
    findings: list[Finding] = field(default_factory=list)
    sent_body: Any = NO_BODY  # the JSON body as the client sent it (``body`` is it decoded, as dockerd's struct)

    @property
    def engine(self) -> Engine:
        return self.registry.engine

    def behaves(self, name: str) -> bool:
        """Whether dockerd shows the named version-dependent behaviour here (``mockd/behaviours.py``)."""
        return behaves(name, self.version, daemon=self.bounds.max_api)

    # --- query ---------------------------------------------------------------------------
    def q(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[0] if values else default

    def q_all(self, name: str) -> list[str]:
        return list(self.query.get(name, []))

    def q_bool(self, name: str, default: bool = False) -> bool:
        values = self.query.get(name)
        return query_bool(values[0]) if values else default

    def q_int(self, name: str, default: int | None = None, status: int = 500) -> int | None:
        """An integer query value as dockerd reads it, Go's ``strconv.Atoi`` (int64: an optional sign and
        decimal digits); its errors as dockerd answers them: ``status`` is 500 where the router returns the
        error as is (stop, restart, list limits), 400 where it wraps it as invalid parameter (resize)."""
        value = self.q(name)
        if value in (None, ""):
            return default
        number = go_atoi(value)  # type: ignore[arg-type]
        if isinstance(number, str):
            raise DockerError(status, f'strconv.Atoi: parsing "{value}": {number}')
        return number

    def q_timestamp(self, name: str) -> str | None:
        """A ``since``/``until`` value as dockerd's routers read it (timetypes.ParseTimestamps: ``SECONDS[.FRACTION]``,
        each part through strconv.ParseInt; clients turn dates and durations into that form). A bad one is the
        500 with ParseInt's text, as dockerd answers; the value is returned unchanged otherwise."""
        value = self.q(name)
        if not value:
            return value
        for part in value.split(".", 1):
            problem = go_atoi(part)
            if isinstance(problem, str):
                raise DockerError(500, f'strconv.ParseInt: parsing "{part}": {problem}')
        return value

    def q_json(self, name: str, default: Any = None) -> Any:
        """A JSON query value (``filters``); bad JSON is a 500 with the decoder's message, as dockerd."""
        value = self.q(name)
        if not value:
            return default
        # dockerd's reading (Go's encoding/json; filters.FromJSON for filters) and its error texts.
        problem = go_filters_error(value) if name == "filters" else go_decode_error(value)
        if problem:
            if name == "filters":
                raise filters_json_error(problem, self.bounds.max_api)
            raise DockerError(500, problem)
        return json.loads(value)

    # --- bodies --------------------------------------------------------------------------
    @property
    def has_body(self) -> bool:
        return self.body is not NO_BODY and self.body is not None

    def json_body(self) -> dict[str, Any]:
        """The body as an object; {} when absent or null (what Go decodes into a zero struct)."""
        return self.body if isinstance(self.body, dict) else {}

    # --- responses -----------------------------------------------------------------------
    def serialize(self, obj: Any, target: Operation | str | None = None, status: int = 200) -> Any:
        return serialize(obj, spec=self.spec, version=self.version, target=target or self.operation, status=status,
                         daemon=self.bounds.max_api, query=self.query)

    def json(self, obj: Any, status: int = 200, target: Operation | str | None = None) -> web.Response:
        return self.encoded(dumps(self.serialize(obj, target, status)), status)

    def encoded(self, body: bytes, status: int = 200) -> web.Response:
        """A JSON answer already serialized and encoded (:meth:`json`'s bytes, e.g. from the answer cache)."""
        resp = web.Response(status=status, body=body)
        resp.headers["Content-Type"] = "application/json"
        return resp
