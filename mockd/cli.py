"""``mockd``: run the fake dockerd. ``mockd -H unix:///tmp/d.sock -H tcp://127.0.0.1:2375 --api-version 1.41``."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import errno
import gc
import logging
import os
import signal
import socket
import ssl
import stat
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from aiohttp import web

from mockd import httpserver, tls
from mockd.config import Config
from mockd.faults import plan_from
from mockd.keys import CONTROL_ACCESS
from mockd.persist.journal import CorruptState
from mockd.state import load_seed
from mockd.tls_site import TLSSite

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


def default_token_file() -> str:
    """Next to the default socket, one per process (several mockds may run): ``mockd-control-$PID.token``."""
    return os.path.join(os.path.dirname(default_socket()), f"mockd-control-{os.getpid()}.token")


def write_token_file(path: str, token: str) -> None:
    """The control token, readable by this user only (mode 0600), in a file created afresh.

    O_EXCL|O_NOFOLLOW: never written through a symlink or into someone else's file; a stale token file
    of ours (a regular file this user owns) is replaced."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
    try:
        fd = os.open(p, flags, 0o600)
    except FileExistsError:
        info = p.lstat()
        if not stat.S_ISREG(info.st_mode) or info.st_uid != os.getuid():
            raise ListenerError(f"{path} exists and is not a token file of this user; not replacing it") from None
        p.unlink()
        fd = os.open(p, flags, 0o600)
    except OSError as exc:
        raise ListenerError(f"cannot write the control token to {path}: {exc.strerror or exc}") from None
    with os.fdopen(fd, "w") as fh:
        os.fchmod(fh.fileno(), 0o600)  # whatever the umask
        fh.write(token + "\n")


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
        # dockerd: without -H, TLS means tcp://localhost:2376 instead of the unix socket.
        default = tls.DEFAULT_TLS_HOST if config.tls else f"unix://{default_socket()}"
        self.listeners = [parse_host(h) for h in (config.hosts or [default])]
        self.runner: web.AppRunner | None = None
        self._unix_paths: list[str] = []
        self.token_file: str | None = None  # written when the control plane is on TCP (--control-on-tcp)

    @property
    def control_token(self) -> str | None:
        """The bearer token of the control plane over TCP; None when it is unix-only."""
        return self.runner.app[CONTROL_ACCESS].token if self.runner is not None else None

    async def start(self) -> None:
        from mockd.app import create_app

        ssl_context = self._tls_context()  # unusable certificates: refuse before touching any socket
        for listener in self.listeners:
            if listener.kind == "unix":
                prepare_unix_path(listener.path)
        app = create_app(self.config)
        self.runner = httpserver.runner(app)
        await self.runner.setup()
        try:
            for listener in self.listeners:
                if listener.kind == "unix":
                    site: web.BaseSite = web.UnixSite(self.runner, listener.path)
                    await site.start()
                    os.chmod(listener.path, 0o660)
                    self._unix_paths.append(listener.path)
                else:
                    if ssl_context is not None:
                        site = TLSSite(self.runner, listener.host, listener.port, ssl_context=ssl_context,
                                       reuse_address=True)
                    else:
                        site = web.TCPSite(self.runner, listener.host, listener.port, reuse_address=True)
                    await site.start()
                    for warning in tls.insecure_warnings(listener.host, self.config.tls):
                        log.warning('%s host="%s"', warning, listener.url)
        except OSError as exc:
            await self.stop()
            raise ListenerError(f"cannot listen: {exc}") from None
        # What start-up built (the specs of every version, the routes, the catalog) lives as long as the daemon:
        # out of the collector's sight, so that a full collection, which allocation-heavy container scripts
        # trigger, costs ~8 ms of the event loop instead of ~100 (issue 9, the hostile-script bound).
        gc.freeze()
        token = self.control_token
        if token is not None and any(listener.kind == "tcp" for listener in self.listeners):
            path = self.config.control_token_file or default_token_file()
            try:
                write_token_file(path, token)
            except ListenerError:
                await self.stop()
                raise
            self.token_file = path

    def _tls_context(self) -> ssl.SSLContext | None:
        """The TCP listeners' SSLContext with --tls/--tlsverify (unix sockets never use TLS, as in dockerd).

        Built even without a TCP listener: dockerd refuses unusable certificates whatever it listens on.
        """
        if self.config.tls is None:
            return None
        try:
            return tls.server_context(self.config.tls)
        except tls.TLSConfigError as exc:
            raise ListenerError(str(exc)) from None

    def describe(self, listener: Listener) -> str:
        """How a listener serves, for the start-up lines."""
        if listener.kind != "tcp" or self.config.tls is None:
            return listener.url
        return f"{listener.url} (TLS{', client certificates verified' if self.config.tls.verify else ''})"

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
        if self.token_file is not None:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.token_file)
            self.token_file = None


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="mockd", description="A fake dockerd serving every Docker Engine API version.")
    p.add_argument("-H", "--host", action="append", default=[], metavar="URL",
                   help="listener: unix:///path/to.sock or tcp://127.0.0.1:2375 (repeatable)")
    p.add_argument("--api-version", help="newest API version this daemon speaks (default: newest document)")
    p.add_argument("--min-api-version", help="oldest API version accepted (default 1.24, or the engine release's floor)")
    p.add_argument("--engine-version", help="engine version for Server:/version; alone it sets that release's API bounds")
    p.add_argument("--strict", action="store_true", help="answer requests that break their version's spec with 400")
    p.add_argument("--record", metavar="FILE.jsonl", help="write every exchange to a JSONL traffic record")
    p.add_argument("--record-dir", metavar="DIR", help="allow POST /_mockd/record/start to write records inside DIR "
                                                      "(without it the control plane cannot start a record)")
    p.add_argument("--control-on-tcp", action="store_true",
                   help="serve the control plane (/_mockd/) on TCP listeners too, behind a bearer token "
                        "(default: unix sockets only)")
    p.add_argument("--control-token-file", metavar="FILE",
                   help="where --control-on-tcp writes its token (mode 0600; default: mockd-control-$PID.token "
                        "next to the default socket)")
    p.add_argument("--seed", metavar="FILE", help="YAML/JSON seed: images, containers, volumes, networks, rules; "
                                                  "POST /_mockd/reset returns to it (default: $MOCKD_SEED)",
                   default=os.environ.get("MOCKD_SEED") or None)  # the one place the environment is read
    p.add_argument("--registry", default="permissive", choices=["permissive", "strict"],
                   help="strict: pulls outside the image catalog, the seed and pushed images get Docker Hub's "
                        "errors (default: permissive, any reference pulls)")
    p.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])
    p.add_argument("--experimental", action="store_true", help="report an experimental daemon")
    p.add_argument("--fault", action="append", default=[], metavar="SPEC",
                   help='inject a fault (repeatable; docs/mockd.md "Fault injection"): '
                        '"endpoint=GET /containers/json,kind=error,status=500,first=2"')
    tls.add_flags(p)
    # Several impersonated daemons in one process (mockd/multi.py); the options above are their defaults.
    p.add_argument("--daemon", action="append", default=[], metavar="SPEC",
                   help='one more daemon: "unix:///tmp/a.sock,api=1.41,engine=29.0,seed=FILE" (repeatable)')
    p.add_argument("--plan", metavar="FILE", help="a JSON/YAML plan of daemons: {\"daemons\": [{\"host\": ..., \"api\": ...}]}")
    p.add_argument("--data-root", metavar="DIR",
                   help="keep containers, images, volumes and networks in DIR across restarts (default: none, "
                        "the state lives in memory only)")
    p.add_argument("--publish-ports", default="loopback", choices=["loopback", "all", "off"],
                   help="where published container ports listen: 127.0.0.1 (default, reported as 0.0.0.0), every "
                        "address, or nowhere (ports still allocated and reported)")
    return p


def config_from_args(args: argparse.Namespace) -> Config:
    return Config(
        hosts=args.host, api_version=args.api_version, min_api_version=args.min_api_version,
        engine_version=args.engine_version, strict=args.strict, record=args.record, seed=args.seed,
        log_level=args.log_level, experimental=args.experimental, record_dir=args.record_dir,
        publish_ports=args.publish_ports, registry=args.registry, faults=list(args.fault), data_root=args.data_root,
        control_on_tcp=args.control_on_tcp, control_token_file=args.control_token_file,
        tls=tls.options_from_args(args, tls.default_cert_dir(os.environ)),
    )


async def serve(config: Config) -> int:
    started = time.perf_counter()
    server = Server(config)
    await server.start()
    bounds = config.bounds()
    for listener in server.listeners:
        print(f"mockd: listening on {server.describe(listener)} (API {bounds.min_api}..{bounds.max_api}, "
              f"Docker {bounds.engine_version})", flush=True)
    _print_control_plane(server)
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


def _configs(args: argparse.Namespace) -> list[Config]:
    """One Config, or one per ``--daemon``/``--plan`` entry (plus ``-H``'s daemon when given)."""
    if not (args.daemon or args.plan):
        return [config_from_args(args)]
    from mockd.multi import daemon_configs, plan_argvs, spec_argv

    argvs = [spec_argv(text) for text in args.daemon]
    if args.plan:
        argvs += plan_argvs(args.plan)
    if args.host:  # the top-level -H listeners are one more daemon with the top-level options
        argvs.insert(0, [x for h in args.host for x in ("-H", h)])
    return daemon_configs(build_parser(), args, argvs, config_from_args)


def announce(server: Server) -> None:
    """One daemon of several (``--daemon``): where it listens and where its control plane is."""
    bounds = server.config.bounds()
    for listener in server.listeners:
        print(f"mockd: listening on {listener.url} (API {bounds.min_api}..{bounds.max_api}, "
              f"Docker {bounds.engine_version})", flush=True)
    _print_control_plane(server)


def _print_control_plane(server: Server) -> None:
    """Say where the control plane is; over TCP, the token and its file."""
    tcp = [listener.url for listener in server.listeners if listener.kind == "tcp"]
    if not tcp:
        return
    if server.token_file is None:
        print("mockd: control plane (/_mockd/) on unix sockets only; --control-on-tcp serves it on "
              f"{', '.join(tcp)} with a token", flush=True)
        return
    print(f"mockd: control plane (/_mockd/) on {', '.join(tcp)}: send 'Authorization: Bearer <token>'; "
          f"token in {server.token_file} (mode 0600)", flush=True)
    print(f"mockd: control token {server.control_token}", flush=True)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s",
                        stream=sys.stderr)
    try:
        configs = _configs(args)
        for config in configs:
            config.bounds()  # validate the version flags before binding anything
            seed = load_seed(config.seed) if config.seed else {}  # a bad seed file: a usage error, no traceback
            plan_from(config.faults, seed.get("faults"))  # so are bad faults (flag or seed)
    except (ValueError, OSError) as exc:
        print(f"mockd: {exc}", file=sys.stderr)
        return 2
    try:
        if args.daemon or args.plan:
            from mockd.multi import serve_many

            return asyncio.run(serve_many(configs, Server, announce))
        return asyncio.run(serve(configs[0]))
    except (ListenerError, CorruptState) as exc:
        print(f"mockd: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
