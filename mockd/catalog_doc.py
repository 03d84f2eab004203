"""docs/catalog.md, generated: the image catalog's repositories and tags (from mockd/data/catalog) and what each
simulated service program does, measured by running it in a fresh engine: its start-up log, the ports it listens
on and what a connection there gets, the answers of its client and health commands, and how it stops (the stop
signal its image declares, the exit code, its last lines). Nothing here is written by hand, so the page cannot
drift from the simulation: tests/test_catalog_doc.py fails when it is out of date.

    python -m mockd.catalog_doc --write     # regenerate docs/catalog.md
    python -m mockd.catalog_doc --check     # exit 1 when docs/catalog.md differs
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from mockd.engine import Engine
from mockd.engine.catalog import Catalog, catalog
from mockd.engine.netns import hold
from mockd.engine.programs import PROGRAMS
from mockd.engine.shell.registry import BUILTINS

DOC = Path(__file__).resolve().parent.parent / "docs" / "catalog.md"
HTTP_GET = b"GET / HTTP/1.0\r\nHost: localhost\r\n\r\n"
RESP_PING = b"*1\r\n$4\r\nPING\r\n"


@dataclass(frozen=True)
class Service:
    """One service image to run: how to start it, when it is ready, what to ask it."""

    image: str
    ready: str  # the log line a wait strategy waits for (its last occurrence at start-up)
    ready_times: int = 1
    env: tuple[str, ...] = ()
    cmd: tuple[str, ...] = ()
    binds: tuple[str, ...] = ()
    port_probe: bytes = b""  # sent to each listening port; b"": connect and listen only
    probes: tuple[tuple[str, ...], ...] = field(default_factory=tuple)


# The images testcontainers modules, compose files and CI jobs run as services, with the commands people use to
# ask them whether they are up (health checks, wait strategies) and the first thing their clients send.
SERVICES = (
    Service("nginx:1.31", "start worker processes", port_probe=HTTP_GET,
            probes=(("curl", "-fsS", "http://localhost/"), ("nginx", "-v"))),
    Service("httpd:2.4", "resuming normal operations", port_probe=HTTP_GET, probes=(("httpd", "-v"),)),
    Service("httpd:2.4-alpine", "resuming normal operations", port_probe=HTTP_GET,
            probes=(("wget", "-qO-", "http://localhost/"),)),
    Service("traefik:v3.7", "Starting provider", port_probe=HTTP_GET),
    Service("registry:3", "listening on", port_probe=b"GET /v2/ HTTP/1.0\r\n\r\n"),
    Service("redis:7", "Ready to accept connections", port_probe=RESP_PING,
            probes=(("redis-cli", "ping"), ("redis-cli", "set", "k", "v"), ("redis-cli", "get", "k"))),
    Service("postgres:16", "database system is ready to accept connections", ready_times=2,
            env=("POSTGRES_PASSWORD=example",),
            probes=(("pg_isready", "-U", "postgres"), ("pg_isready", "-h", "localhost", "-p", "5432"),
                    ("psql", "-U", "postgres", "-c", "SELECT 1"))),
    Service("mysql:8.4", "ready for connections. Version", ready_times=2, env=("MYSQL_ROOT_PASSWORD=example",),
            probes=(("mysqladmin", "ping", "-h", "localhost", "-pexample"),)),
    Service("mariadb:11.4", "ready for connections.", ready_times=2, env=("MARIADB_ROOT_PASSWORD=example",),
            probes=(("healthcheck.sh", "--connect", "--innodb_initialized"), ("mariadb-admin", "ping"))),
    Service("mongo:8.0", "Waiting for connections",
            probes=(("mongosh", "--quiet", "--eval", "db.adminCommand('ping')"),)),
    Service("rabbitmq:4.1", "Server startup complete",
            probes=(("rabbitmq-diagnostics", "-q", "ping"), ("rabbitmq-diagnostics", "check_running"))),
    Service("memcached:1.6", "", port_probe=b"version\r\n"),
    Service("testcontainers/ryuk:0.14.0", "Started", binds=("/var/run/docker.sock:/var/run/docker.sock",),
            port_probe=b"label=org.testcontainers.session-id=doc\n"),
    Service("hello-world:latest", "Hello from Docker!"),
)

# Log stamps, pids and ids change between runs: the page shows them as placeholders.
_VARIABLE = (
    (re.compile(r"\d{4}[-/]\d{2}[-/]\d{2}[T ]\d{2}:\d{2}:\d{2}(?:[.,]\d+)?(?:Z|[+-]\d{2}:?\d{2}| UTC)?"), "<time>"),
    (re.compile(r"\d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2}\.\d{3}"), "<time>"),  # redis
    (re.compile(r"\w{3} \w{3} \d{2} \d{2}:\d{2}:\d{2}(?:\.\d+)? \d{4}"), "<time>"),  # apache
    (re.compile(r"\((\d{10})\)"), "(<time>)"),  # redis' signal handler: unix seconds
    (re.compile(r"<0\.\d+\.0>"), "<pid>"),  # an Erlang process (rabbitmq)
    (re.compile(r"\b[0-9a-f]{12,64}\b"), "<id>"),
    (re.compile(r"172\.\d+\.\d+\.\d+:\d+"), "<peer>"),
)


def normalise(text: str) -> str:
    for pattern, placeholder in _VARIABLE:
        text = pattern.sub(placeholder, text)
    return text


def _logs(c) -> str:
    return b"".join(e.data for e in c.logs).decode(errors="replace")


async def _until(check, seconds: float = 20.0) -> bool:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while not check():
        if loop.time() > deadline:
            return False
        await asyncio.sleep(0.02)
    return True


async def _exec(engine: Engine, cid: str, argv: tuple[str, ...]) -> tuple[int | None, str]:
    ex = engine.create_exec(cid, {"Cmd": list(argv), "AttachStdout": True, "AttachStderr": True})
    queue = ex.subscribe()
    engine.start_exec(ex.id)
    await asyncio.wait_for(ex.done.wait(), 10)
    chunks = []
    while not queue.empty():
        item = queue.get_nowait()
        if item is None:
            break
        chunks.append(item[1])
    return ex.exit_code, b"".join(chunks).decode(errors="replace")


async def _port_answer(c, port: int, probe: bytes) -> str:
    if c.net.sockets[("tcp", port)].handler is hold:  # known without waiting: the page must not depend on timing
        return "accepts and holds (answers nothing)"
    conn = c.net.connect(port)
    if conn is None:
        return "refused"
    if probe:
        conn.write(probe)
    try:
        data = await asyncio.wait_for(conn.read(4096), 10)
    except TimeoutError:
        return "accepts, answers nothing"
    finally:
        conn.close()
    if not data:
        return "accepts, then closes"
    first = data.decode(errors="replace").split("\n", 1)[0].rstrip("\r")
    return f"answers `{normalise(first)}`"


@dataclass
class Measured:
    service: Service
    config: dict
    startup: str = ""
    ports: list[str] = field(default_factory=list)
    probes: list[tuple[tuple[str, ...], int | None, str]] = field(default_factory=list)
    stop_signal: str = ""
    exit_code: int | None = None
    shutdown: str = ""


async def measure(svc: Service) -> Measured:
    engine = Engine()
    engine.pull(svc.image)
    body: dict = {"Image": svc.image, "Env": list(svc.env), "HostConfig": {"Binds": list(svc.binds)}}
    if svc.cmd:
        body["Cmd"] = list(svc.cmd)
    c, _ = engine.create_container(body, "doc")
    out = Measured(svc, dict(engine.images.get(svc.image).config))
    exited = engine.wait_future(c.id, "next-exit")
    engine.start_container(c.id)
    await _until(lambda: exited.done() or (svc.ready and _logs(c).count(svc.ready) >= svc.ready_times)
                 or (not svc.ready and c.net is not None and bool(c.net.sockets)))
    await asyncio.sleep(0.1)  # the lines a program prints right after its ready line
    out.startup = _logs(c)
    if exited.done():
        out.exit_code = exited.result()
        await engine.remove_container(c.id, force=True)
        return out
    for (proto, port) in sorted(c.net.sockets):
        out.ports.append(f"{port}/{proto}: {await _port_answer(c, port, svc.port_probe)}")
    for argv in svc.probes:
        code, text = await _exec(engine, c.id, argv)
        out.probes.append((argv, code, text))
    out.stop_signal = c.config.get("StopSignal") or "SIGTERM"
    await engine.stop_container(c.id)
    out.exit_code = c.exit_code
    out.shutdown = _logs(c)[len(out.startup):]
    await engine.remove_container(c.id, force=True)
    return out


def _code_block(text: str, limit: int = 40) -> list[str]:
    lines = normalise(text).rstrip("\n").splitlines()
    if len(lines) > limit:
        lines = lines[:limit] + [f"... ({len(lines) - limit} more lines)"]
    return ["```", *lines, "```"] if lines else ["(nothing)"]


def _images_section(cat: Catalog) -> list[str]:
    out = ["## Images and tags", "",
           "Every tag pulls as published (config, filesystem, the programs at their paths); any other tag of these",
           "repositories gets the nearest variant, unless `--registry strict` (then Docker Hub's `manifest unknown`).",
           ""]
    for repo in cat.repos():
        variants = cat.by_repo[repo]
        config = cat.image(variants[0]).config
        out.append(f"### `{repo}`")
        out.append("")
        facts = []
        for key in ("Entrypoint", "Cmd", "ExposedPorts", "Volumes", "User", "WorkingDir", "StopSignal",
                    "Healthcheck"):
            value = config.get(key)
            if value:
                shown = sorted(value) if isinstance(value, dict) else value  # ports and volumes: their keys
                facts.append(f"{key} `{json.dumps(shown)}`")
        out.append("First listed build: " + (", ".join(facts) if facts else "no config beyond Env") + ".")
        out.append("")
        out.append("| tags | base |")
        out.append("| --- | --- |")
        for variant in variants:
            out.append(f"| {', '.join(f'`{t}`' for t in variant.tags)} | {variant.base} |")
        out.append("")
    return out


def _unsimulated_section(cat: Catalog) -> list[str]:
    """The catalog's program markers no simulation answers: they run as the opaque process (mockd/engine/opaque.py)."""
    shipped: dict[str, set[str]] = {}
    for repo, variants in cat.by_repo.items():
        for variant in variants:
            for item in (variant.spec.get("files") or {}).values():
                name = item.get("program") if isinstance(item, dict) else None
                if name and name not in PROGRAMS and name not in BUILTINS:  # wget: busybox's applet answers
                    shipped.setdefault(name, set()).add(repo)
    out = ["## Programs without a simulation", "",
           "These executables are in the images but mockd does not simulate them: they run as the opaque process",
           "(as a container's command it stays up until a signal ends it, with PID 1's rules; as an exec or a",
           "health probe it ends at once with 0; an interpreter with no script reads its stdin to the end) and",
           "mockd records the finding `program X is not simulated; script it with a rule`.", "",
           "| program | in |", "| --- | --- |"]
    out += [f"| `{name}` | {', '.join(f'`{r}`' for r in sorted(repos))} |" for name, repos in sorted(shipped.items())]
    return out + [""]


def _program_section(m: Measured) -> list[str]:
    svc = m.service
    out = [f"### `{svc.image}`", ""]
    run = " ".join(f"-e {e}" for e in svc.env)
    out.append(f"Run as `docker run -d {run + ' ' if run else ''}{svc.image}`"
               + (f"; ready once `{svc.ready}` is logged" + (f" {svc.ready_times} times" if svc.ready_times > 1
                                                              else "") if svc.ready else "") + ".")
    out.append("")
    out.append("Start-up log (stdout and stderr as `docker logs` shows them):")
    out.append("")
    out += _code_block(m.startup)
    out.append("")
    if not m.ports and not m.probes and m.exit_code is not None:
        out.append(f"Exits by itself with {m.exit_code}.")
        out.append("")
        return out
    out.append("Listens on: " + ("; ".join(m.ports) if m.ports else "nothing") + ".")
    out.append("")
    for argv, code, text in m.probes:
        out.append(f"`{' '.join(argv)}` → exit {code}:")
        out.append("")
        out += _code_block(text, limit=6)
        out.append("")
    out.append(f"`docker stop` sends {m.stop_signal} → exit {m.exit_code}; logged after start-up (the probes "
               "and the stop):")
    out.append("")
    out += _code_block(m.shutdown, limit=12)
    out.append("")
    return out


async def render() -> str:
    cat = catalog()
    measured = [await measure(svc) for svc in SERVICES]
    lines = ["# The image catalog", "",
             "Generated by `python -m mockd.catalog_doc --write` from `mockd/data/catalog/` and by running each "
             "service in a fresh",
             "engine; `tests/test_catalog_doc.py` fails when this page is out of date. `<time>`, `<id>` and "
             "`<peer>`, `<pid>` stand for",
             "what changes between runs.", ""]
    lines += ["## Simulated service programs", ""]
    for m in measured:
        lines += _program_section(m)
    lines += _unsimulated_section(cat)
    lines += _images_section(cat)
    return "\n".join(lines).rstrip("\n") + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mockd.catalog_doc", description=__doc__.split("\n\n")[0])
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--write", action="store_true", help=f"write {DOC}")
    group.add_argument("--check", action="store_true", help=f"exit 1 when {DOC} is out of date")
    args = parser.parse_args(argv)
    text = asyncio.run(render())
    if args.write:
        DOC.write_text(text)
        return 0
    if DOC.exists() and DOC.read_text() == text:
        return 0
    print(f"{DOC} is out of date: run python -m mockd.catalog_doc --write", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
