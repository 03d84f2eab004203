"""Simulated programs of the catalog's images: start-up lines, staying up, stop signal and exit code, answers to
their own client and health commands; all inside the container's simulated filesystem."""

from __future__ import annotations

import asyncio
import re

import pytest

from mockd.engine import Engine
from mockd.engine.filesystem import MountedFS
from mockd.engine.netns import NetNamespace
from mockd.engine.programs import SIGINT, SIGQUIT, SIGTERM, SIGWINCH, run_program
from mockd.engine.shell import Context, Shell


class ProgramShell(Shell):
    """The shell with the programs hook (until the shell's own run_file dispatches marker files)."""

    async def run_file(self, path, argv, io):
        code = await run_program(self, path, argv, io)
        return code if code is not None else await super().run_file(path, argv, io)


class Box:
    """One container of a catalog image: its filesystem, and processes run in it."""

    def __init__(self, ref: str, env: dict[str, str] | None = None):
        engine = Engine()
        engine.pull(ref)
        self.image = engine.images.get(ref)
        self.fs = MountedFS(self.image.rootfs().copy())
        self.net = NetNamespace()  # what its servers listen on and its clients dial
        self.env = dict(item.split("=", 1) for item in self.image.config.get("Env") or [])
        self.env.update(env or {})

    def start(self, argv: list[str] | None = None, user: str = ""):
        cfg = self.image.config
        argv = argv if argv is not None else (cfg.get("Entrypoint") or []) + (cfg.get("Cmd") or [])
        return Proc(self, argv, user or cfg.get("User") or "")


class Proc:
    def __init__(self, box: Box, argv: list[str], user: str):
        self.out, self.err = bytearray(), bytearray()
        self.ctx = Context(fs=box.fs, env=dict(box.env), write=self._write, cwd=box.image.config["WorkingDir"] or "/",
                           user=user, running=asyncio.Event(), pid=1, net=box.net)
        self.ctx.running.set()
        shell = ProgramShell(self.ctx, name=argv[0])
        self.task = asyncio.ensure_future(shell.run_argv(argv))

    def _write(self, stream: int, data: bytes) -> None:
        (self.out if stream == 1 else self.err).extend(data)

    @property
    def text(self) -> str:
        return (self.out + self.err).decode()

    async def until(self, needle: str, count: int = 1) -> None:
        for _ in range(200):
            if self.text.count(needle) >= count or self.task.done():
                break
            await asyncio.sleep(0.01)
        assert self.text.count(needle) >= count, self.text

    def signal(self, sig: int) -> None:
        """What Process.kill does for a signal the program handles."""
        assert sig in self.ctx.traps, f"signal {sig} is not handled: {self.ctx.traps}"
        self.ctx.pending.append(sig)

    async def exit_code(self) -> int:
        return await asyncio.wait_for(self.task, 5)


async def run(box: Box, argv: list[str]) -> tuple[int, str, str]:
    proc = Proc(box, argv, "")
    code = await proc.exit_code()
    return code, proc.out.decode(), proc.err.decode()


async def test_nginx_starts_logs_and_quits_gracefully_on_sigquit():
    box = Box("nginx")
    proc = box.start()
    await proc.until("start worker processes")
    lines = proc.out.decode().splitlines()
    assert lines[0] == "/docker-entrypoint.sh: /docker-entrypoint.d/ is not empty, will attempt to perform configuration"
    assert "10-listen-on-ipv6-by-default.sh: info: Enabled listen on IPv6 in /etc/nginx/conf.d/default.conf" in lines
    assert lines[-1] == "/docker-entrypoint.sh: Configuration complete; ready for start up"
    assert "listen  [::]:80;" in box.fs.read("/etc/nginx/conf.d/default.conf").decode()
    assert "[notice] 1#1: nginx/1.31.4" in proc.err.decode()
    assert not proc.task.done()
    assert await run(box, ["nginx", "-v"]) == (0, "", "nginx version: nginx/1.31.4\n")
    proc.signal(SIGQUIT)
    assert await proc.exit_code() == 0
    assert "signal 3 (SIGQUIT) received from 0, shutting down" in proc.err.decode()
    # the entrypoint passes other commands through
    assert await run(box, ["/docker-entrypoint.sh", "echo", "hi"]) == (0, "hi\n", "")


async def test_redis_server_and_its_cli():
    box = Box("redis:7.4")
    assert (await run(box, ["redis-cli", "ping"]))[0] == 1
    proc = box.start()
    await proc.until("Ready to accept connections tcp")
    out = proc.out.decode()
    assert "* oO0OoO0OoO0Oo Redis is starting oO0OoO0OoO0Oo" in out
    assert "Redis version=7.4.11, bits=64" in out and "* Configuration loaded" in out  # --protected-mode no
    assert out.split("\n")[0].startswith("1:C ")
    assert await run(box, ["redis-cli", "ping"]) == (0, "PONG\n", "")
    assert (await run(box, ["redis-cli", "-h", "localhost", "-p", "6380", "ping"]))[0] == 1
    proc.signal(SIGTERM)
    assert await proc.exit_code() == 0
    assert "Received SIGTERM scheduling shutdown..." in proc.out.decode()
    assert "Redis is now ready to exit, bye bye..." in proc.out.decode()
    assert box.fs.exists("/data/dump.rdb")
    assert await run(box, ["redis-cli", "ping"]) == (1, "", "Could not connect to Redis at 127.0.0.1:6379: "
                                                            "Connection refused\n")


async def test_postgres_first_start_ready_twice_pg_isready_and_fast_shutdown():
    box = Box("postgres:16", {"POSTGRES_PASSWORD": "pw"})
    code, _, _ = await run(box, ["pg_isready"])
    assert code == 2
    proc = box.start()
    await proc.until("database system is ready to accept connections", count=2)
    text = proc.text
    assert "PostgreSQL init process complete; ready for start up." in text
    assert "/usr/local/bin/docker-entrypoint.sh: ignoring /docker-entrypoint-initdb.d/*" in text
    assert "starting PostgreSQL 16.15 (Debian 16.15-1.pgdg13+1) on x86_64-pc-linux-gnu" in text
    assert await run(box, ["pg_isready"]) == (0, "/var/run/postgresql:5432 - accepting connections\n", "")
    assert await run(box, ["pg_isready", "-U", "postgres", "-h", "localhost"]) == (
        0, "localhost:5432 - accepting connections\n", "")
    assert box.fs.exists("/var/lib/postgresql/data/PG_VERSION")
    proc.signal(SIGINT)
    assert await proc.exit_code() == 0
    assert proc.err.decode().splitlines()[-5].endswith("LOG:  received fast shutdown request")
    assert proc.err.decode().splitlines()[-1].endswith("LOG:  database system is shut down")
    assert not box.fs.exists("/var/run/postgresql/.s.PGSQL.5432")
    # A second start finds the database.
    again = box.start()
    await again.until("database system is ready to accept connections")
    assert "Skipping initialization" in again.text and "init process complete" not in again.text
    again.signal(SIGTERM)
    assert await again.exit_code() == 0


async def test_postgres_without_password_exits_1_as_the_image_does():
    code, out, err = await run(Box("postgres"), ["docker-entrypoint.sh", "postgres"])
    assert code == 1 and out == ""
    assert err.startswith("Error: Database is uninitialized and superuser password is not specified.\n")


@pytest.mark.parametrize("ref,admin", [("mysql", "mysqladmin"), ("mariadb", "mariadb-admin")])
async def test_mysql_and_mariadb_ping(ref, admin):
    env = {"MYSQL_ROOT_PASSWORD": "pw"} if ref == "mysql" else {"MARIADB_ROOT_PASSWORD": "pw"}
    box = Box(ref, env)
    assert (await run(box, [admin, "ping"]))[0] == 1
    proc = box.start()
    # The entrypoint's temporary server (no TCP: port 0) and then the server: testcontainers-python's MySqlContainer
    # waits for both lines.
    await proc.until("ready for connections", count=2)
    assert re.search(r".*: ready for connections.*: ready for connections.*", proc.text, flags=re.DOTALL)
    server = proc.err.decode()  # the servers' log (the entrypoint's notes are on stdout)
    temporary, final = server.split("Shutdown complete", 1)
    assert "ready for connections" in temporary and "port: 0 " in temporary and "port: '3306'" not in temporary
    assert "ready for connections" in final and "port: 3306 " in final
    assert "Temporary server stopped" in proc.out.decode()
    assert await run(box, [admin, "ping", "-h", "localhost"]) == (0, "mysqld is alive\n", "")
    proc.signal(SIGTERM)
    assert await proc.exit_code() == 0
    code, _, err = await run(Box(ref), ["docker-entrypoint.sh", "mysqld" if ref == "mysql" else "mariadbd"])
    assert code == 1 and "Database is uninitialized and password option is not specified" in err


async def test_hello_world_prints_its_greeting():
    code, out, _ = await run(Box("hello-world"), ["/hello"])
    assert code == 0 and out.startswith("\nHello from Docker!\nThis message shows that your installation appears")


async def test_curl_reaches_nginx_in_its_container():
    box = Box("nginx")
    assert (await run(box, ["curl", "-s", "http://localhost/"]))[0] == 7
    proc = box.start()
    await proc.until("start worker processes")
    code, out, _ = await run(box, ["curl", "-fsS", "http://localhost/"])
    assert code == 0 and "<title>Welcome to nginx!</title>" in out
    assert (await run(box, ["curl", "-f", "-s", "http://127.0.0.1/nope"]))[0] == 22
    proc.signal(SIGTERM)
    assert await proc.exit_code() == 0


async def test_mongo_and_rabbitmq_readiness_and_their_clients():
    mongo = Box("mongo")
    proc = mongo.start()
    await proc.until('"msg":"Waiting for connections"')
    assert await run(mongo, ["mongosh", "--quiet", "--eval", "db.adminCommand('ping')"]) == (0, "{ ok: 1 }\n", "")
    proc.signal(SIGTERM)
    assert await proc.exit_code() == 0
    rabbit = Box("rabbitmq:management")
    proc = rabbit.start()
    await proc.until("Server startup complete; 4 plugins started.")
    assert await run(rabbit, ["rabbitmq-diagnostics", "-q", "ping"]) == (0, "Ping succeeded\n", "")
    proc.signal(SIGTERM)
    assert await proc.exit_code() == 0
    assert (await run(rabbit, ["rabbitmq-diagnostics", "-q", "ping"]))[0] == 69


async def test_versions_come_from_the_image():
    assert await run(Box("traefik:2"), ["traefik", "version"]) == (
        0, "Version:      2.11.55\nCodename:     mimolette\nGo version:   go1.24\nOS/Arch:      linux/amd64\n", "")
    assert (await run(Box("redis:6"), ["redis-server", "--version"]))[1].startswith("Redis server v=6.2.24 ")
    assert await run(Box("postgres:15-alpine"), ["postgres", "--version"]) == (0, "postgres (PostgreSQL) 15.19\n", "")


async def test_package_managers_place_the_programs_they_install():
    alpine = Box("alpine:3.21")
    code, out, _ = await run(alpine, ["apk", "add", "--no-cache", "curl", "postgresql-client"])
    assert code == 0 and out.startswith("fetch https://dl-cdn.alpinelinux.org/alpine/v3.21/main/x86_64/APKINDEX")
    assert alpine.fs.read("/usr/bin/pg_isready") == b"#!mockd program: pg_isready\n"
    assert (await run(alpine, ["pg_isready"]))[0] == 2  # installed, and no server to answer
    debian = Box("debian:bookworm")
    assert await run(debian, ["apt-get", "install", "-y", "curl"]) == (
        100, "Reading package lists...\nBuilding dependency tree...\nReading state information...\n",
        "E: Unable to locate package curl\n")
    assert (await run(debian, ["apt-get", "update"]))[0] == 0
    code, out, _ = await run(debian, ["apt-get", "install", "-y", "--no-install-recommends", "curl"])
    assert code == 0 and "Setting up curl ...\n" in out and debian.fs.exists("/usr/bin/curl")


async def test_psql_select_1_probe():
    box = Box("postgres:17", {"POSTGRES_PASSWORD": "pw"})
    code, _, err = await run(box, ["psql", "-U", "postgres", "-c", "SELECT 1"])
    assert code == 2 and err.startswith('psql: error: connection to server on socket "/var/run/postgresql/.s.PGSQL')
    proc = box.start()
    await proc.until("database system is ready to accept connections", count=2)
    assert await run(box, ["psql", "-U", "postgres", "-c", "SELECT 1"]) == (
        0, " ?column? \n----------\n        1\n(1 row)\n\n", "")
    assert await run(box, ["psql", "-U", "postgres", "-tAc", "select 1;"]) == (0, "1\n", "")
    proc.signal(SIGINT)
    assert await proc.exit_code() == 0


@pytest.mark.parametrize("ref", ["httpd:2.4", "httpd:2.4-alpine"])
async def test_apache_httpd_is_found_on_path_before_the_busybox_applet_of_its_name(ref):
    box = Box(ref)
    proc = box.start()
    await proc.until("resuming normal operations")
    assert "httpd: invalid option" not in proc.text and not proc.task.done()
    code, out, _ = await run(box, ["httpd", "-v"])
    assert code == 0 and out.startswith("Server version: Apache/2.4.68 (Unix)\n")
    if ref.endswith("alpine"):  # busybox's wget, the only HTTP client of these images
        assert await run(box, ["wget", "-qO-", "http://localhost/"]) == (
            0, "<html><body><h1>It works!</h1></body></html>\n", "")
    proc.signal(SIGWINCH)
    assert await proc.exit_code() == 0
