"""The classic builder's cache (issue 13, docker-py's test_build_with_cache_from), answered by mockd at 1.41 as
by the real dockerd 20.10: a step built before says " ---> Using cache" and a build whose every step came from
the cache is the earlier image; `cachefrom` limits the cache to the steps of the images named (none when they do
not exist); a changed COPY source is a new step, and so is each one after it; `nocache` builds anew; removing
an image removes its cached steps unless another image was built through them. The same requests go to both
(RUN steps with `networkmode=none`: the test dockerd has no bridge)."""

from __future__ import annotations

import json
import urllib.parse

import pytest

from mockd.pytest_plugin import MockdServer
from tests.engine_support import tar_of
from tests.realdaemons import import_busybox, parse_json_stream, real_dockerd, unix_http  # noqa: F401  (fixture)

DOCKERFILE = "FROM busybox\nENV FOO=bar\nCOPY a.txt /a.txt\nRUN touch /baz\n"


def scenario(sock: str) -> list[object]:
    def build(tag: str, content: str = "one", **params: object) -> tuple[int, str]:
        query = urllib.parse.urlencode({"t": tag, "networkmode": "none", **params})
        status, _, body = unix_http(sock, "POST", f"/v1.41/build?{query}",
                                    body=tar_of({"Dockerfile": DOCKERFILE, "a.txt": content}),
                                    headers={"Content-Type": "application/x-tar"})
        msgs = parse_json_stream(body)
        assert status == 200 and not [m for m in msgs if "error" in m], msgs
        image = next(m["aux"]["ID"] for m in msgs if "aux" in m)
        return sum(m.get("stream") == " ---> Using cache\n" for m in msgs), image

    out: list[object] = []
    first, first_id = build("c1")
    out.append(first)
    again, again_id = build("c2")
    out += [again, again_id == first_id]
    none, none_id = build("c3", cachefrom=json.dumps(["nosuchtag"]))
    out += [none, none_id == first_id]
    named, named_id = build("c4", cachefrom=json.dumps(["c1"]))
    out += [named, named_id == first_id]
    changed, changed_id = build("c5", content="two")
    out += [changed, changed_id == first_id]
    fresh, fresh_id = build("c6", nocache="1")
    out += [fresh, fresh_id == first_id]
    for image_id in (first_id, none_id, fresh_id):  # every image of that Dockerfile and content goes
        out.append(unix_http(sock, "DELETE", f"/v1.41/images/{image_id}?force=1")[0])
    out.append(build("c7")[0])
    return out


EXPECTED = [
    0,  # the first build runs every step
    3, True,  # ENV, COPY and RUN from the cache: the same image
    0, False,  # cachefrom names nothing that exists: nothing from the cache
    3, True,  # cachefrom the first image
    1, False,  # a.txt changed: only ENV from the cache
    0, False,  # nocache
    200, 200, 200,
    1,  # the changed build's ENV step is still cached (its image is there), the others went with their images
]


def test_mockd_caches_steps_as_dockerd_20_10():
    with MockdServer(["--api-version", "1.41"]) as mock:
        assert mock.request("POST", "/v1.41/images/create?fromImage=busybox&tag=latest")[0] == 200
        assert scenario(mock.socket) == EXPECTED


@pytest.mark.realdaemon
def test_the_real_dockerd_caches_steps_as_the_table_says(real_dockerd):  # noqa: F811
    import_busybox(real_dockerd)
    assert scenario(real_dockerd.socket) == EXPECTED
