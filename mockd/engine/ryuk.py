"""testcontainers/ryuk, the reaper, as github.com/testcontainers/moby-ryuk does it.

It talks to the daemon through the mounted docker socket (without it the ping fails and it exits 1), listens on
RYUK_PORT (8080); each connection sends filter lines in URL query form (`label=org.testcontainers.session-id=X`),
each answered `ACK\\n`. It prunes once no client connected within RYUK_CONNECTION_TIMEOUT (60s), or once the
last client has been gone for RYUK_RECONNECTION_TIMEOUT (10s), or on SIGTERM/SIGINT (at once without clients,
else after RYUK_SHUTDOWN_TIMEOUT, 10m). A prune removes the matching containers (forced, with their anonymous
volumes), networks, volumes (forced) and images, leaving reaper containers (label org.testcontainers.ryuk=true)
alone; a matching resource created after the prune check minus RYUK_RETRY_OFFSET (-1s) means "changes
detected": it waits RYUK_CHANGES_RETRY_INTERVAL (1s) and checks again. Then it exits 0.

Two generations of its log: up to 0.9 Go's `log` lines ("Started!"); from 0.10 on `log/slog` text records
(`msg=Started`). testcontainers libraries wait for the one their version expects.
"""

from __future__ import annotations

import asyncio
import re
import time
import urllib.parse
from datetime import UTC, datetime
from typing import Any

from .errors import EngineError
from .netns import Connection
from .programs import SIGINT, SIGTERM, Run, program

RYUK_LABEL = "org.testcontainers.ryuk"
DEFAULTS = {"RYUK_CONNECTION_TIMEOUT": "60s", "RYUK_RECONNECTION_TIMEOUT": "10s", "RYUK_REQUEST_TIMEOUT": "10s",
            "RYUK_SHUTDOWN_TIMEOUT": "10m", "RYUK_RETRY_OFFSET": "-1s", "RYUK_CHANGES_RETRY_INTERVAL": "1s"}
_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)")


def parse_duration(text: str) -> float:
    """Go's time.ParseDuration, in seconds (ValueError as Go's `time: invalid duration`)."""
    body = text.strip()
    sign = -1.0 if body.startswith("-") else 1.0
    body = body.lstrip("+-")
    if body == "0":
        return 0.0
    pos, total = 0, 0.0
    while pos < len(body):
        m = _PART.match(body, pos)
        if not m:
            raise ValueError(f'time: invalid duration "{text}"')
        total += float(m.group(1)) * _UNITS[m.group(2)]
        pos = m.end()
    if not body:
        raise ValueError(f'time: invalid duration "{text}"')
    return sign * total


def go_duration(seconds: float) -> str:
    """Go's Duration.String: 1m0s, 10s, -1s, 500ms, 10m0s."""
    if seconds == 0:
        return "0s"
    sign = "-" if seconds < 0 else ""
    s = abs(seconds)
    if s < 1:
        return f"{sign}{s * 1000:g}ms"
    hours, rest = divmod(s, 3600)
    minutes, secs = divmod(rest, 60)
    out = f"{secs:g}s"
    if hours or minutes:
        out = f"{int(minutes)}m" + out
    if hours:
        out = f"{int(hours)}h" + out
    return sign + out


def _slog_value(value: Any) -> str:
    text = str(value).lower() if isinstance(value, bool) else str(value)
    if not text or any(ch in text for ch in ' ="') or not text.isprintable():
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return text


class Reaper:
    """One ryuk process: its configuration, its clients and filters, its log."""

    def __init__(self, run: Run) -> None:
        self.run = run
        info = run.build_info()
        version = tuple(int(x) for x in re.findall(r"\d+", info.get("version", "0.14.0"))[:3])
        self.slog = version >= (0, 10)
        env = run.env
        self.cfg = {k: parse_duration(env.get(k) or v) for k, v in DEFAULTS.items()}
        self.port = int(env.get("RYUK_PORT") or 8080)
        self.retries = int(env.get("RYUK_REMOVE_RETRIES") or 10)
        self.verbose = (env.get("RYUK_VERBOSE") or "false").lower() in ("1", "t", "true")
        self.filters: dict[str, dict[str, list[str]]] = {}
        self.clients = 0
        self.events: asyncio.Queue[tuple[str, str]] = asyncio.Queue()

    # -- the log --
    def log(self, level: str, msg: str, **attrs: Any) -> None:
        now = datetime.now(UTC)
        if self.slog:
            stamp = now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"
            fields = "".join(f" {k}={_slog_value(v)}" for k, v in attrs.items())
            self.run.out(f"time={stamp} level={level} msg={_slog_value(msg)}{fields}\n")
        else:
            self.run.err(f"{now.strftime('%Y/%m/%d %H:%M:%S')} {msg}\n")

    # -- clients --
    async def serve(self, conn: Connection) -> None:
        addr = f"{conn.peer[0]}:{conn.peer[1]}"
        await self.events.put(("connected", addr))
        try:
            while line := await conn.readline():
                text = line.decode(errors="replace").rstrip("\r\n")
                if not text.strip():
                    if self.slog:
                        self.log("WARN", "empty filter received", address=addr)
                    continue
                self.add_filter(text.strip() if not self.slog else text, addr)
                conn.write(b"ACK\n")
        finally:
            conn.close()
            await self.events.put(("disconnected", addr))

    def add_filter(self, text: str, addr: str) -> None:
        query = urllib.parse.parse_qs(text, keep_blank_values=True)
        args: dict[str, list[str]] = {}
        for kind, values in query.items():
            if self.slog:
                self.log("INFO", "adding filter", type=kind, values="[" + " ".join(values) + "]")
            args.setdefault(kind, []).extend(v for v in values if v not in args.get(kind, []))
        # filters.Args' JSON form, as ryuk keys its filter set: {"label":{"a=b":true}}
        key = "{" + ",".join(f'"{k}":{{' + ",".join(f'"{v}":true' for v in sorted(vs)) + "}"
                             for k, vs in sorted(args.items())) + "}"
        if not self.slog:
            self.log("INFO", f"Adding {key}")
        self.filters.setdefault(key, args)

    # -- the prune condition --
    async def wait_prune(self) -> None:
        run = self.run
        loop = asyncio.get_running_loop()
        deadline: float | None = loop.time() + self.cfg["RYUK_CONNECTION_TIMEOUT"]
        signalled = False
        while True:
            timeout = None if deadline is None else max(deadline - loop.time(), 0)
            event = await self._next(timeout)
            if event is None:
                if deadline is not None and loop.time() >= deadline:
                    return
                continue
            kind, addr = event
            if kind == "signal" and not signalled:
                signalled = True
                self.log("INFO", "signal received", clients=self.clients,
                         shutdown_timeout=go_duration(self.cfg["RYUK_SHUTDOWN_TIMEOUT"]))
                run.unbind(self.port)
                deadline = loop.time() + (self.cfg["RYUK_SHUTDOWN_TIMEOUT"] if self.clients else 0)
            elif kind == "connected":
                self.clients += 1
                self.log("INFO", "client connected" if self.slog else f"New client connected: {addr}",
                         **({"address": addr, "clients": self.clients} if self.slog else {}))
                if self.clients == 1 and not signalled:
                    deadline = None
            elif kind == "disconnected":
                self.clients -= 1
                self.log("INFO", "client disconnected" if self.slog else f"Client disconnected: {addr}",
                         **({"address": addr, "clients": self.clients} if self.slog else {}))
                if self.clients == 0:
                    deadline = loop.time() + self.cfg["RYUK_RECONNECTION_TIMEOUT"]

    async def _next(self, timeout: float | None) -> tuple[str, str] | None:
        """The next client event or caught signal, or None once `timeout` passed."""
        get = asyncio.ensure_future(self.events.get())
        sig = asyncio.ensure_future(self.run.wait_signal(timeout))
        try:
            done, _ = await asyncio.wait({get, sig}, return_when=asyncio.FIRST_COMPLETED)
        finally:  # also when ryuk is killed (stop, reset): no waiter left pending on a closing loop
            for task in (get, sig):
                if not task.done():
                    task.cancel()
        if get in done:
            if sig in done and sig.result() is not None:
                self.run.ctx.pending.insert(0, sig.result())  # not lost: seen on the next round
            return get.result()
        return ("signal", "") if sig.result() is not None else None

    # -- the prune --
    async def prune(self, engine: Any) -> int:
        loop = asyncio.get_running_loop()
        shutdown = loop.time() + self.cfg["RYUK_SHUTDOWN_TIMEOUT"]
        while True:
            if self.slog:
                self.log("WARN" if self.clients else "INFO", "prune check", clients=self.clients)
            else:
                self.log("INFO", "Timeout waiting for connection")
            since = time.time() + self.cfg["RYUK_RETRY_OFFSET"]
            found, changed = self.resources(engine, since)
            if changed and loop.time() < shutdown:
                if self.slog:
                    self.log("WARN", "change detected, waiting again", error=f"{changed[0]}: changes detected")
                await asyncio.sleep(self.cfg["RYUK_CHANGES_RETRY_INTERVAL"])
                continue
            break
        counts = {kind: 0 for kind in ("containers", "networks", "volumes", "images")}
        for cid in found["containers"]:
            counts["containers"] += await _removed(engine.remove_container(cid, force=True, volumes=True))
        for nid in found["networks"]:
            counts["networks"] += await _removed(_call(engine.remove_network, nid))
        for name in found["volumes"]:
            counts["volumes"] += await _removed(_call(engine.remove_volume, name, force=True))
        for iid in found["images"]:
            counts["images"] += await _removed(_call(engine.remove_image, iid, force=False))
        if self.slog:
            self.log("INFO", "removed", **counts)
        else:
            self.log("INFO", f"Removed {counts['containers']} container(s), {counts['networks']} network(s), "
                     f"{counts['volumes']} volume(s) {counts['images']} image(s)")
        return 0

    def resources(self, engine: Any, since: float) -> tuple[dict[str, list[str]], list[str]]:
        """What the filters match, and the ones created after `since` (changes: not yet safe to remove)."""
        found: dict[str, list[str]] = {"containers": [], "networks": [], "volumes": [], "images": []}
        changed: list[str] = []

        def take(kind: str, ident: str, created_ns: int) -> None:
            if created_ns / 1e9 > since:
                changed.append(f"{kind[:-1]} {ident}")
            elif ident not in found[kind]:
                found[kind].append(ident)

        for args in self.filters.values():
            for c in engine.list_containers(all_=True, filters=args):
                if (c.config.get("Labels") or {}).get(RYUK_LABEL) != "true":
                    take("containers", c.id, c.created_ns)
            for net in list(engine.networks.networks.values()):
                if not net.predefined and engine.networks.matches(net, args):
                    take("networks", net.id, net.created_ns)
            for volume in engine.list_volumes(args):
                take("volumes", volume.name, volume.created_ns)
            for image in engine.images.list(args):
                take("images", image.id, image.created_ns)
        return found, changed


async def _call(fn: Any, *args: Any, **kwargs: Any) -> Any:
    return fn(*args, **kwargs)


async def _removed(aw: Any) -> int:
    try:
        await aw
    except EngineError:
        return 0  # not found (already gone) or in use: ryuk logs it and carries on
    return 1


@program("ryuk")
async def ryuk(run: Run) -> int:
    reaper = Reaper(run)
    link = run.ctx.net.link if run.ctx.net is not None else None
    engine = link.daemon() if link is not None else None
    if not reaper.slog:
        reaper.log("INFO", "Pinging Docker...")
    if engine is None:
        text = ("Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon "
                "running?")
        if reaper.slog:
            reaper.log("ERROR", "run", error=f"new reaper: ping: {text}")
            return 1
        run.err(f"panic: {text}\n\ngoroutine 1 [running]:\nmain.main()\n")
        return 2
    run.catch(SIGTERM, SIGINT)
    if reaper.slog:
        reaper.log("INFO", "starting", connection_timeout=go_duration(reaper.cfg["RYUK_CONNECTION_TIMEOUT"]),
                   reconnection_timeout=go_duration(reaper.cfg["RYUK_RECONNECTION_TIMEOUT"]),
                   request_timeout=go_duration(reaper.cfg["RYUK_REQUEST_TIMEOUT"]),
                   shutdown_timeout=go_duration(reaper.cfg["RYUK_SHUTDOWN_TIMEOUT"]),
                   remove_retries=reaper.retries, retry_offset=go_duration(reaper.cfg["RYUK_RETRY_OFFSET"]),
                   changes_retry_interval=go_duration(reaper.cfg["RYUK_CHANGES_RETRY_INTERVAL"]),
                   port=reaper.port, verbose=reaper.verbose)
    else:
        reaper.log("INFO", "Docker daemon is available!")
        reaper.log("INFO", f"Starting on port {reaper.port}...")
    run.bind("ryuk", reaper.port, serve=reaper.serve)
    try:
        if reaper.slog:
            reaper.log("INFO", "Started", address=f"[::]:{reaper.port}")
            reaper.log("INFO", "client processing started")
        else:
            reaper.log("INFO", "Started!")
        await reaper.wait_prune()
        run.unbind(reaper.port)
        code = await reaper.prune(engine)
        if reaper.slog:
            reaper.log("INFO", "client processing stopped")
            reaper.log("INFO", "done")
        return code
    finally:
        run.unbind(reaper.port)
