"""Simulated programs: the named behaviours the image catalog's executables refer to (`#!mockd program: NAME`).

A program runs inside the built-in shell, in the process that executes its file: it writes what the real
program prints (start-up lines, as the published images print them), stays up, ends on its stop signal with
the real exit code, and answers its own client and health commands. What a server leaves in the container
while it runs is what the real one leaves: postgres' and mysqld's unix sockets and pid files, redis' dump on
shutdown. Programs only ever touch the container's simulated filesystem; no host program runs.

The sockets a server listens on are recorded per container (`bound`, keyed by the container's root
filesystem, which every process of one container shares) so its client in another process of that container
finds it; published ports and connections from elsewhere are the port listeners' business.
"""

from __future__ import annotations

import asyncio
import json
import posixpath
import time
import weakref
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from . import http_serve, memcache, resp
from .catalog import BUILTIN_MARKER, PROGRAM_MARKER, catalog
from .filesystem import FileTree
from .netns import LOOPBACK, Handler, hold

SIGINT, SIGQUIT, SIGTERM, SIGKILL, SIGWINCH = 2, 3, 15, 9, 28
_POLL = 0.05  # how often a waiting program looks at its pending signals (the shell's own checkpoint cadence)

Program = Callable[["Run"], Awaitable[int]]
PROGRAMS: dict[str, Program] = {}
# container root filesystem -> {port or unix path: program name}, for clients in the same container
bound: weakref.WeakKeyDictionary[FileTree, dict[int | str, str]] = weakref.WeakKeyDictionary()


def program(*names: str) -> Callable[[Program], Program]:
    def register(fn: Program) -> Program:
        for name in names:
            PROGRAMS[name] = fn
        return fn
    return register


def program_name(content: bytes) -> str | None:
    """The program a marker file names, or None for any other file."""
    if not content.startswith(PROGRAM_MARKER):
        return None
    return content[len(PROGRAM_MARKER):].split(b"\n", 1)[0].decode().strip() or None


@dataclass
class Run:
    """One run of a program: the shell process it runs in (its context: filesystem, environment, signals),
    its argv and streams."""

    shell: Any  # mockd.engine.shell.Shell (not imported: the shell imports this module)
    argv: list[str]
    io: Any  # mockd.engine.shell.IO
    path: str = ""  # the executable's file, as found on PATH

    @property
    def ctx(self) -> Any:
        return self.shell.ctx

    @property
    def env(self) -> dict[str, str]:
        return self.shell.vars

    @property
    def fs(self) -> Any:
        return self.ctx.fs

    def out(self, text: str) -> None:
        self.io.out(text.encode())

    def err(self, text: str) -> None:
        self.io.err(text.encode())

    # -- the container's network namespace, as far as its own clients see it --
    def _sockets(self) -> dict[int | str, str]:
        return bound.setdefault(self.fs.root, {})

    def bind(self, name: str, *endpoints: int | str, serve: Handler | None = None) -> None:
        """Listen: unix paths are recorded for clients in this container; tcp ports also listen in the
        container's namespace, where `serve` answers each connection (default: accept and hold)."""
        net = self.ctx.net
        for endpoint in endpoints:
            self._sockets()[endpoint] = name
            if isinstance(endpoint, int) and net is not None and not net.listening(endpoint):
                net.listen(endpoint, serve or hold, owner=self.ctx.pid, gate=self.ctx.running)

    def unbind(self, *endpoints: int | str) -> None:
        net = self.ctx.net
        for endpoint in endpoints:
            self._sockets().pop(endpoint, None)
            sock = net.sockets.get(("tcp", endpoint)) if net is not None and isinstance(endpoint, int) else None
            if sock is not None and sock.owner == self.ctx.pid:
                net.close(sock)

    def listening(self, endpoint: int | str) -> str | None:
        return self._sockets().get(endpoint)

    def reaches(self, host: str, port: int) -> bool | None:
        """Whether a TCP connection from here to HOST:PORT is accepted (loopback, the container's own names, its
        peers by name or address); None: no such host. For clients that only probe (pg_isready, mysqladmin)."""
        net = self.ctx.net
        if net is None:
            return bool(self.listening(port)) if host in LOOPBACK else None
        try:
            conn = net.dial(host, port)
        except LookupError:
            return None
        if conn is None:
            return False
        conn.close()
        return True

    # -- files the program leaves --
    def write_file(self, path: str, text: str, mode: int = 0o644) -> None:
        try:
            self.fs.mkdir(posixpath.dirname(path), parents=True)
            self.fs.write(path, text.encode(), mode=mode)
        except OSError:
            pass  # a read-only rootfs or mount: the real program would log and carry on too

    def remove_file(self, path: str) -> None:
        try:
            self.fs.remove(path)
        except OSError:
            pass

    # -- signals --
    def catch(self, *signals: int) -> None:
        """Handle these signals (the real program installs handlers): they reach `wait_signal` instead of
        being ignored by PID 1 or killing the process."""
        for sig in signals:
            self.ctx.traps[sig] = "# handled by the simulated program"

    async def wait_signal(self, timeout: float | None = None) -> int | None:
        """The next caught signal, or None after `timeout` seconds. Pausing the container stops the clock."""
        loop = asyncio.get_running_loop()
        deadline = None if timeout is None else loop.time() + timeout
        while True:
            if self.ctx.pending:
                return self.ctx.pending.pop(0)
            if deadline is not None and loop.time() >= deadline:
                return None
            running = self.ctx.running
            if running is not None and not running.is_set():
                await running.wait()
            await asyncio.sleep(_POLL)

    def build_info(self) -> dict[str, str]:
        """What the binary says about itself (`--version`): the `key: value` lines after its marker."""
        try:
            content = self.fs.read(self.path) if self.path else b""
        except OSError:
            content = b""
        lines = content.decode(errors="replace").splitlines()[1:]
        return dict(line.split(": ", 1) for line in lines if ": " in line)

    async def exec(self, argv: list[str]) -> int:
        """exec(3): the program replaces itself with another executable of the container."""
        return await self.shell.exec_external(argv, self.io)


async def run_program(shell: Any, path: str, argv: list[str], io: Any) -> int | None:
    """Run the program the marker file at `path` names; None when it is no marker or names no simulation
    (the caller treats the file as opaque)."""
    try:
        name = program_name(shell.ctx.fs.read(path))
    except OSError:
        return None
    fn = PROGRAMS.get(name or "")
    if fn is None:
        return None
    return await fn(Run(shell, argv, io, path))


# -- shared shapes ------------------------------------------------------------------------------------------

def _now() -> datetime:
    return datetime.now(UTC)


def _option(argv: list[str], *names: str, default: str = "") -> str:
    """The value of `-p 6379`, `-p6379` or `--port=6379` style options."""
    for i, arg in enumerate(argv):
        for name in names:
            if arg == name and i + 1 < len(argv):
                return argv[i + 1]
            if name.startswith("--") and arg.startswith(name + "="):
                return arg.split("=", 1)[1]
            if not name.startswith("--") and arg.startswith(name) and len(arg) > len(name):
                return arg[len(name):]
    return default


def _version(run: Run, key: str, default: str) -> str:
    return run.env.get(key, default)


@program("hello-world")
async def hello_world(run: Run) -> int:
    run.out(HELLO)
    return 0


HELLO = """
Hello from Docker!
This message shows that your installation appears to be working correctly.

To generate this message, Docker took the following steps:
 1. The Docker client contacted the Docker daemon.
 2. The Docker daemon pulled the "hello-world" image from the Docker Hub.
    (amd64)
 3. The Docker daemon created a new container from that image which runs the
    executable that produces the output you are currently reading.
 4. The Docker daemon streamed that output to the Docker client, which sent it
    to your terminal.

To try something more ambitious, you can run an Ubuntu container with:
 $ docker run -it ubuntu bash

Share images, automate workflows, and more with a free Docker ID:
 https://hub.docker.com/

For more examples and ideas, visit:
 https://docs.docker.com/get-started/

"""


@program("gosu")
async def gosu(run: Run) -> int:
    """gosu USER[:GROUP] CMD...: run CMD as that user (ownership is not enforced by the simulation)."""
    if len(run.argv) < 3:
        run.err("Usage: gosu user-spec command [args]\n")
        return 1
    run.ctx.user = run.argv[1]
    return await run.exec(run.argv[2:])


# -- nginx --------------------------------------------------------------------------------------------------

_ENTRYPOINT_D = ("10-listen-on-ipv6-by-default.sh", "15-local-resolvers.envsh", "20-envsubst-on-templates.sh",
                 "30-tune-worker-processes.sh")


@program("nginx-entrypoint")
async def nginx_entrypoint(run: Run) -> int:
    """/docker-entrypoint.sh: for `nginx`/`nginx-debug` it runs the /docker-entrypoint.d steps first (their
    notices on stdout unless NGINX_ENTRYPOINT_QUIET_LOGS), then execs the command."""
    args = run.argv[1:]
    if args and args[0] in ("nginx", "nginx-debug"):
        quiet = bool(run.env.get("NGINX_ENTRYPOINT_QUIET_LOGS"))
        say = (lambda _text: None) if quiet else run.out
        me = "/docker-entrypoint.sh"
        say(f"{me}: /docker-entrypoint.d/ is not empty, will attempt to perform configuration\n")
        say(f"{me}: Looking for shell scripts in /docker-entrypoint.d/\n")
        for step in _ENTRYPOINT_D:
            if step.endswith(".envsh"):
                say(f"{me}: Sourcing /docker-entrypoint.d/{step}\n")
            else:
                say(f"{me}: Launching /docker-entrypoint.d/{step}\n")
            if step.startswith("10-"):
                _listen_on_ipv6(run, say)
        say(f"{me}: Configuration complete; ready for start up\n")
    if not args:
        return 0
    return await run.exec(args)


def _listen_on_ipv6(run: Run, say: Callable[[str], None]) -> None:
    conf = "/etc/nginx/conf.d/default.conf"
    me = "10-listen-on-ipv6-by-default.sh"
    try:
        text = run.fs.read(conf).decode()
    except OSError:
        say(f"{me}: info: {conf} is not a file or does not exist\n")
        return
    if "listen  [::]:80;" in text:
        say(f"{me}: info: IPv6 listen already enabled\n")
        return
    say(f"{me}: info: Getting the checksum of {conf}\n")
    run.write_file(conf, text.replace("listen       80;", "listen       80;\n    listen  [::]:80;", 1))
    say(f"{me}: info: Enabled listen on IPv6 in {conf}\n")


@program("nginx")
async def nginx(run: Run) -> int:
    version = _version(run, "NGINX_VERSION", "1.31.4")
    args = run.argv[1:]
    if "-v" in args or "-V" in args:
        run.err(f"nginx version: nginx/{version}\n")
        if "-V" in args:
            run.err("built by gcc 14.2.0 (Debian 14.2.0-19) \nbuilt with OpenSSL 3.5.1 1 Jul 2025\n"
                    "TLS SNI support enabled\n")
        return 0
    if "-t" in args or "-T" in args:
        run.err("nginx: the configuration file /etc/nginx/nginx.conf syntax is ok\n"
                "nginx: configuration file /etc/nginx/nginx.conf test is successful\n")
        return 0
    if "-s" in args:  # nginx -s reload|quit|stop talks to the running master: nothing to print when it is up
        return 0 if run.listening(80) else _nginx_no_master(run)
    run.catch(SIGQUIT, SIGTERM, SIGINT, 1)
    stamp = lambda: _now().strftime("%Y/%m/%d %H:%M:%S")  # noqa: E731 - nginx's error_log time format
    pid = run.ctx.pid
    notice = lambda text: run.err(f"{stamp()} [notice] {pid}#{pid}: {text}\n")  # noqa: E731
    notice('using the "epoll" event method')
    notice(f"nginx/{version}")
    notice("built by gcc 14.2.0 (Debian 14.2.0-19) ")
    notice("OS: Linux 6.1.0-mockd")
    notice("getrlimit(RLIMIT_NOFILE): 1048576:1048576")
    notice("start worker processes")
    for n in range(2):
        notice(f"start worker process {pid + 28 + n}")
    site = http_serve.static_site(run.fs, _DOCROOTS["nginx"], http_serve.nginx_not_found(version))
    run.bind("nginx", 80, serve=http_serve.http_server(f"nginx/{version}", site))
    run.write_file("/run/nginx.pid", f"{pid}\n")
    try:
        while True:
            sig = await run.wait_signal()
            if sig == 1:
                notice("signal 1 (SIGHUP) received from 0, reconfiguring")
                continue
            name = {SIGQUIT: "SIGQUIT", SIGTERM: "SIGTERM", SIGINT: "SIGINT"}[sig]
            if sig == SIGQUIT:
                notice(f"signal {sig} ({name}) received from 0, shutting down")
                for n in range(2):
                    notice(f"gracefully shutting down worker process {pid + 28 + n}")
            else:
                notice(f"signal {sig} ({name}) received from 0, exiting")
            for n in range(2):
                notice(f"exit worker process {pid + 28 + n}" if sig == SIGQUIT else
                       f"exiting worker process {pid + 28 + n}")
            notice("exit")
            return 0
    finally:
        run.unbind(80)
        run.remove_file("/run/nginx.pid")


def _nginx_no_master(run: Run) -> int:
    stamp = _now().strftime("%Y/%m/%d %H:%M:%S")
    run.err('nginx: [error] open() "/run/nginx.pid" failed (2: No such file or directory)\n'
            if not run.fs.exists("/run/nginx.pid") else f"{stamp} [error] invalid PID number\n")
    return 1


# -- redis --------------------------------------------------------------------------------------------------

@program("redis-entrypoint")
async def redis_entrypoint(run: Run) -> int:
    """docker-entrypoint.sh: options or a .conf file as first argument mean redis-server; redis-server runs as
    the redis user (gosu) and, unless its config file sets protected-mode, with `--protected-mode no`, so that
    other containers may connect."""
    args = run.argv[1:]
    if args and (args[0].startswith("-") or args[0].endswith(".conf")):
        args = ["redis-server", *args]
    if not args:
        return 0
    if args[0] == "redis-server":
        if run.ctx.user in ("", "0", "root"):
            run.ctx.user = "redis"  # exec gosu redis "$0" "$@"
        config = args[1] if len(args) > 1 and run.fs.exists(args[1]) else ""
        protected = bool(config) and any(line.startswith("protected-mode")
                                         for line in run.fs.read(config).decode(errors="replace").splitlines())
        if not protected:
            args = ["redis-server", *([config] if config else []), "--protected-mode", "no",
                    *args[1 + bool(config):]]
    return await run.exec(args)


def _redis_stamp(role: str, pid: int) -> str:
    now = _now()
    return f"{pid}:{role} {now.strftime('%d %b %Y %H:%M:%S')}.{now.microsecond // 1000:03d}"


@program("redis-server")
async def redis_server(run: Run) -> int:
    version = _version(run, "REDIS_VERSION", "8.10.1")
    args = run.argv[1:]
    if "--version" in args or "-v" in args:
        run.out(f"Redis server v={version} sha=00000000:0 malloc=jemalloc-5.3.0 bits=64 build=0000000000000000\n")
        return 0
    port = int(_option(args, "--port", default="6379") or 6379)
    pid = run.ctx.pid
    run.catch(SIGTERM, SIGINT)
    log = lambda role, mark, text: run.out(f"{_redis_stamp(role, pid)} {mark} {text}\n")  # noqa: E731
    log("C", "*", "oO0OoO0OoO0Oo Redis is starting oO0OoO0OoO0Oo")
    log("C", "*", f"Redis version={version}, bits=64, commit=00000000, modified=0, pid={pid}, just started")
    if args:  # a config file or options: redis says so; without either it warns
        log("C", "*", "Configuration loaded")
    else:
        log("C", "#", "Warning: no config file specified, using the default config. In order to specify a config "
                      f"file use {run.argv[0]} /path/to/redis.conf")
    log("M", "*", "monotonic clock: POSIX clock_gettime")
    log("M", "*", f"Running mode=standalone, port={port}.")
    log("M", "*", "Server initialized")
    log("M", "*", "Ready to accept connections tcp")
    run.bind("redis-server", port, serve=resp.redis_server(resp.Keyspace(version=version, port=port)))
    try:
        sig = None
        while sig not in (SIGTERM, SIGINT):
            sig = await run.wait_signal()
        name = "SIGTERM" if sig == SIGTERM else "SIGINT"
        run.out(f"{pid}:signal-handler ({int(time.time())}) Received {name} scheduling shutdown...\n")
        log("M", "*", "User requested shutdown...")
        log("M", "*", "Saving the final RDB snapshot before exiting.")
        run.write_file(posixpath.join(run.shell.cwd, "dump.rdb"), f"REDIS0012\xfa\tredis-ver{version}")
        log("M", "*", "DB saved on disk")
        log("M", "#", "Redis is now ready to exit, bye bye...")
        return 0
    finally:
        run.unbind(port)


@program("redis-cli")
async def redis_cli(run: Run) -> int:
    args = run.argv[1:]
    host = _option(args, "-h", default="127.0.0.1")
    port = int(_option(args, "-p", default="6379") or 6379)
    words = _positional(args, with_value=("-h", "-p", "-a", "-n", "-u", "--user", "--pass"))
    if "--version" in args or "-v" in args:
        run.out(f"redis-cli {_version(run, 'REDIS_VERSION', '8.10.1')}\n")
        return 0
    net = run.ctx.net
    try:
        conn = net.dial(host, port) if net is not None else None
    except LookupError:
        run.err(f"Could not connect to Redis at {host}:{port}: Name or service not known\n")
        return 1
    if conn is None:
        run.err(f"Could not connect to Redis at {host}:{port}: Connection refused\n")
        return 1
    db = _option(args, "-n", default="")
    try:
        if db:
            conn.write(resp.command_bytes(["SELECT", db]))
            await resp.read_reply(conn)
        conn.write(resp.command_bytes(words or ["PING"]))
        reply = await resp.read_reply(conn)
    except ConnectionError as err:
        run.err(f"Error: {err}\n")
        return 1
    finally:
        conn.close()
    run.out(_cli_text(reply, tty=run.ctx.tty))
    return 0


def _cli_text(reply: object, tty: bool) -> str:
    """How redis-cli prints a reply: raw (one value a line) when its output is not a terminal."""
    if isinstance(reply, resp.RedisError):
        return f"(error) {reply}\n" if tty else f"{reply}\n"
    if reply is None:
        return "(nil)\n" if tty else "\n"
    if isinstance(reply, int):
        return f"(integer) {reply}\n" if tty else f"{reply}\n"
    if isinstance(reply, list):
        if tty:
            return "".join(f"{i}) {_cli_text(x, True)}" for i, x in enumerate(reply, 1)) or "(empty array)\n"
        return "".join(_cli_text(x, False) for x in reply)
    return f'"{reply}"\n' if tty and reply not in ("OK", "PONG") else f"{reply}\n"


def _positional(args: list[str], with_value: tuple[str, ...]) -> list[str]:
    out, skip = [], False
    for arg in args:
        if skip:
            skip = False
        elif arg in with_value:
            skip = True
        elif not arg.startswith("-"):
            out.append(arg)
    return out


# -- postgres -----------------------------------------------------------------------------------------------

def _pg_stamp() -> str:
    now = _now()
    return f"{now.strftime('%Y-%m-%d %H:%M:%S')}.{now.microsecond // 1000:03d} UTC"


def _pg_banner(run: Run) -> str:
    pg_version = _version(run, "PG_VERSION", "18.6")
    short = pg_version.split("-")[0]
    if "pgdg" in pg_version:
        return (f"PostgreSQL {short} (Debian {pg_version}) on x86_64-pc-linux-gnu, compiled by gcc (Debian "
                "14.2.0-19) 14.2.0, 64-bit")
    return f"PostgreSQL {short} on x86_64-pc-linux-musl, compiled by gcc (Alpine 14.2.0) 14.2.0, 64-bit"


@program("postgres-entrypoint")
async def postgres_entrypoint(run: Run) -> int:
    """docker-entrypoint.sh: options as first argument mean postgres; an empty PGDATA is initialised (initdb,
    a temporary server for /docker-entrypoint-initdb.d, stopped again) before the server starts."""
    args = run.argv[1:]
    if args and args[0].startswith("-"):
        args = ["postgres", *args]
    if not args or args[0] != "postgres" or "--help" in args or "-V" in args or "--version" in args:
        return await run.exec(args) if args else 0
    pgdata = run.env.get("PGDATA", "/var/lib/postgresql/data")
    if not run.fs.exists(posixpath.join(pgdata, "PG_VERSION")):
        password = run.env.get("POSTGRES_PASSWORD", "")
        method = run.env.get("POSTGRES_HOST_AUTH_METHOD", "")
        if not password and method != "trust":
            run.err(_PG_NO_PASSWORD)
            return 1
        _pg_initdb(run, pgdata)
        me = "/usr/local/bin/docker-entrypoint.sh"
        run.out("waiting for server to start....")
        tmp = 48
        run.err(f"{_pg_stamp()} [{tmp}] LOG:  starting {_pg_banner(run)}\n")
        run.err(f'{_pg_stamp()} [{tmp}] LOG:  listening on Unix socket "/var/run/postgresql/.s.PGSQL.5432"\n')
        run.err(f"{_pg_stamp()} [{tmp + 3}] LOG:  database system was shut down at {_pg_stamp()[:19]} UTC\n")
        run.err(f"{_pg_stamp()} [{tmp}] LOG:  database system is ready to accept connections\n")
        run.out(" done\nserver started\n")
        database = run.env.get("POSTGRES_DB") or run.env.get("POSTGRES_USER") or "postgres"
        if database != "postgres":
            run.out("CREATE DATABASE\n")
        run.out("\n")
        scripts = _initdb_scripts(run) or ["*"]  # an empty directory: the shell's unmatched glob, ignored
        for script in scripts:
            verb = "running" if script.endswith((".sh", ".sql", ".sql.gz", ".sql.xz", ".sql.zst")) else "ignoring"
            run.out(f"{me}: {verb} /docker-entrypoint-initdb.d/{script}\n")
            run.out("\n\n" if ".sql" in script else "\n")
        run.out("waiting for server to shut down...")
        run.err(f"{_pg_stamp()} [{tmp}] LOG:  received fast shutdown request\n")
        run.out(".")
        run.err(f"{_pg_stamp()} [{tmp}] LOG:  aborting any active transactions\n")
        run.err(f'{_pg_stamp()} [{tmp}] LOG:  background worker "logical replication launcher" (PID {tmp + 6}) '
                "exited with exit code 1\n")
        run.err(f"{_pg_stamp()} [{tmp + 1}] LOG:  shutting down\n")
        run.err(f"{_pg_stamp()} [{tmp}] LOG:  database system is shut down\n")
        run.out(" done\nserver stopped\n\nPostgreSQL init process complete; ready for start up.\n\n")
    else:
        run.out("\nPostgreSQL Database directory appears to contain a database; Skipping initialization\n\n")
    run.ctx.user = run.ctx.user if run.ctx.user not in ("", "0", "root") else "postgres"  # exec gosu postgres
    return await run.exec(args)


_PG_NO_PASSWORD = """Error: Database is uninitialized and superuser password is not specified.
       You must specify POSTGRES_PASSWORD to a non-empty value for the
       superuser. For example, "-e POSTGRES_PASSWORD=password" on "docker run".

       You may also use "POSTGRES_HOST_AUTH_METHOD=trust" to allow all
       connections without a password. This is *not* recommended.

       See PostgreSQL documentation about "trust":
       https://www.postgresql.org/docs/current/auth-trust.html
"""


def _initdb_scripts(run: Run) -> list[str]:
    try:
        return run.fs.listdir("/docker-entrypoint-initdb.d")
    except OSError:
        return []


def _pg_initdb(run: Run, pgdata: str) -> None:
    user = run.env.get("POSTGRES_USER", "postgres")
    run.out(f'The files belonging to this database system will be owned by user "{user if user else "postgres"}".\n'
            "This user must also own the server process.\n\n"
            'The database cluster will be initialized with locale "en_US.utf8".\n'
            'The default database encoding has accordingly been set to "UTF8".\n'
            'The default text search configuration will be set to "english".\n\n'
            "Data page checksums are disabled.\n\n"
            f"fixing permissions on existing directory {pgdata} ... ok\n"
            "creating subdirectories ... ok\n"
            "selecting dynamic shared memory implementation ... posix\n"
            'selecting default "max_connections" ... 100\n'
            'selecting default "shared_buffers" ... 128MB\n'
            "selecting default time zone ... Etc/UTC\n"
            "creating configuration files ... ok\n"
            "running bootstrap script ... ok\n"
            "performing post-bootstrap initialization ... ok\n"
            "syncing data to disk ... ok\n\n\n"
            "Success. You can now start the database server using:\n\n"
            f"    pg_ctl -D {pgdata} -l logfile start\n\n")
    major = _version(run, "PG_MAJOR", "18")
    run.write_file(posixpath.join(pgdata, "PG_VERSION"), f"{major}\n")
    run.write_file(posixpath.join(pgdata, "postgresql.conf"), "listen_addresses = '*'\n")
    run.write_file(posixpath.join(pgdata, "pg_hba.conf"), "local all all trust\nhost all all all scram-sha-256\n")
    run.err('initdb: warning: enabling "trust" authentication for local connections\n'
            "initdb: hint: You can change this by editing pg_hba.conf or using the option -A, or --auth-local "
            "and --auth-host, the next time you run initdb.\n")


_PG_SOCKET = "/var/run/postgresql/.s.PGSQL.5432"


def _pg_version_asked(run: Run) -> bool:
    """`postgres --version`, `psql -V`, ...: answered with the image's release."""
    if "--version" not in run.argv and "-V" not in run.argv:
        return False
    name = posixpath.basename(run.argv[0])
    run.out(f"{name} (PostgreSQL) {_version(run, 'PG_VERSION', '18.6').split('-')[0]}\n")
    return True


@program("postgres")
async def postgres(run: Run) -> int:
    args = run.argv[1:]
    if _pg_version_asked(run):
        return 0
    if run.ctx.user in ("", "0", "root"):
        run.err('"root" execution of the PostgreSQL server is not permitted.\n'
                "The server must be started under an unprivileged user ID to prevent\n"
                "possible system security compromise.  See the documentation for\n"
                "more information on how to properly start the server.\n")
        return 1
    pgdata = _option(args, "-D", default=run.env.get("PGDATA", "/var/lib/postgresql/data"))
    pid = run.ctx.pid
    run.catch(SIGTERM, SIGINT, SIGQUIT)
    log = lambda p, text: run.err(f"{_pg_stamp()} [{p}] LOG:  {text}\n")  # noqa: E731
    log(pid, f"starting {_pg_banner(run)}")
    log(pid, 'listening on IPv4 address "0.0.0.0", port 5432')
    log(pid, 'listening on IPv6 address "::", port 5432')
    log(pid, f'listening on Unix socket "{_PG_SOCKET}"')
    log(pid + 27, f"database system was shut down at {_pg_stamp()[:19]} UTC")
    log(pid, "database system is ready to accept connections")
    run.write_file(posixpath.join(pgdata, "postmaster.pid"), f"{pid}\n{pgdata}\n")
    run.write_file(_PG_SOCKET, "", mode=0o777)
    run.write_file(_PG_SOCKET + ".lock", f"{pid}\n")
    run.bind("postgres", 5432, _PG_SOCKET)
    try:
        sig = await run.wait_signal()
        kind = {SIGTERM: "smart", SIGINT: "fast", SIGQUIT: "immediate"}[sig]
        log(pid, f"received {kind} shutdown request")
        if sig != SIGQUIT:
            if sig == SIGINT:
                log(pid, "aborting any active transactions")
            log(pid, f'background worker "logical replication launcher" (PID {pid + 30}) exited with exit code 1')
            log(pid + 25, "shutting down")
        log(pid, "database system is shut down")
        return 0
    finally:
        run.unbind(5432, _PG_SOCKET)
        for path in (_PG_SOCKET, _PG_SOCKET + ".lock", posixpath.join(pgdata, "postmaster.pid")):
            run.remove_file(path)


@program("pg_isready")
async def pg_isready(run: Run) -> int:
    args = run.argv[1:]
    host = _option(args, "-h", "--host", default=run.env.get("PGHOST", "/var/run/postgresql"))
    port = _option(args, "-p", "--port", default=run.env.get("PGPORT", "5432"))
    quiet = "-q" in args or "--quiet" in args
    up = run.listening(_PG_SOCKET) if host.startswith("/") else run.reaches(host, int(port))  # unknown host too
    if not quiet:
        run.out(f"{host}:{port} - {'accepting connections' if up else 'no response'}\n")
    return 0 if up else 2


# -- mysql and mariadb --------------------------------------------------------------------------------------

_MYSQL_SOCKET = "/var/run/mysqld/mysqld.sock"


@program("mysql-entrypoint", "mariadb-entrypoint")
async def mysql_entrypoint(run: Run) -> int:
    """docker-entrypoint.sh of mysql and mariadb: options as first argument mean the server; run as the mysql
    user; an empty datadir needs a root password choice, then is initialised (with a temporary server)."""
    args = run.argv[1:]
    mariadb = run.fs.exists("/usr/sbin/mariadbd")
    server = "mariadbd" if mariadb else "mysqld"
    if args and args[0].startswith("-"):
        args = [server, *args]
    if args and args[0] in ("mysqld", "mariadbd") and not any(h in args for h in ("--help", "--version", "-V")):
        product = "MariaDB" if mariadb else "MySQL"
        version = run.env.get("MARIADB_VERSION" if mariadb else "MYSQL_VERSION", "")
        note = lambda text: run.out(f"{_mysql_date()} [Note] [Entrypoint]: {text}\n")  # noqa: E731
        note(f"Entrypoint script for {product} Server {version} started.")
        if run.ctx.user in ("", "0", "root"):
            note("Switching to dedicated user 'mysql'")
            run.ctx.user = "mysql"  # exec gosu mysql "$BASH_SOURCE" "$@": the script starts over
            note(f"Entrypoint script for {product} Server {version} started.")
        if not run.fs.exists("/var/lib/mysql/mysql"):
            missing = _mysql_missing_password(run, mariadb)
            if missing:
                run.err(f"{_mysql_date()} [ERROR] [Entrypoint]: {missing}\n")
                return 1
            note("Initializing database files")
            run.write_file("/var/lib/mysql/mysql/db.opt", "default-character-set=utf8mb4\n")
            note("Database files initialized")
            note("Starting temporary server")
            if mariadb:
                note("Waiting for server startup")
            # The temporary server logs as the real one does, so "ready for connections" comes twice (waits count it).
            _mysqld_started(run, mariadb, _mysqld_version(run, mariadb), run.ctx.pid + 1, port=0)
            note("Temporary server started.")
            database = run.env.get("MARIADB_DATABASE" if mariadb else "MYSQL_DATABASE") or \
                (run.env.get("MYSQL_DATABASE") if mariadb else "")
            if database:
                note(f"Creating database {database}")
            note("Stopping temporary server")
            _mysqld_stopped(run, mariadb, _mysqld_version(run, mariadb), temporary=True)
            note("Temporary server stopped")
            run.out("\n")
            note(f"{product} init process done. Ready for start up.")
            run.out("\n")
    if not args:
        return 0
    return await run.exec(args)


def _mysql_date() -> str:
    return _now().strftime("%Y-%m-%d %H:%M:%S+00:00")  # date --rfc-3339=seconds


def _mysql_missing_password(run: Run, mariadb: bool) -> str:
    """The entrypoint's refusal when no root password option is set ("" when one is)."""
    if mariadb:
        options = ("ROOT_PASSWORD", "ROOT_PASSWORD_HASH", "ALLOW_EMPTY_ROOT_PASSWORD", "RANDOM_ROOT_PASSWORD")
        # The MariaDB image also reads the MYSQL_ names of these.
        if any(run.env.get(f"MARIADB_{o}") or run.env.get(f"MYSQL_{o}") for o in options) or \
                run.env.get("MYSQL_ALLOW_EMPTY_PASSWORD"):
            return ""
        return ("Database is uninitialized and password option is not specified\n\tYou need to specify one of "
                "MARIADB_ROOT_PASSWORD, MARIADB_ROOT_PASSWORD_HASH, MARIADB_ALLOW_EMPTY_ROOT_PASSWORD and "
                "MARIADB_RANDOM_ROOT_PASSWORD")
    if any(run.env.get(k) for k in ("MYSQL_ROOT_PASSWORD", "MYSQL_ALLOW_EMPTY_PASSWORD", "MYSQL_RANDOM_ROOT_PASSWORD")):
        return ""
    return ("Database is uninitialized and password option is not specified\n    You need to specify one of the "
            "following as an environment variable:\n    - MYSQL_ROOT_PASSWORD\n    - MYSQL_ALLOW_EMPTY_PASSWORD\n"
            "    - MYSQL_RANDOM_ROOT_PASSWORD")


def _mysqld_version(run: Run, mariadb: bool) -> str:
    return (run.env.get("MARIADB_VERSION", "1:12.3.2+maria").split(":")[-1].split("+")[0] if mariadb
            else run.env.get("MYSQL_VERSION", "9.7.2-1.el9").split("-")[0])


def _mysqld_started(run: Run, mariadb: bool, version: str, pid: int, port: int) -> None:
    """The server's start-up lines up to "ready for connections"; port 0 is the entrypoint's temporary server
    (--skip-networking: no TCP sockets, so none are announced)."""
    stamp = _now().strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    if mariadb:
        when = _now().strftime("%Y-%m-%d %H:%M:%S")
        lines = [f"{when} 0 [Note] Starting MariaDB {version}-MariaDB-ubu2404 source revision  server_uid  "
                 f"as process {pid}", f"{when} 0 [Note] InnoDB: Buffer pool(s) load completed"]
        if port:
            lines += [f"{when} 0 [Note] Server socket created on IP: '0.0.0.0', port: '{port}'.",
                      f"{when} 0 [Note] Server socket created on IP: '::', port: '{port}'."]
        lines += [f"{when} 0 [Note] mariadbd: ready for connections.",
                  f"Version: '{version}-MariaDB-ubu2404'  socket: '/run/mysqld/mysqld.sock'  port: {port}  "
                  "mariadb.org binary distribution"]
    else:
        xplugin = ("Bind-address: '::' port: 33060, socket: /var/run/mysqld/mysqlx.sock" if port
                   else "Socket: /var/run/mysqld/mysqlx.sock")
        lines = [f"{stamp} 0 [System] [MY-015015] [Server] MySQL Server - start.",
                 f"{stamp} 0 [System] [MY-010116] [Server] /usr/sbin/mysqld ({version}) starting as process {pid}",
                 f"{stamp} 0 [System] [MY-011323] [Server] X Plugin ready for connections. {xplugin}",
                 f"{stamp} 0 [System] [MY-010931] [Server] /usr/sbin/mysqld: ready for connections. Version: "
                 f"'{version}'  socket: '/var/run/mysqld/mysqld.sock'  port: {port}  MySQL Community Server - GPL."]
    run.err("".join(line + "\n" for line in lines))


def _mysqld_stopped(run: Run, mariadb: bool, version: str, temporary: bool) -> None:
    """The shutdown lines: on a signal, or the temporary server's (the entrypoint's `mysqladmin shutdown` as root)."""
    if mariadb:
        when = _now().strftime("%Y-%m-%d %H:%M:%S")
        run.err(f"{when} 0 [Note] mariadbd (initiated by: {'root[root] @ localhost []' if temporary else 'unknown'}"
                f"): Normal shutdown\n{when} 0 [Note] mariadbd: Shutdown complete\n\n")
        return
    stamp = _now().strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    by = "root" if temporary else "<via user signal>"
    run.err(f"{stamp} 0 [System] [MY-013172] [Server] Received SHUTDOWN from user {by}. Shutting down mysqld "
            f"(Version: {version}).\n"
            f"{stamp} 0 [System] [MY-010910] [Server] /usr/sbin/mysqld: Shutdown complete (mysqld {version})  "
            "MySQL Community Server - GPL.\n"
            f"{stamp} 0 [System] [MY-015016] [Server] MySQL Server - end.\n")


@program("mysqld", "mariadbd")
async def mysqld(run: Run) -> int:
    mariadb = posixpath.basename(run.argv[0]) == "mariadbd" or run.fs.exists("/usr/sbin/mariadbd")
    args = run.argv[1:]
    version = _mysqld_version(run, mariadb)
    if "--version" in args or "-V" in args:
        run.out(f"mariadbd  Ver {version}-MariaDB-ubu2404 for debian-linux-gnu on x86_64 (mariadb.org binary "
                "distribution)\n" if mariadb else f"/usr/sbin/mysqld  Ver {version} for Linux on x86_64 (MySQL "
                "Community Server - GPL)\n")
        return 0
    pid = run.ctx.pid
    run.catch(SIGTERM, SIGINT, SIGQUIT)
    _mysqld_started(run, mariadb, version, pid, port=3306)
    run.write_file(_MYSQL_SOCKET, "", mode=0o777)
    run.write_file("/var/run/mysqld/mysqld.pid", f"{pid}\n")
    run.bind("mariadbd" if mariadb else "mysqld", 3306, _MYSQL_SOCKET)
    try:
        await run.wait_signal()
        _mysqld_stopped(run, mariadb, version, temporary=False)
        return 0
    finally:
        run.unbind(3306, _MYSQL_SOCKET)
        run.remove_file(_MYSQL_SOCKET)
        run.remove_file("/var/run/mysqld/mysqld.pid")


@program("mysqladmin", "mariadb-admin")
async def mysqladmin(run: Run) -> int:
    args = run.argv[1:]
    words = _positional(args, with_value=("-h", "-P", "-u", "-p", "--host", "--port", "--user", "-S", "--socket"))
    host = _option(args, "-h", "--host", default="localhost")
    port = int(_option(args, "-P", "--port", default="3306") or 3306)
    local = host == "localhost"  # the client library's rule: "localhost" means the socket, anything else TCP
    up = run.listening(_MYSQL_SOCKET) or run.listening(3306) if local else run.reaches(host, port)
    me = posixpath.basename(run.argv[0])
    if words[:1] == ["ping"]:
        if up:
            run.out("mysqld is alive\n")
            return 0
        run.err(f"{me}: connect to server at '{host}' failed\nerror: " + (
            f"'Can't connect to local server through socket '{_MYSQL_SOCKET}' (2)'\nCheck that mysqld is running "
            f"and that the socket: '{_MYSQL_SOCKET}' exists!\n" if local else
            f"'Unknown MySQL server host '{host}' (-2)'\n" if up is None else
            f"'Can't connect to MySQL server on '{host}:{port}' (111)'\n"))
        return 1
    if words[:1] == ["status"] and up:
        run.out("Uptime: 1  Threads: 2  Questions: 1  Slow queries: 0  Opens: 119  Open tables: 38  Queries per "
                "second avg: 1.000\n")
        return 0
    run.err(f"mockd: {me} {' '.join(words)} is not simulated; script it with a rule\n")
    return 1


@program("mariadb-healthcheck")
async def mariadb_healthcheck(run: Run) -> int:
    """healthcheck.sh --connect --innodb_initialized (the checks compose files use): the server answers."""
    return 0 if run.listening(3306) or run.listening(_MYSQL_SOCKET) else 1


# -- servers that start, log their readiness and stop on SIGTERM ---------------------------------------------

@program("memcached-entrypoint", "node-entrypoint", "php-entrypoint", "temurin-entrypoint", "traefik-entrypoint",
         "registry-entrypoint", "mongo-entrypoint", "rabbitmq-entrypoint")
async def plain_entrypoint(run: Run) -> int:
    """Entrypoints that hand options to the image's main program and exec everything else as given."""
    default = {"memcached-entrypoint": "memcached", "php-entrypoint": "php", "traefik-entrypoint": "traefik",
               "registry-entrypoint": "registry", "mongo-entrypoint": "mongod",
               "rabbitmq-entrypoint": "rabbitmq-server", "node-entrypoint": "node"}
    name = program_name(run.fs.read(run.path)) if run.path else ""
    args = run.argv[1:]
    target = default.get(name)
    if args and args[0].startswith("-") and target:
        args = [target, *args]
    if name == "registry-entrypoint" and args and args[0].endswith((".yml", ".yaml")):
        args = ["registry", "serve", *args]
    if not args:
        return 0
    return await run.exec(args)


@program("memcached")
async def memcached(run: Run) -> int:
    args = run.argv[1:]
    if "-V" in args or "--version" in args:
        run.out(f"memcached {_version(run, 'MEMCACHED_VERSION', '1.6.45')}\n")
        return 0
    if run.ctx.user in ("", "0", "root") and "-u" not in args:
        run.err("can't run as root without the -u switch\n")
        return 64
    cache = memcache.Cache(version=_version(run, "MEMCACHED_VERSION", "1.6.45"))
    port = int(_option(args, "-p", "--port", default="11211") or 11211)
    return await _serve(run, "memcached", port, [], serve=memcache.memcached_server(cache))


@program("httpd-foreground")
async def httpd_foreground(run: Run) -> int:
    run.remove_file("/usr/local/apache2/logs/httpd.pid")
    return await run.exec(["httpd", "-DFOREGROUND", *run.argv[1:]])


@program("apache-httpd")
async def apache_httpd(run: Run) -> int:
    args = run.argv[1:]
    version = _version(run, "HTTPD_VERSION", "2.4.68")
    if "-v" in args:
        run.out(f"Server version: Apache/{version} (Unix)\nServer built:   Aug  1 2026 00:00:00\n")
        return 0
    now = _now()
    when = now.strftime("%a %b %d %H:%M:%S.%f %Y")
    pid = run.ctx.pid
    lines = [f"AH00558: httpd: Could not reliably determine the server's fully qualified domain name, using "
             f"{_ip(run)}. Set the 'ServerName' directive globally to suppress this message\n"] * 2 + [
        f"[{when}] [mpm_event:notice] [pid {pid}:tid {pid}] AH00489: Apache/{version} (Unix) configured -- "
        "resuming normal operations\n",
        f"[{when}] [core:notice] [pid {pid}:tid {pid}] AH00094: Command line: 'httpd -D FOREGROUND'\n"]
    site = http_serve.static_site(run.fs, _DOCROOTS["httpd"], http_serve.HTTPD_NOT_FOUND)
    return await _serve(run, "httpd", 80, lines, stop={SIGWINCH: 0, SIGTERM: 0},
                        serve=http_serve.http_server(f"Apache/{version} (Unix)", site))


def _ip(run: Run) -> str:
    try:
        for line in run.fs.read("/etc/hosts").decode().splitlines():
            parts = line.split()
            if len(parts) > 1 and run.ctx.hostname in parts[1:] and not parts[0].startswith("127."):
                return parts[0]
    except OSError:
        pass
    return "172.17.0.2"


async def _serve(run: Run, name: str, port: int, lines: list[str], stop: dict[int, int] | None = None,
                 serve: Handler | None = None) -> int:
    """A server that prints its start-up lines (stderr), listens (`serve` answers its connections; default:
    accept and hold), and exits with `stop[signal]`."""
    stop = stop or {SIGTERM: 0, SIGINT: 0}
    run.catch(*stop)
    for line in lines:
        run.err(line)
    run.bind(name, port, serve=serve)
    try:
        sig = await run.wait_signal()
        return stop.get(sig or SIGTERM, 0)
    finally:
        run.unbind(port)


# -- mongo, rabbitmq, traefik, registry --------------------------------------------------------------------

def _mongo_log(run: Run, severity: str, component: str, log_id: int, ctx: str, msg: str, attr: dict) -> None:
    """mongod's structured log line (4.4 and later), one JSON document per line."""
    stamp = _now().strftime("%Y-%m-%dT%H:%M:%S.") + f"{_now().microsecond // 1000:03d}+00:00"
    doc = {"t": {"$date": stamp}, "s": severity, "c": component, "id": log_id, "ctx": ctx, "msg": msg}
    if attr:
        doc["attr"] = attr
    run.out(json.dumps(doc, separators=(",", ":")) + "\n")


@program("mongod")
async def mongod(run: Run) -> int:
    args = run.argv[1:]
    version = _version(run, "MONGO_VERSION", "8.0.29")
    if "--version" in args:
        run.out(f"db version v{version}\nBuild Info: {{\n    \"version\": \"{version}\"\n}}\n")
        return 0
    port = int(_option(args, "--port", default="27017") or 27017)
    run.catch(SIGTERM, SIGINT)
    pid = run.ctx.pid
    _mongo_log(run, "I", "CONTROL", 23285, "main", "Automatically disabling TLS 1.0, to force-enable TLS 1.0 "
               "specify --sslDisabledProtocols 'none'", {})
    _mongo_log(run, "I", "CONTROL", 4615611, "initandlisten", "MongoDB starting",
               {"pid": pid, "port": port, "dbPath": "/data/db", "architecture": "64-bit", "host": run.ctx.hostname})
    _mongo_log(run, "I", "CONTROL", 23403, "initandlisten", "Build Info", {"buildInfo": {"version": version}})
    _mongo_log(run, "I", "NETWORK", 23015, "listener", "Listening on", {"address": "/tmp/mongodb-27017.sock"})
    _mongo_log(run, "I", "NETWORK", 23015, "listener", "Listening on", {"address": "0.0.0.0"})
    _mongo_log(run, "I", "NETWORK", 23016, "listener", "Waiting for connections", {"port": port, "ssl": "off"})
    run.write_file("/tmp/mongodb-27017.sock", "", mode=0o700)
    run.bind("mongod", port)
    try:
        sig = await run.wait_signal()
        _mongo_log(run, "I", "CONTROL", 23377, "SignalHandler", "Received signal",
                   {"signal": sig, "error": "Terminated" if sig == SIGTERM else "Interrupt"})
        _mongo_log(run, "I", "CONTROL", 4784900, "SignalHandler", "Shutdown started", {})
        _mongo_log(run, "I", "CONTROL", 20565, "SignalHandler", "Now exiting", {})
        _mongo_log(run, "I", "CONTROL", 8423404, "SignalHandler", "mongod shutdown complete",
                   {"Summary of time elapsed": {"Statistics": {"Enter terminal shutdown": "0 ms"}}})
        return 0
    finally:
        run.unbind(port)
        run.remove_file("/tmp/mongodb-27017.sock")


@program("mongosh")
async def mongosh(run: Run) -> int:
    args = run.argv[1:]
    script = _option(args, "--eval", default="")
    host = next((a for a in args if not a.startswith("-") and a != script), "localhost:27017")
    port = int(host.rsplit(":", 1)[1].split("/")[0]) if ":" in host.split("/")[0] else 27017
    if not run.listening(port):
        run.err(f"MongoNetworkError: connect ECONNREFUSED 127.0.0.1:{port}\n")
        return 1
    if "ping" in script:
        run.out("1\n" if script.rstrip().rstrip(";").endswith(".ok") else "{ ok: 1 }\n")
        return 0
    run.err("mockd: mongosh scripts other than ping are not simulated; script them with a rule\n")
    return 1


def _rabbit_log(run: Run, text: str, level: str = "info") -> None:
    stamp = _now().strftime("%Y-%m-%d %H:%M:%S.%f") + "+00:00"
    run.out(f"{stamp} [{level}] <0.{random_pid()}.0> {text}\n")


def random_pid() -> int:
    return 230 + int(time.monotonic() * 1000) % 600


@program("rabbitmq-server")
async def rabbitmq_server(run: Run) -> int:
    version = _version(run, "RABBITMQ_VERSION", "4.3.5")
    run.catch(SIGTERM, SIGINT)
    node = f"rabbit@{run.ctx.hostname}"
    plugins = 4 if run.fs.exists("/etc/rabbitmq/enabled_plugins") else 1
    _rabbit_log(run, f"Starting RabbitMQ {version} on Erlang 27.3.4.13 [jit]")
    _rabbit_log(run, f"node           : {node}")
    _rabbit_log(run, "Ready to start client connection listeners")
    _rabbit_log(run, "started TCP listener on [::]:5672")
    _rabbit_log(run, f"Server startup complete; {plugins} plugins started.")
    run.out(f" completed with {plugins} plugins.\n")
    run.bind("rabbitmq-server", 5672, 4369, 25672, *((15672,) if plugins > 1 else ()))
    try:
        await run.wait_signal()
        _rabbit_log(run, "RabbitMQ is asked to stop...")
        _rabbit_log(run, "Successfully stopped RabbitMQ and its dependencies")
        return 0
    finally:
        run.unbind(5672, 4369, 25672, 15672)


@program("rabbitmq-diagnostics", "rabbitmqctl")
async def rabbitmq_diagnostics(run: Run) -> int:
    words = _positional(run.argv[1:], with_value=("-n", "--node", "-t", "--timeout"))
    quiet = "-q" in run.argv or "--quiet" in run.argv
    up = bool(run.listening(5672))
    node = f"rabbit@{run.ctx.hostname}"
    if words[:1] in (["ping"], ["check_running"], ["status"], ["check_port_connectivity"]):
        if not up:
            run.err(f"Error: unable to perform an operation on node '{node}'. Please see diagnostics information "
                    "and suggestions below.\n")
            return 69
        if words[0] == "ping":
            if not quiet:
                run.out(f"Will ping {node}. This only checks if the OS process is running and registered with "
                        "epmd. Timeout: 60000 ms.\n")
            run.out("Ping succeeded\n")
        return 0
    run.err(f"mockd: {posixpath.basename(run.argv[0])} {' '.join(words)} is not simulated; script it with a rule\n")
    return 64


@program("traefik")
async def traefik(run: Run) -> int:
    info = run.build_info()
    version = info.get("version", "")
    if run.argv[1:2] == ["version"]:
        run.out(f"Version:      {version}\nCodename:     {info.get('codename', '')}\nGo version:   go1.24\n"
                "OS/Arch:      linux/amd64\n")
        return 0
    stamp = _now().strftime("%Y-%m-%dT%H:%M:%SZ")
    lines = [f"{stamp} INF Traefik version {version} built on 2026-08-06T15:00:00Z version={version}\n",
             f"{stamp} INF Starting provider aggregator *aggregator.ProviderAggregator\n",
             f"{stamp} INF Starting provider *traefik.Provider\n"]
    return await _serve(run, "traefik", 80, lines, serve=http_serve.http_server("", http_serve.traefik_route))


@program("registry")
async def registry(run: Run) -> int:
    args = run.argv[1:]
    if args[:1] in (["--version"], ["-v"]):
        run.out(f"registry github.com/distribution/distribution/v3 v{run.build_info().get('version', '')}\n")
        return 0
    version = run.build_info().get("version", "")
    stamp = _now().strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    tail = f"go.version=go1.24 service=registry version={version}"
    lines = [f'time="{stamp}" level=info msg="redis not configured" {tail}\n',
             f'time="{stamp}" level=info msg="Starting upload purge in 20m0s" {tail}\n',
             f'time="{stamp}" level=info msg="listening on [::]:5000" {tail}\n']
    return await _serve(run, "registry", 5000, lines,
                        serve=http_serve.http_server("", http_serve.registry_route))


# -- curl of a server in the same container ---------------------------------------------------------------

_DOCROOTS = {"nginx": "/usr/share/nginx/html", "httpd": "/usr/local/apache2/htdocs"}


@program("curl")
async def curl(run: Run) -> int:
    """curl of a simulated HTTP server in this container (nginx, httpd): its files, as it serves them."""
    args = run.argv[1:]
    fail = any(a in ("-f", "--fail") or (a.startswith("-") and not a.startswith("--") and "f" in a) for a in args)
    silent = any(a in ("-s", "--silent") or (a.startswith("-") and not a.startswith("--") and "s" in a)
                 for a in args)
    head = "-I" in args or "--head" in args
    output = _option(args, "-o", "--output", default="")
    urls = [a for a in _positional(args, with_value=("-o", "--output", "-H", "-X", "-w", "-d", "-u", "-m",
                                                        "--max-time", "--connect-timeout", "-A"))]
    if not urls:
        run.err("curl: try 'curl --help' or 'curl --manual' for more information\n")
        return 2
    url = urls[0].removeprefix("http://")
    hostport, _, path = url.partition("/")
    host, _, port_text = hostport.partition(":")
    port = int(port_text or 80)
    net = run.ctx.net
    try:
        conn = net.dial(host, port) if net is not None else None
    except LookupError:
        if not silent:
            run.err(f"curl: (6) Could not resolve host: {host}\n")
        return 6
    if conn is None:
        if not silent:
            run.err(f"curl: (7) Failed to connect to {host} port {port} after 0 ms: Couldn't connect to server\n")
        return 7
    try:
        status, reason, body = await http_serve.fetch(conn, "HEAD" if head else "GET", hostport, "/" + path,
                                                      "curl/8.14.1")
    except ConnectionError:
        if not silent:
            run.err("curl: (52) Empty reply from server\n")
        return 52
    if status >= 400 and fail:
        if not silent:
            run.err(f"curl: (22) The requested URL returned error: {status}\n")
        return 22
    text = f"HTTP/1.1 {status} {reason}\r\nContent-Length: {len(body)}\r\n\r\n".encode() if head else body
    if output and output != "/dev/null":
        run.write_file(output, text.decode(errors="replace"))
    elif not output:
        run.io.out(text)
    return 0


# -- package managers: apk, apt-get -----------------------------------------------------------------------

def _install(run: Run, manager: str, names: list[str]) -> None:
    """Place the executables the named packages bring, as marker files (see _packages.yaml)."""
    for name in names:
        for path, prog in (catalog().packages[manager].get(name) or {}).items():
            kind, _, what = prog.rpartition(":")
            marker = BUILTIN_MARKER if kind == "builtin" else PROGRAM_MARKER
            try:
                run.fs.mkdir(posixpath.dirname(path), parents=True)
                run.fs.write(path, marker + what.encode() + b"\n", mode=0o755)
            except OSError:
                pass


def _os_release(run: Run) -> dict[str, str]:
    try:
        text = run.fs.read("/etc/os-release").decode()
    except OSError:
        return {}
    return {k: v.strip('"') for k, _, v in (line.partition("=") for line in text.splitlines()) if k}


@program("apk")
async def apk(run: Run) -> int:
    args = run.argv[1:]
    words = [a for a in args if not a.startswith("-")]
    if not words:
        run.out("apk-tools 2.14.6, compiled for x86_64.\n\nusage: apk [<OPTIONS>...] COMMAND [<ARGUMENTS>...]\n")
        return 1
    release = _os_release(run).get("VERSION_ID", "3.24.1")
    branch = "v" + ".".join(release.split(".")[:2])
    fetch = [f"fetch https://dl-cdn.alpinelinux.org/alpine/{branch}/{repo}/x86_64/APKINDEX.tar.gz\n"
             for repo in ("main", "community")]
    command, packages = words[0], words[1:]
    if command == "update":
        run.out("".join(fetch) + f"{release} [https://dl-cdn.alpinelinux.org/alpine/{branch}/main]\nOK: 26317 "
                "distinct packages available\n")
        return 0
    if command == "add":
        packages = [p for p in packages if not p.startswith(".")]  # --virtual names come after -t / --virtual
        run.out("".join(fetch))
        for i, name in enumerate(packages, 1):
            run.out(f"({i}/{len(packages)}) Installing {name.split('=')[0]}\n")
        _install(run, "apk", [p.split("=")[0] for p in packages])
        run.out(f"OK: {8 + len(packages)} MiB in {15 + len(packages)} packages\n")
        return 0
    if command in ("del", "upgrade", "cache", "info"):
        run.out("OK: 8 MiB in 15 packages\n" if command != "info" else "")
        return 0
    run.err(f"apk: unknown command '{command}'\n")
    return 1


@program("apt-get")
async def apt_get(run: Run) -> int:
    args = run.argv[1:]
    words = [a for a in args if not a.startswith("-")]
    release = _os_release(run)
    codename = release.get("VERSION_CODENAME", "trixie")
    ubuntu = release.get("ID") == "ubuntu"
    lists = "/var/lib/apt/lists"
    if not words:
        run.out("apt 3.0.3 (amd64)\nUsage: apt-get [options] command\n")
        return 1
    command, packages = words[0], words[1:]
    if command == "update":
        mirror = "http://archive.ubuntu.com/ubuntu" if ubuntu else "http://deb.debian.org/debian"
        run.out(f"Get:1 {mirror} {codename} InRelease [140 kB]\nGet:2 {mirror} {codename}-updates InRelease "
                f"[47.1 kB]\nGet:3 {mirror} {codename}/main amd64 Packages [9670 kB]\nFetched 9857 kB in 1s "
                "(9857 kB/s)\nReading package lists...\n")
        run.write_file(posixpath.join(lists, f"deb.debian.org_debian_dists_{codename}_InRelease"), "")
        return 0
    if command in ("install", "upgrade", "dist-upgrade", "remove", "purge", "autoremove", "clean"):
        run.out("Reading package lists...\nBuilding dependency tree...\nReading state information...\n")
        if command == "install" and packages:
            try:
                indexed = any(not n.startswith(("lock", "partial")) for n in run.fs.listdir(lists))
            except OSError:
                indexed = False
            if not indexed:  # a fresh image has no package lists: install needs `apt-get update` first
                run.err(f"E: Unable to locate package {packages[0]}\n")
                return 100
            run.out("The following NEW packages will be installed:\n  " + " ".join(packages) + "\n"
                    f"0 upgraded, {len(packages)} newly installed, 0 to remove and 0 not upgraded.\n")
            for name in packages:
                run.out(f"Setting up {name.split('=')[0]} ...\n")
            _install(run, "apt", [p.split("=")[0] for p in packages])
        else:
            run.out("0 upgraded, 0 newly installed, 0 to remove and 0 not upgraded.\n")
        return 0
    run.err(f"E: Invalid operation {command}\n")
    return 100


@program("psql")
async def psql(run: Run) -> int:
    """psql's connection check and the `SELECT 1` probes health checks and wait strategies send."""
    args = run.argv[1:]
    if _pg_version_asked(run):
        return 0
    host = _option(args, "-h", "--host", default=run.env.get("PGHOST", ""))
    port = _option(args, "-p", "--port", default=run.env.get("PGPORT", "5432"))
    up = run.listening(_PG_SOCKET) if not host or host.startswith("/") else (
        host in ("localhost", "127.0.0.1", "::1") and run.listening(int(port)))
    if not up:
        where = (f'socket "{_PG_SOCKET}"' if not host or host.startswith("/") else
                 f'"{host}" (127.0.0.1), port {port}')
        run.err(f"psql: error: connection to server on {where} failed: "
                + ("No such file or directory\n\tIs the server running locally and accepting connections on that "
                   "socket?\n" if not host or host.startswith("/") else "Connection refused\n\tIs the server "
                   "running on that host and accepting TCP/IP connections?\n"))
        return 2
    command = _option(args, "-c", "--command", default="")
    for i, arg in enumerate(args[:-1]):  # -tAc "select 1": flags bundled with -c, its value the next word
        if arg.startswith("-") and not arg.startswith("--") and len(arg) > 2 and arg.endswith("c"):
            command = args[i + 1]
    command = command.strip().rstrip(";").strip()
    flags = "".join(a[1:] for a in args if a.startswith("-") and not a.startswith("--") and len(a) > 1)
    query = " ".join(command.lower().split())
    if query in ("select 1", "select 1 as result"):
        run.out(_psql_row(flags, "result" if " as " in query else "?column?", "1", number=True))
        return 0
    if query == "select version()":  # testcontainers-python's PostgresContainer waits for this one
        run.out(_psql_row(flags, "version", _pg_banner(run), number=False))
        return 0
    run.err("mockd: psql queries other than SELECT 1 and SELECT version() are not simulated; script them with a "
            "rule\n")
    return 1


def _psql_row(flags: str, column: str, value: str, number: bool) -> str:
    """A one-row, one-column result as psql prints it: -tA the bare value, -t the padded cell, else aligned with
    its header (centred) and row count; numbers right-aligned, text left-aligned."""
    width = max(len(column), len(value))
    cell = value.rjust(width) if number else value.ljust(width)
    if "t" in flags and "A" in flags:
        return f"{value}\n"
    if "t" in flags:
        return f" {cell}".rstrip() + "\n\n"
    left = (width - len(column)) // 2
    header = " " * left + column + " " * (width - len(column) - left)
    return f" {header} \n{'-' * (width + 2)}\n {cell.rstrip()}\n(1 row)\n\n"

