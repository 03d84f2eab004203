"""Several impersonated daemons in one mockd process: one listener set per daemon, each with its
own state (engine, registry, findings, record), all sharing the process-wide spec cache.

Starting 32 mockd processes costs seconds (each imports aiohttp and parses its documents); one
process parses each document once and serves every daemon from one event loop.

A daemon is described by a spec string, ``URL[,URL...][,key=value|flag]...``::

    mockd --daemon "unix:///tmp/a.sock,api=1.41" --daemon "unix:///tmp/b.sock,engine=29.0,seed=s.yaml"

or by a plan file (JSON or YAML)::

    {"defaults": {"strict": false}, "daemons": [{"host": "unix:///tmp/a.sock", "api": "1.41"}, ...]}

Keys are mockd's own long options without the dashes (``api-version``, ``min-api-version``,
``engine-version``, ``seed``, ``record``, ``strict``, ...), plus the short names ``api``,
``min-api``, ``engine`` and ``host``; a key without a value is a flag. A daemon's keys are parsed
by mockd's own argument parser on top of the process-wide options, so every flag of ``mockd``
works per daemon without being listed here.
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import json
import signal
from collections.abc import Callable
from pathlib import Path
from typing import Any

from mockd.config import Config

ALIASES = {"api": "api-version", "min-api": "min-api-version", "engine": "engine-version", "host": "host"}


def spec_argv(text: str) -> list[str]:
    """``"unix:///tmp/a.sock,api=1.41,strict"`` -> ``["-H", "unix:///tmp/a.sock", "--api-version", "1.41", "--strict"]``."""
    argv: list[str] = []
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        if "://" in part or part.startswith("/"):
            argv += ["-H", part]
            continue
        name, eq, value = part.partition("=")
        argv += _option(name.strip(), value.strip() if eq else None)
    return argv


def _option(name: str, value: Any) -> list[str]:
    flag = "--" + ALIASES.get(name, name).replace("_", "-")
    if value is None or value is True:
        return [flag]
    if value is False:
        return []
    if isinstance(value, list):  # a repeatable option (host)
        return [x for v in value for x in (flag, str(v))]
    return [flag, str(value)]


def plan_argvs(path: str | Path) -> list[list[str]]:
    """Each daemon of a plan file as mockd arguments (the file's ``defaults`` first)."""
    text = Path(path).read_text(encoding="utf-8")
    try:
        data = json.loads(text)
    except ValueError:
        import yaml

        data = yaml.safe_load(text)
    if isinstance(data, list):
        data = {"daemons": data}
    if not isinstance(data, dict) or not isinstance(data.get("daemons"), list) or not data["daemons"]:
        raise ValueError(f"{path}: a plan is {{\"daemons\": [{{\"host\": ..., \"api\": ...}}, ...]}}")
    defaults = data.get("defaults") or {}
    out = []
    for entry in data["daemons"]:
        if isinstance(entry, str):
            out.append(_mapping_argv(defaults) + spec_argv(entry))
        elif isinstance(entry, dict):
            out.append(_mapping_argv(defaults) + _mapping_argv(entry))
        else:
            raise ValueError(f"{path}: each daemon is a spec string or a mapping, not {entry!r}")
    return out


def _mapping_argv(mapping: dict[str, Any]) -> list[str]:
    return [x for name, value in mapping.items() for x in _option(str(name), value)]


def daemon_configs(parser: argparse.ArgumentParser, base: argparse.Namespace, argvs: list[list[str]],
                   to_config: Callable[[argparse.Namespace], Config]) -> list[Config]:
    """One Config per daemon: the process-wide options, overridden by the daemon's own (mockd.cli
    passes its parser and ``config_from_args``: this module never imports the CLI back)."""
    configs = []
    for argv in argvs:
        ns = copy.copy(base)
        ns.host = []  # listeners are per daemon, never inherited
        ns.daemon, ns.plan = [], None
        args = parser.parse_args(argv, namespace=ns)
        if args.daemon or args.plan:
            raise ValueError("--daemon and --plan cannot be nested in a daemon spec")
        if not args.host:
            raise ValueError(f"daemon {' '.join(argv)!r} has no listener (give unix:///path or host=...)")
        configs.append(to_config(args))
    _check_distinct(configs)
    return configs


def _check_distinct(configs: list[Config]) -> None:
    seen: dict[str, int] = {}
    records: dict[str, int] = {}
    tokens: dict[str, int] = {}
    roots: dict[str, int] = {}
    for i, config in enumerate(configs):
        config.bounds()  # a bad version is a usage error before anything binds
        for host in config.hosts:
            if host in seen:
                raise ValueError(f"listener {host} is given to daemons {seen[host] + 1} and {i + 1}")
            seen[host] = i
        if config.record:
            key = str(Path(config.record).resolve())
            if key in records:
                raise ValueError(f"record file {config.record} is given to daemons {records[key] + 1} and {i + 1}; "
                                 "give each daemon its own record=FILE")
            records[key] = i
        if config.data_root:  # one state per data root: two daemons writing one journal would corrupt it
            key = str(Path(config.data_root).resolve())
            if key in roots:
                raise ValueError(f"data root {config.data_root} is given to daemons {roots[key] + 1} and {i + 1}; "
                                 "give each daemon its own data-root=DIR")
            roots[key] = i
        if getattr(config, "control_on_tcp", False) and any(h.startswith("tcp://") or "://" not in h for h in config.hosts):
            key = str(Path(config.control_token_file).resolve()) if config.control_token_file else "<default>"
            if key in tokens:
                raise ValueError(f"daemons {tokens[key] + 1} and {i + 1} would write the same control token file; "
                                 "give each daemon with control-on-tcp its own control-token-file=FILE")
            tokens[key] = i


async def serve_many(configs: list[Config], make_server: Callable[[Config], Any],
                     announce: Callable[[Any], None]) -> int:
    """Start every daemon (``make_server(config)``: mockd.cli's Server), ``announce`` each (where it
    listens), run until SIGINT/SIGTERM, stop them all."""
    servers: list[Any] = []
    try:
        for config in configs:
            server = make_server(config)
            await server.start()
            servers.append(server)
            announce(server)
    except BaseException:
        for server in servers:
            await server.stop()
        raise
    # One line that says every listener is up: what a supervisor (apicheck client) waits for.
    print(f"mockd: {len(servers)} daemons ready", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    print("mockd: shutting down", flush=True)
    await asyncio.gather(*(server.stop() for server in servers))
    return 0
