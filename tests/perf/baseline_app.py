"""The bare aiohttp baseline of the benchmark suite: for every request it answers with pre-built bytes (the
answer mockd gave to the same request, captured by the suite), so a ratio measures what mockd adds on top of
aiohttp itself: routing, version checks, request validation, the engine and the serializer.

    python tests/perf/baseline_app.py --socket /tmp/x/base.sock [--uvloop]
    python tests/perf/baseline_app.py --socket /tmp/x/raw.sock --raw    # the load client's own ceiling

The table is replaced with ``PUT /_bench/table`` (a JSON list of answers, see :func:`_load`). An answer may be
a stream (``GET /events``: held open, fed by the ``broadcast`` bytes of other answers) — the fan-out baseline.
``--raw``: no HTTP server at all, a protocol that answers every request head with the same 2-byte body; it
shows how fast the load client can go.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import os

from aiohttp import web

TABLE = web.AppKey("bench.table", dict)
LISTENERS = web.AppKey("bench.listeners", list)
_SKIPPED = {"date", "content-length", "transfer-encoding", "connection", "keep-alive"}


def _load(entries: list[dict]) -> dict[tuple[str, str], dict]:
    """``[{method, target, status, headers: [[k, v]], body_b64, stream?: bool, broadcast_b64?: str}]``."""
    table = {}
    for e in entries:
        table[(e["method"], e["target"])] = {
            "status": e["status"],
            "headers": {k: v for k, v in e["headers"] if k.lower() not in _SKIPPED},
            "body": base64.b64decode(e.get("body_b64") or ""),
            "stream": bool(e.get("stream")),
            "broadcast": base64.b64decode(e["broadcast_b64"]) if e.get("broadcast_b64") else None,
        }
    return table


async def _set_table(request: web.Request) -> web.Response:
    request.app[TABLE] = _load(await request.json())
    return web.Response(status=204)


async def _answer(request: web.Request) -> web.StreamResponse:
    if request.body_exists:
        await request.read()  # as mockd does: the whole body, before answering
    found = request.app[TABLE].get((request.method, request.path_qs))
    if found is None:
        if request.path == "/_ping":  # ready before the first table arrives
            return web.Response(text="OK")
        return web.Response(status=404, text=f"baseline: no answer for {request.method} {request.path_qs}")
    if found["stream"]:
        resp = web.StreamResponse(status=found["status"], headers=found["headers"])
        resp.enable_chunked_encoding()
        await resp.prepare(request)
        queue: asyncio.Queue[bytes] = asyncio.Queue()
        listeners = request.app[LISTENERS]
        listeners.append(queue)
        try:
            while True:
                await resp.write(await queue.get())
        finally:
            listeners.remove(queue)
    if found["broadcast"] is not None:
        for queue in request.app[LISTENERS]:
            queue.put_nowait(found["broadcast"])
    return web.Response(status=found["status"], headers=found["headers"], body=found["body"])


class _Raw(asyncio.Protocol):
    ANSWER = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Type: text/plain\r\n\r\nOK"

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport
        self.pending = b""

    def data_received(self, data: bytes) -> None:
        data = self.pending + data
        n = data.count(b"\r\n\r\n")  # GET requests only: one head per blank line
        self.pending = data[data.rfind(b"\r\n\r\n") + 4:] if n else data
        if n:
            self.transport.write(self.ANSWER * n)  # type: ignore[attr-defined]


async def _raw(path: str) -> None:
    server = await asyncio.get_running_loop().create_unix_server(_Raw, path)
    async with server:
        await server.serve_forever()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--socket", required=True)
    parser.add_argument("--uvloop", action="store_true", help="run on uvloop (only when mockd does)")
    parser.add_argument("--raw", action="store_true")
    args = parser.parse_args()
    if args.uvloop:
        import uvloop

        uvloop.install()
    if os.path.exists(args.socket):
        os.unlink(args.socket)
    if args.raw:
        asyncio.run(_raw(args.socket))
        return
    app = web.Application(client_max_size=64 * 1024 ** 2)
    app[TABLE] = {}
    app[LISTENERS] = []
    app.router.add_put("/_bench/table", _set_table)
    app.router.add_route("*", "/{tail:.*}", _answer)
    web.run_app(app, path=args.socket, print=None, access_log=None)


if __name__ == "__main__":
    main()
