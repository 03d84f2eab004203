"""System endpoints: _ping (GET/HEAD), /version, /info, /auth."""

from __future__ import annotations

import os
import platform
from typing import Any

from aiohttp import web

import specs
from mockd.errors import DockerError
from mockd.generated import body_for, object_id, success_status
from mockd.record import now_iso
from mockd.routes import RequestContext, handler
from mockd.versioning import GO_VERSION

BUILD_TIME = "2025-01-01T00:00:00.000000000+00:00"
GIT_COMMIT = "mockd"


def _ping_headers(ctx: RequestContext) -> dict[str, str]:
    headers = {
        "Cache-Control": "no-cache, no-store, must-revalidate",
        "Pragma": "no-cache",
        "Content-Type": "text/plain; charset=utf-8",
    }
    # Engines from 23.0 (API 1.42) default to BuildKit and tell the swarm state in the ping.
    if ctx.behaves("ping-builder-and-swarm-headers"):
        headers["Builder-Version"] = "2"
        headers["Swarm"] = "active" if ctx.registry.swarm.active else "inactive"
    return headers


@handler("SystemPing")
async def ping(request: web.Request, ctx: RequestContext) -> web.StreamResponse:
    return web.Response(status=200, body=b"OK", headers=_ping_headers(ctx))


@handler("SystemPingHead")
async def ping_head(request: web.Request, ctx: RequestContext) -> web.StreamResponse:
    resp = web.Response(status=200, body=b"", headers=_ping_headers(ctx))
    resp.headers["Content-Length"] = "0"
    return resp


def _full(ctx: RequestContext, status: int = 200) -> dict[str, Any]:
    """A schema-complete object for the requested version overlaid with the daemon's newest one:
    dockerd answers with its own full struct whatever the requested version."""
    ident = object_id(f"daemon:{ctx.config.hostname}")
    newest = specs.load(ctx.bounds.max_api)
    newest_op = newest.operation_by_id(ctx.operation.operation_id) or ctx.operation
    base = body_for(ctx.spec, ctx.operation, status, ident) or {}
    top = body_for(newest, newest_op, status, ident) or {}
    return _deep_merge(base, top)


def _deep_merge(base: dict[str, Any], top: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for k, v in top.items():
        out[k] = _deep_merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


@handler("SystemVersion")
async def version(request: web.Request, ctx: RequestContext) -> web.StreamResponse:
    b, c = ctx.bounds, ctx.config
    details = {
        "ApiVersion": b.max_api, "Arch": c.arch, "BuildTime": BUILD_TIME, "Experimental": str(c.experimental).lower(),
        "GitCommit": GIT_COMMIT, "GoVersion": GO_VERSION, "KernelVersion": c.kernel_version,
        "MinAPIVersion": b.min_api, "Os": c.os_type,
    }
    body = _full(ctx)
    body.update({
        "Platform": {"Name": f"Docker Engine - mockd {b.engine_version}"},
        "Components": [
            {"Name": "Engine", "Version": b.engine_version, "Details": details},
            {"Name": "containerd", "Version": "1.7.27", "Details": {"GitCommit": GIT_COMMIT}},
            {"Name": "runc", "Version": "1.2.5", "Details": {"GitCommit": GIT_COMMIT}},
            {"Name": "docker-init", "Version": "0.19.0", "Details": {"GitCommit": GIT_COMMIT}},
        ],
        "Version": b.engine_version, "ApiVersion": b.max_api, "MinAPIVersion": b.min_api,
        "GitCommit": GIT_COMMIT, "GoVersion": GO_VERSION, "Os": c.os_type, "Arch": c.arch,
        "KernelVersion": c.kernel_version, "BuildTime": BUILD_TIME,
    })
    if c.experimental:
        body["Experimental"] = True
    else:
        body.pop("Experimental", None)  # omitempty in dockerd
    return ctx.json(body)


def _memory_total() -> int:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return 0


@handler("SystemInfo")
async def info(request: web.Request, ctx: RequestContext) -> web.StreamResponse:
    b, c, reg = ctx.bounds, ctx.config, ctx.registry
    body = _full(ctx)
    counts = getattr(reg.engine, "info_counts", None)
    counts = counts() if callable(counts) else {}
    body.update({
        "ID": object_id(f"daemon:{c.hostname}")[:12].upper(),
        "Containers": counts.get("Containers", 0), "ContainersRunning": counts.get("ContainersRunning", 0),
        "ContainersPaused": counts.get("ContainersPaused", 0), "ContainersStopped": counts.get("ContainersStopped", 0),
        "Images": counts.get("Images", 0),
        "Driver": "overlay2", "DriverStatus": [["Backing Filesystem", "extfs"]],
        "DockerRootDir": "/var/lib/docker", "Name": c.hostname, "ServerVersion": b.engine_version,
        "OSType": c.os_type, "Architecture": platform.machine() or "x86_64", "OperatingSystem": "mockd",
        "OSVersion": "", "KernelVersion": c.kernel_version, "NCPU": os.cpu_count() or 1, "MemTotal": _memory_total(),
        "IndexServerAddress": "https://index.docker.io/v1/", "LoggingDriver": "json-file",
        "SystemTime": now_iso(),
        "ExperimentalBuild": c.experimental, "Labels": [],
    })
    if "CgroupVersion" in body:
        body["CgroupVersion"] = "2"
    if "CgroupDriver" in body:
        body["CgroupDriver"] = "systemd"
    if "DefaultRuntime" in body:
        body["DefaultRuntime"] = "runc"
        body["Runtimes"] = {"runc": {"path": "runc"}}
    swarm = body.get("Swarm")
    if isinstance(swarm, dict):
        swarm["LocalNodeState"] = "active" if reg.swarm.active else "inactive"
        swarm["NodeID"] = reg.swarm.node_id
        swarm["ControlAvailable"] = reg.swarm.active
        if not reg.swarm.active:  # dockerd outside a swarm: no managers, no cluster (omitempty)
            swarm.update({"NodeAddr": "", "RemoteManagers": None, "Nodes": 0, "Managers": 0, "Cluster": None})
    # A stock install: components at the commits the engine expects (the CLI prints "(expected: X)" when they
    # differ), debug off (otherwise the CLI lists goroutines and file descriptors).
    for key, commit in _COMMITS.items():
        if isinstance(body.get(key), dict):
            body[key] = {"ID": commit, "Expected": commit}
    if "Debug" in body:
        body["Debug"] = False
    # dockerd's nil slices and its built-in plugins (a daemon with nothing configured; measured on 20.10).
    body.update({"Warnings": None, "GenericResources": None, "ProductLicense": "", "ClusterStore": "",
                 "ClusterAdvertise": ""})
    if isinstance(body.get("Plugins"), dict):
        body["Plugins"].update(_PLUGINS)
    return ctx.json(body)


_COMMITS = {"ContainerdCommit": "05044ec0a9a75232cad458027ca83437aae3f4da", "RuncCommit": "v1.2.5-0-g59923ef",
            "InitCommit": "de40ad0"}

_PLUGINS = {
    "Volume": ["local"], "Network": ["bridge", "host", "ipvlan", "macvlan", "null", "overlay"], "Authorization": None,
    "Log": ["awslogs", "fluentd", "gcplogs", "gelf", "journald", "json-file", "local", "logentries", "splunk", "syslog"],
}


@handler("SystemAuth")
async def auth(request: web.Request, ctx: RequestContext) -> web.StreamResponse:
    # No registry here: every login succeeds, without an identity token, unless the engine's seed lists
    # credentials (then only those do, as a registry would answer).
    login = getattr(getattr(ctx.engine, "registry", None), "login", None)
    creds = ctx.json_body()
    if callable(login) and not login(creds.get("username") or "", creds.get("password") or ""):
        server = (creds.get("serveraddress") or "registry-1.docker.io").removeprefix("https://").split("/")[0]
        server = "registry-1.docker.io" if server in ("index.docker.io", "docker.io") else server
        raise DockerError(401, f'Get "https://{server}/v2/": unauthorized: incorrect username or password')
    status = success_status(ctx.operation)
    body = body_for(ctx.spec, ctx.operation, status, "") or {}
    body.update({"Status": "Login Succeeded", "IdentityToken": ""})
    return ctx.json(body, status=status)
