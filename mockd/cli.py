"""``mockd``: run the fake dockerd. ``mockd -H unix:///tmp/d.sock -H tcp://127.0.0.1:2375 --api-version 1.41``."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import errno
import logging
import os
import signal
import socket
import stat
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from aiohttp import web

from mockd.config import Config
from mockd.state import load_seed

log = logging.getLogger("mockd")
DEFAULT_TCP_PORT = 2375


class ListenerError(Exception):
    """A listener that cannot be opened (bad URL, socket taken): a clear message, exit 1."""


@dataclass(frozen=True)
class Listener:
    kind: str  # "unix" | "tcp"
    path: str = ""
    host: str = ""
    port: int = 0

    @property
    def url(self) -> str:
        if self.kind == "unix":
            return f"unix://{self.path}"
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"tcp://{host}:{self.port}"


def default_socket() -> str:
    """Per-user default: $XDG_RUNTIME_DIR/mockd.sock, else /tmp/mockd-$UID/docker.sock."""
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    if runtime and os.path.isdir(runtime) and os.access(runtime, os.W_OK):
        return os.path.join(runtime, "mockd.sock")
    return f"/tmp/mockd-{os.getuid()}/docker.sock"


def parse_host(url: str) -> Listener:
    """dockerd's -H forms: unix:///path, unix:// (default path), tcp://[host]:port, host:port, :port."""
    text = url.strip()
    if text.startswith("unix://"):
        return Listener("unix", path=text[len("unix://"):] or default_socket())
    if text.startswith(("fd://", "npipe://", "ssh://")):
        raise ListenerError(f"{text}: only unix:// and tcp:// listeners are supported")
    if "://" not in text:
        if text.startswith("/"):
            return Listener("unix", path=text)
        text = "tcp://" + text
    parts = urlsplit(text)
    if parts.scheme != "tcp":
        raise ListenerError(f"{url}: unsupported scheme {parts.scheme!r} (use unix:// or tcp://)")
    try:
        port = parts.port or DEFAULT_TCP_PORT
    except ValueError:
        raise ListenerError(f"{url}: invalid port") from None
    # Loopback unless an address is given explicitly (tcp://0.0.0.0:2375 is explicit).
    return Listener("tcp", host=parts.hostname or "127.0.0.1", port=port)


def _socket_in_use(path: str) -> bool:
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    probe.settimeout(1.0)
    try:
        probe.connect(path)
    except (ConnectionRefusedError, FileNotFoundError):
        return False
    except OSError as exc:
        if exc.errno in (errno.ECONNREFUSED, errno.ENOENT):
            return False
        raise
    finally:
        probe.close()
    return True


def prepare_unix_path(path: str) -> None:
    """Replace a stale socket file; never steal a live one; refuse to clobber a non-socket."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    if not p.exists() and not p.is_symlink():
        return
    mode = p.lstat().st_mode
    if not stat.S_ISSOCK(mode):
        raise ListenerError(f"{path} exists and is not a socket; not replacing it")
    if _socket_in_use(path):
        raise ListenerError(f"{path}: another server is listening on this socket; not taking it over")
    p.unlink()


class Server:
    """The app on its listeners, started and stopped as a unit (used by the CLI and the pytest plugin)."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.listeners = [parse_host(h) for h in (config.hosts or [f"unix://{default_socket()}"])]
        self.runner: web.AppRunner | None = None
        self._unix_paths: list[str] = []

    async def start(self) -> None:
        from mockd.app import create_app

        for listener in self.listeners:
            if listener.kind == "unix":
                prepare_unix_path(listener.path)
        app = create_app(self.config)
        self.runner = web.AppRunner(app, access_log=None, shutdown_timeout=2.0, handle_signals=False)
        await self.runner.setup()
        try:
            for listener in self.listeners:
                if listener.kind == "unix":
                    site: web.BaseSite = web.UnixSite(self.runner, listener.path)
                    await site.start()
                    os.chmod(listener.path, 0o660)
                    self._unix_paths.append(listener.path)
                else:
                    site = web.TCPSite(self.runner, listener.host, listener.port, reuse_address=True)
                    await site.start()
        except OSError as exc:
            await self.stop()
            raise ListenerError(f"cannot listen: {exc}") from None

    @property
    def app(self) -> web.Application:
        assert self.runner is not None
        return self.runner.app

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()
            self.runner = None
        for path in self._unix_paths:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)
        self._unix_paths.clear()


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="mockd", description="A fake dockerd serving every Docker Engine API version.")
    p.add_argument("-H", "--host", action="append", default=[], metavar="URL",
                   help="listener: unix:///path/to.sock or tcp://127.0.0.1:2375 (repeatable)")
    p.add_argument("--api-version", help="newest API version this daemon speaks (default: newest document)")
    p.add_argument("--min-api-version", help="oldest API version accepted (default 1.24, or the engine release's floor)")
    p.add_argument("--engine-version", help="engine version for Server:/version; alone it sets that release's API bounds")
    p.add_argument("--strict", action="store_true", help="answer requests that break their version's spec with 400")
    p.add_argument("--record", metavar="FILE.jsonl", help="write every exchange to a JSONL traffic record")
    p.add_argument("--seed", metavar="FILE", help="YAML/JSON seed: images, containers, volumes, networks, rules; "
                                                  "POST /_mockd/reset returns to it (default: $MOCKD_SEED)",
                   default=os.environ.get("MOCKD_SEED") or None)  # the one place the environment is read
    p.add_argument("--registry", default="permissive", choices=["permissive", "strict"],
                   help="strict: pulls outside the image catalog, the seed and pushed images get Docker Hub's "
                        "errors (default: permissive, any reference pulls)")
    p.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])
    p.add_argument("--experimental", action="store_true", help="report an experimental daemon")
    return p


def config_from_args(args: argparse.Namespace) -> Config:
    return Config(
        hosts=args.host, api_version=args.api_version, min_api_version=args.min_api_version,
        engine_version=args.engine_version, strict=args.strict, record=args.record, seed=args.seed,
        log_level=args.log_level, experimental=args.experimental, registry=args.registry,
    )


async def serve(config: Config) -> int:
    started = time.perf_counter()
    server = Server(config)
    await server.start()
    bounds = config.bounds()
    for listener in server.listeners:
        print(f"mockd: listening on {listener.url} (API {bounds.min_api}..{bounds.max_api}, "
              f"Docker {bounds.engine_version})", flush=True)
    print(f"export DOCKER_HOST={server.listeners[0].url}", flush=True)
    log.debug("started in %.1f ms", (time.perf_counter() - started) * 1000)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    print("mockd: shutting down", flush=True)
    await server.stop()
    return 0


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s",
                        stream=sys.stderr)
    try:
        config = config_from_args(args)
        config.bounds()  # validate the version flags before binding anything
        if config.seed:
            load_seed(config.seed)  # and the seed file: a bad one is a usage error, not a traceback
    except ValueError as exc:
        print(f"mockd: {exc}", file=sys.stderr)
        return 2
    try:
        return asyncio.run(serve(config))
    except ListenerError as exc:
        print(f"mockd: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
