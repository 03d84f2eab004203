"""Image endpoints: pull/import (create), list, inspect, history, tag, remove, prune, search, push,
save (get), load, commit and the classic build."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

from aiohttp import web

from mockd.engine import references
from mockd.engine.build import RunOptions
from mockd.engine.errors import EngineError
from mockd.errors import DockerError
from mockd.routes import RequestContext
from mockd.serializer import dumps

from . import _request_gates as request_gates
from ._engine import daemon_wording, engine, filters, json_stream, route, tar_response


@route("ImageCreate")
async def create(request: web.Request, ctx: RequestContext) -> web.StreamResponse:
    eng = engine(ctx)
    source = ctx.q("fromSrc")
    if source:
        if source != "-":
            raise DockerError(500, f"Get \"{source}\": dial tcp: lookup: no such host (mockd fetches no URLs)")
        data = ctx.raw_body or await request.read()
        msgs = eng.import_image(data, ctx.q("repo") or "", ctx.q("tag") or "", ctx.q_all("changes"),
                                ctx.q("message") or "", ctx.q("platform") or "")
        return await json_stream(request, msgs)
    image = ctx.q("fromImage") or ""
    msgs = eng.pull(image, ctx.q("tag") or "", ctx.q("platform") or "")  # refusals: an HTTP error, as dockerd
    return await json_stream(request, msgs)


@route("ImageList")
async def list_(request: web.Request, ctx: RequestContext) -> web.StreamResponse:
    eng = engine(ctx)
    wanted = filters(ctx)
    old = ctx.q("filter")
    if old and ctx.behaves("image-list-filter-param"):
        wanted.setdefault("reference", []).append(old)

    def build() -> tuple[bytes, None]:
        return dumps(ctx.serialize(eng.list_images(wanted, all_=ctx.q_bool("all"), shared_size=ctx.q_bool("shared-size")))), None

    # Images change through the store (counted) and with events (container counts); nothing here shows time.
    key = ("ImageList", ctx.version, ctx.bounds.max_api, request.query_string, eng.images.changes)
    return ctx.encoded(ctx.registry.answers.get(key, build, mark=eng.change_mark())[0])


@route("ImageInspect")
async def inspect(request: web.Request, ctx: RequestContext) -> web.StreamResponse:
    return ctx.json(engine(ctx).inspect_image(ctx.path_params["name"]).inspect())


@route("ImageHistory")
async def history(request: web.Request, ctx: RequestContext) -> web.StreamResponse:
    return ctx.json(engine(ctx).images.get(ctx.path_params["name"]).history_view())


@route("ImageTag")
async def tag(request: web.Request, ctx: RequestContext) -> web.StreamResponse:
    if ctx.behaves("tag-reference-checked-first"):
        if not ctx.q("repo"):
            # RepoTagReference gives (nil, nil) for an empty repo and errdefs.InvalidParameter(nil) is nil: the
            # router returns without writing, so net/http answers 200 with no body and nothing is tagged.
            return web.Response(status=200)
        references.parse_new_tag(ctx.q("repo") or "", ctx.q("tag") or "", status=400)
    engine(ctx).tag_image(ctx.path_params["name"], ctx.q("repo") or "", ctx.q("tag") or "")
    return web.Response(status=201)


@route("ImageDelete")
async def delete(request: web.Request, ctx: RequestContext) -> web.StreamResponse:
    return ctx.json(engine(ctx).remove_image(ctx.path_params["name"], ctx.q_bool("force"), ctx.q_bool("noprune")))


@route("ImagePrune")
async def prune(request: web.Request, ctx: RequestContext) -> web.StreamResponse:
    return ctx.json(engine(ctx).prune_images(filters(ctx)))


@route("BuildPrune")
async def build_prune(request: web.Request, ctx: RequestContext) -> web.StreamResponse:
    wanted = filters(ctx)
    # Read for its checks: mockd's classic builder keeps no BuildKit cache for a reserve to spare (image_ops).
    request_gates.build_prune_reserved_space(ctx)
    return ctx.json(engine(ctx).prune_build_cache(wanted))


@route("ImageSearch")
async def search(request: web.Request, ctx: RequestContext) -> web.StreamResponse:
    automated = not ctx.behaves("search-automated-always-false")
    return ctx.json(engine(ctx).search(ctx.q("term") or "", ctx.q_int("limit", 25) or 25, filters(ctx), automated))


@route("ImagePush")
async def push(request: web.Request, ctx: RequestContext) -> web.StreamResponse:
    msgs = engine(ctx).push(ctx.path_params["name"], ctx.q("tag") or "")
    return await json_stream(request, msgs)


@route("ImageGet")
async def save_one(request: web.Request, ctx: RequestContext) -> web.StreamResponse:
    return tar_response(engine(ctx).save([ctx.path_params["name"]]))


@route("ImageGetAll")
async def save(request: web.Request, ctx: RequestContext) -> web.StreamResponse:
    names = ctx.q_all("names")
    return tar_response(engine(ctx).save(names))


@route("ImageLoad")
async def load(request: web.Request, ctx: RequestContext) -> web.StreamResponse:
    data = ctx.raw_body or await request.read()
    # quiet only hides progress bars (which mockd never sends): "Loaded image" lines come either way, and the
    # messages end in \r\n like every progress stream (measured on 20.10, tests/test_mockd_bad_archives.py)
    return await json_stream(request, engine(ctx).load(data))


@route("ImageCommit")
async def commit(request: web.Request, ctx: RequestContext) -> web.StreamResponse:
    body = ctx.json_body()
    image = engine(ctx).commit(ctx.q("container") or "", ctx.q("repo") or "", ctx.q("tag") or "",
                               ctx.q("comment") or "", ctx.q("author") or "", ctx.q_all("changes"),
                               ctx.q_bool("pause", True), body or None)
    return ctx.json({"Id": image.id}, status=201)


@route("ImageBuild")
async def build(request: web.Request, ctx: RequestContext) -> web.StreamResponse:
    eng = engine(ctx)
    context = ctx.raw_body or await request.read()
    try:
        buildargs = json.loads(ctx.q("buildargs") or "{}") or {}
        labels = json.loads(ctx.q("labels") or "{}") or {}
        cache_from = json.loads(ctx.q("cachefrom") or "[]") or []
    except ValueError as err:
        raise DockerError(400, f"invalid build arguments: {err}") from None
    tags = ctx.q_all("t")
    for t in tags:
        try:
            references.parse(t)
        except EngineError as err:
            raise DockerError(400, f"invalid reference format: {t}" if "lowercase" not in err.message
                              else daemon_wording(err.message, ctx)) from None
    messages = eng.build(context, tags, dockerfile_path=ctx.q("dockerfile") or "Dockerfile", buildargs=buildargs,
                         labels=labels, target=ctx.q("target") or "", quiet=ctx.q_bool("q"),
                         pull=ctx.q_bool("pull"), platform=ctx.q("platform") or "",
                         run=RunOptions(extra_hosts=ctx.q_all("extrahosts"), network_mode=ctx.q("networkmode") or ""),
                         nocache=ctx.q_bool("nocache"), cache_from=[str(ref) for ref in cache_from])
    # What is wrong with the context or the Dockerfile dockerd answers with an HTTP error: nothing is streamed
    # before the first message.
    first = await anext(messages)
    messages = _after(first, messages)
    if not ctx.behaves("build-aux-id"):
        messages = _without_aux(messages)
    return await json_stream(request, messages)


async def _after(first: dict, rest: AsyncIterator[dict]) -> AsyncIterator[dict]:
    yield first
    async for message in rest:
        yield message


async def _without_aux(messages: AsyncIterator[dict]) -> AsyncIterator[dict]:
    async for msg in messages:
        if "aux" not in msg:
            yield msg


@route("DistributionInspect")
async def distribution(request: web.Request, ctx: RequestContext) -> web.StreamResponse:
    eng = engine(ctx)
    ref = references.parse(ctx.path_params["name"])
    image = eng.registry.resolve(ref)
    manifest = eng.registry.manifest_digest(ref, image)
    return ctx.json({"Descriptor": {"mediaType": "application/vnd.docker.distribution.manifest.v2+json",
                                    "digest": manifest, "size": len(image.config_json())},
                     "Platforms": [{"architecture": "amd64", "os": "linux"}]})
