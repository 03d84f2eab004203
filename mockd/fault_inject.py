"""Where the fault plan (:mod:`mockd.faults`) meets a request: the one place dispatch applies it.

- :func:`before_handler` (dispatch, once the operation and version are known): picks the faults that fire on
  this call, records them (``request[FAULTS_APPLIED]`` -> the traffic record's ``faults``; one ``fault-injected``
  finding each in ``/_mockd/findings``), then applies the endpoint kinds: latency, an error answer, a dropped or
  reset connection. A stream kind is left on the request (``request[STREAM_FAULT]``).
- :func:`on_prepare` (the app's ``on_response_prepare``): a stream fault wraps the answer's write callable
  (:func:`mockd.streams.faulty_write`), on a 101 through the takeover hook of :mod:`mockd.hijack`.
"""

from __future__ import annotations

import asyncio
import socket
import struct

from aiohttp import web

from mockd.errors import DockerError
from mockd.faults import Fault, FaultPlan
from mockd.hijack import TAKEOVER_HOOK, HijackedStream
from mockd.keys import CTX, FAULTS_APPLIED, REGISTRY, STREAM_FAULT
from mockd.routes import RequestContext
from mockd.streams import client_gone, faulty_write
from specs.findings import Finding

# Progress streams end each message with CRLF (jsonmessage), except `docker load`'s.
_NEWLINE_ONLY = frozenset({"ImageLoad"})


async def before_handler(request: web.Request, ctx: RequestContext, plan: FaultPlan) -> web.StreamResponse | None:
    """None: the handler runs (maybe with a stream fault on the request); else the answer in its place (for a
    dropped connection, one that can no longer be sent: the record's ``status`` is 0)."""
    op = ctx.operation
    firings = plan.select(request.method, op.path, op.operation_id, ctx.version)
    if not firings:
        return None
    request[FAULTS_APPLIED] = [f.to_dict() for f in firings]
    request.app[REGISTRY].add_findings([Finding(
        kind="fault-injected", severity="info", api_version=ctx.version, method=request.method, path=op.path,
        location="endpoint", name=f.fault.kind, source="behaviour",
        detail=f"mockd injected {f.fault.kind} (fault {f.fault.id}) on call {f.call} of {op.operation_id}",
        extra={"fault": f.fault.to_dict(), "call": f.call, "request_path": request.path},
    ) for f in firings])
    faults = [f.fault for f in firings]
    for fault in faults:
        if fault.kind == "latency":
            await asyncio.sleep(fault.ms / 1000)
    for fault in faults:
        if fault.kind in ("drop", "reset"):
            drop_connection(request, reset=fault.kind == "reset")
            return _Unsent(status=599)  # aiohttp skips writing to a closed connection
        if fault.kind == "error":
            raise DockerError(fault.status, fault.text.format(**ctx.path_params))
    streams = [f for f in faults if f.where == "stream"]
    if streams:
        request[STREAM_FAULT] = streams[0]  # one spoiler per answer: two would fight over the same bytes
    return None


class _Unsent(web.Response):
    """The stand-in answer to a request whose connection a fault dropped: nothing of it reaches the client."""


def on_prepare(request: web.Request, response: web.StreamResponse) -> None:
    fault: Fault | None = request.get(STREAM_FAULT)  # type: ignore[assignment]
    if fault is None:
        return
    if response.status == 101:
        response[TAKEOVER_HOOK] = lambda stream: _spoil_takeover(stream, fault)
        return
    if fault.kind == "close-after-upgrade":
        return
    ctx: RequestContext | None = request.get(CTX)  # type: ignore[assignment]
    separator = b"\n" if ctx is not None and ctx.operation.operation_id in _NEWLINE_ONLY else b"\r\n"
    response.write = faulty_write(response.write, fault,  # type: ignore[method-assign]
                                  close=lambda: drop_connection(request), gone=client_gone(request),
                                  separator=separator)


def _spoil_takeover(stream: HijackedStream, fault: Fault) -> None:
    if fault.kind == "close-after-upgrade":
        stream.close()  # the 101 went out; nothing follows it
        return
    stream.write = faulty_write(stream.write, fault, close=stream.close, gone=stream.gone)  # type: ignore[method-assign]


def drop_connection(request: web.BaseRequest, *, reset: bool = False) -> None:
    """End the connection of ``request`` now: closed after what was written, or with ``reset`` a TCP RST
    (SO_LINGER 0). A unix socket has no RST: its peer reads EOF either way."""
    transport = request.transport
    if transport is None or transport.is_closing():
        return
    sock = transport.get_extra_info("socket")
    if reset and sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        transport.abort()
        return
    transport.close()
