"""System endpoints: _ping (GET/HEAD), /version, /info, /auth."""

from __future__ import annotations

from typing import Any

from aiohttp import web

import specs
from mockd.errors import DockerError
from mockd.generated import body_for, object_id, success_status
from mockd.record import now_iso
from mockd.routes import RequestContext, handler
from mockd.serializer import dumps
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
        headers["Swarm"] = "active" if ctx.engine.swarm.active else "inactive"
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
    # The answer depends on the daemon's configuration and the requested version only.
    key = ("SystemVersion", ctx.version, ctx.bounds, id(ctx.config))
    return ctx.encoded(ctx.registry.answers.get(key, lambda: (_version(ctx), None), mark=ctx.engine.change_mark())[0])


def _version(ctx: RequestContext) -> bytes:
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
    return dumps(ctx.serialize(body))


# Stands for SystemTime in a cached /info answer; replaced by the time of each request (no other field of
# /info holds text a client chose, so it cannot occur elsewhere in the bytes).
_SYSTEM_TIME = "mockd:SystemTime:c5a1f3"


@handler("SystemInfo")
async def info(request: web.Request, ctx: RequestContext) -> web.StreamResponse:
    eng = ctx.engine
    # Everything but SystemTime follows the state (counts change with events; the image count also with
    # seeding and builds, hence in the key) and the requested version.
    key = ("SystemInfo", ctx.version, ctx.bounds, id(ctx.config), len(eng.images.images), eng.swarm.active,
           eng.swarm.node_id)
    cached = ctx.registry.answers.get(key, lambda: (dumps(ctx.serialize(_info(ctx))), None), mark=eng.change_mark())
    return ctx.encoded(cached[0].replace(_SYSTEM_TIME.encode(), now_iso().encode(), 1))


def _info(ctx: RequestContext) -> dict:
    b, c, eng = ctx.bounds, ctx.config, ctx.engine
    body = _full(ctx)
    counts = eng.info_counts()
    facts = eng.daemon_facts()
    body.update({
        "ID": object_id(f"daemon:{c.hostname}")[:12].upper(),
        "Containers": counts["Containers"], "ContainersRunning": counts["ContainersRunning"],
        "ContainersPaused": counts["ContainersPaused"], "ContainersStopped": counts["ContainersStopped"],
        "Images": counts["Images"],
        "Driver": facts["Driver"], "DriverStatus": facts["DriverStatus"],
        "DockerRootDir": facts["DockerRootDir"], "Name": c.hostname, "ServerVersion": b.engine_version,
        "OSType": c.os_type, "Architecture": facts["Architecture"], "OperatingSystem": facts["OperatingSystem"],
        "OSVersion": facts["OSVersion"], "KernelVersion": c.kernel_version, "NCPU": facts["NCPU"],
        "MemTotal": facts["MemTotal"], "IndexServerAddress": facts["IndexServerAddress"],
        "LoggingDriver": facts["LoggingDriver"],
        "SystemTime": _SYSTEM_TIME,
        "ExperimentalBuild": c.experimental, "Labels": [],
    })
    # The facts only a version's schema has are set where it has them.
    if "CgroupVersion" in body:
        body["CgroupVersion"] = facts["CgroupVersion"]
    if "CgroupDriver" in body:
        body["CgroupDriver"] = facts["CgroupDriver"]
    if "DefaultRuntime" in body:
        body["DefaultRuntime"] = facts["DefaultRuntime"]
        body["Runtimes"] = facts["Runtimes"]
    swarm = body.get("Swarm")
    if isinstance(swarm, dict):
        swarm.update(facts["Swarm"])
        if not eng.swarm.active:  # dockerd outside a swarm: no managers, no cluster (omitempty)
            swarm.update({"NodeAddr": "", "RemoteManagers": None, "Nodes": 0, "Managers": 0, "Cluster": None})
    for key, commit in facts["Commits"].items():
        if isinstance(body.get(key), dict):
            body[key] = {"ID": commit, "Expected": commit}
    if "Debug" in body:
        body["Debug"] = facts["Debug"]
    # dockerd's nil slices (a daemon with nothing configured; measured on 20.10).
    body.update({"Warnings": None, "GenericResources": None, "ProductLicense": "", "ClusterStore": "",
                 "ClusterAdvertise": ""})
    if isinstance(body.get("Plugins"), dict):
        body["Plugins"].update(facts["Plugins"])
    return body


@handler("SystemAuth")
async def auth(request: web.Request, ctx: RequestContext) -> web.StreamResponse:
    # No registry here: every login succeeds, without an identity token, unless the engine's seed lists
    # credentials (then only those do, as a registry would answer).
    creds = ctx.json_body()
    if not ctx.engine.registry.login(creds.get("username") or "", creds.get("password") or ""):
        server = (creds.get("serveraddress") or "registry-1.docker.io").removeprefix("https://").split("/")[0]
        server = "registry-1.docker.io" if server in ("index.docker.io", "docker.io") else server
        raise DockerError(401, f'Get "https://{server}/v2/": unauthorized: incorrect username or password')
    status = success_status(ctx.operation)
    body = body_for(ctx.spec, ctx.operation, status, "") or {}
    body.update({"Status": "Login Succeeded", "IdentityToken": ""})
    return ctx.json(body, status=status)
