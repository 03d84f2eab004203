"""The answer cache (mockd/answer_cache.py) answers byte-for-byte what the uncached path answers at the same
moment: a workflow of state changes and clock jumps, and after every step the cached and the uncached answer
of the same request, with the clock held still between the two."""

from __future__ import annotations

import asyncio
import time

import pytest

import mockd.engine.containers as engine_containers
import mockd.handlers.containers as container_handlers
import mockd.handlers.system as system_handlers
from mockd.answer_cache import AnswerCache
from mockd.app import create_app
from mockd.config import Config
from mockd.engine.ids import rfc3339
from mockd.keys import REGISTRY
from tests.engine_support import tar_of

SECOND = 1_000_000_000
LISTS = ("/containers/json", "/containers/json?all=1", "/containers/json?all=1&filters=%7B%22label%22%3A%5B%22t%22%5D%7D",
         "/containers/json?filters=%7B%22status%22%3A%5B%22paused%22%5D%7D", "/containers/json?all=1&limit=2")
INSPECTS = ("/containers/ca/json", "/containers/ch/json", "/containers/cc/json")  # 404 before create, after rm
VERSIONS = ("/v1.25", "/v1.41", "/v1.44", "/v1.52", "")


class Clock:
    """The engine's clock as the list reads it: real time plus a skew the test moves; held still on demand."""

    def __init__(self) -> None:
        self.skew = 0
        self.held: int | None = None

    def __call__(self) -> int:
        return self.held if self.held is not None else time.time_ns() + self.skew


@pytest.fixture
def clock(monkeypatch) -> Clock:
    c = Clock()
    monkeypatch.setattr(engine_containers, "now_ns", c)
    monkeypatch.setattr(container_handlers, "now_ns", c)
    monkeypatch.setattr(system_handlers, "now_iso", lambda: rfc3339(c()))  # /info's SystemTime
    return c


async def test_cached_answers_equal_uncached_over_a_workflow(aiohttp_client, clock):
    app = create_app(Config())
    client = await aiohttp_client(app)
    answers: AnswerCache = app[REGISTRY].answers
    compared = 0
    engine = app[REGISTRY].engine

    def state_mark() -> tuple:
        # Events mark state changes; health probes also record results without one (unless the status changes).
        probes = tuple(c.health["Log"][-1]["End"] for c in engine.state.containers.values() if c.health and c.health["Log"])
        return engine.change_mark(), probes

    async def call(method: str, path: str, body: dict | None = None) -> tuple[int, bytes]:
        resp = await client.request(method, path, json=body)
        return resp.status, await resp.read()

    async def compare() -> None:
        nonlocal compared
        clock.held = clock()
        try:
            for prefix in VERSIONS:
                for path in (*LISTS, *INSPECTS, "/version", "/info", "/images/json", "/images/json?all=1&filters=%7B%22dangling%22%3A%5B%22false%22%5D%7D"):
                    # Background work (health probes, process exits) changes the state between requests now and
                    # then; such a triple says nothing: it is repeated until no event fell inside it.
                    for _attempt in range(50):
                        mark = state_mark()
                        answers.enabled = True
                        first = await call("GET", prefix + path)
                        hits = answers.hits
                        again = await call("GET", prefix + path)
                        hit = answers.hits > hits
                        answers.enabled = False
                        fresh = await call("GET", prefix + path)
                        answers.enabled = True
                        if state_mark() == mark:
                            break
                    else:
                        pytest.fail(f"{prefix}{path}: the state kept changing")
                    assert hit or first[0] != 200, f"{prefix}{path}: the second identical request was not a hit"
                    assert first == again == fresh, f"{prefix}{path} at skew {clock.skew / SECOND}s: {_first_difference(first[1], again[1], fresh[1])}"
                    compared += 1
        finally:
            answers.enabled = True
            clock.held = None

    async def create(name: str, *cmd: str, **extra) -> str:
        status, body = await call("POST", f"/v1.41/containers/create?name={name}",
                                  {"Image": "busybox", "Cmd": list(cmd), **extra})
        assert status == 201, body
        return name

    assert (await call("POST", "/v1.41/images/create?fromImage=busybox&tag=latest"))[0] == 200
    await compare()  # no containers
    await create("ca", "sleep", "1000", Labels={"t": "1"})
    await create("cb", "sleep", "1000")
    await create("cc", "sh", "-c", "exit 3", Labels={"t": "2"})
    await create("ch", "sleep", "1000", Healthcheck={"Test": ["CMD-SHELL", "true"], "Interval": 50_000_000})
    await compare()  # created
    for name in ("ca", "cb", "cc", "ch"):
        assert (await call("POST", f"/v1.41/containers/{name}/start"))[0] == 204
    await call("POST", "/v1.41/containers/cc/wait")
    await compare()  # running, one exited
    for skew in (0.4, 0.7, 1.0, 59.5, 60.2, 119.9, 3600.5, 86400 * 3):  # across HumanDuration's boundaries
        clock.skew = int(skew * SECOND)
        await compare()
    clock.skew = 0
    await asyncio.sleep(0.3)  # the health probe has passed by now: "(healthy)"
    await compare()
    assert (await call("POST", "/v1.41/containers/ca/pause"))[0] == 204
    await compare()
    assert (await call("POST", "/v1.41/containers/ca/unpause"))[0] == 204
    assert (await call("POST", "/v1.41/containers/cb/rename?name=cb2"))[0] == 204
    await compare()
    status, body = await call("POST", "/v1.41/networks/create", {"Name": "n1"})
    assert status == 201, body
    assert (await call("POST", "/v1.41/networks/n1/connect", {"Container": "cb2"}))[0] == 200
    await compare()
    assert (await call("POST", "/v1.41/swarm/init", {"ListenAddr": "0.0.0.0:2377"}))[0] == 200
    await compare()  # /info's Swarm
    assert (await call("POST", "/v1.41/images/create?fromImage=alpine&tag=3.20"))[0] == 200
    assert (await call("POST", "/v1.41/images/alpine:3.20/tag?repo=mine&tag=1"))[0] == 201
    await compare()  # /info's Images
    assert (await call("DELETE", "/v1.41/images/mine:1"))[0] == 200
    resp = await client.post("/v1.41/build?t=built:1", data=tar_of({"Dockerfile": "FROM busybox\nLABEL made=here\n"}),
                             headers={"Content-Type": "application/x-tar"})
    assert resp.status == 200 and b"Successfully tagged built:1" in await resp.read()
    await compare()
    assert (await call("POST", "/v1.41/containers/cb2/stop?t=0"))[0] == 204
    clock.skew = int(30.5 * SECOND)
    await compare()
    clock.skew = 0
    assert (await call("DELETE", "/v1.41/containers/cc"))[0] == 204
    await compare()
    app[REGISTRY].reset()  # what POST /_mockd/reset does (the control plane is not on this TCP test client)
    await compare()  # nothing again
    assert compared == 21 * len(VERSIONS) * (len(LISTS) + len(INSPECTS) + 4)


def _first_difference(*bodies: bytes) -> str:
    at = next((i for i, chars in enumerate(zip(*bodies, strict=False)) if len(set(chars)) > 1), 0)
    return " | ".join(repr(b[max(0, at - 80):at + 80]) for b in bodies)



def test_the_cache_starts_over_on_a_new_mark_and_at_its_byte_limit():
    cache = AnswerCache(limit_bytes=10)
    assert cache.get("k", lambda: (b"12345", None), mark=1) == (b"12345", None)
    assert cache.get("k", lambda: (b"other", None), mark=1) == (b"12345", None)  # a hit
    assert cache.get("k", lambda: (b"new", None), mark=2) == (b"new", None)  # state changed: rebuilt
    assert cache.get("t", lambda: (b"t1", 100), mark=2, now=99) == (b"t1", 100)
    assert cache.get("t", lambda: (b"t2", 200), mark=2, now=100) == (b"t2", 200)  # expired at its deadline
    cache.get("big", lambda: (b"x" * 8, None), mark=2)  # over 10 bytes: everything else dropped
    assert len(cache) == 1 and cache.get("k", lambda: (b"k2", None), mark=2) == (b"k2", None)
