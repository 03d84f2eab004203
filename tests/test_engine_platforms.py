"""Platform specifiers as dockerd 20.10 parses them (checked against it: tests/conformance, aiodocker's
test_pull_image_invalid_platform / test_build_image_invalid_platform), and the build cache's prune answer."""

from __future__ import annotations

import pytest

from mockd.engine import Engine
from mockd.engine.errors import InvalidParameter
from mockd.engine.platforms import parse
from tests.engine_support import tar_of


@pytest.mark.parametrize("specifier, parsed", [
    ("linux", ("linux", "amd64", "")), ("windows", ("windows", "amd64", "")), ("arm64", ("linux", "arm64", "")),
    ("x86_64", ("linux", "amd64", "")), ("linux/arm64/v8", ("linux", "arm64", "v8")),
    ("Linux/AMD64", ("linux", "amd64", "")), ("linux/foo", ("linux", "foo", "")),  # two parts: not checked
])
def test_specifiers_dockerd_accepts(specifier, parsed):
    assert parse(specifier) == parsed


@pytest.mark.parametrize("specifier, message", [
    ("foo", '"foo": unknown operating system or architecture: invalid argument'),
    ("a/b/c/d", '"a/b/c/d": cannot parse platform specifier: invalid argument'),
    ("*", '"*": wildcards not yet supported: invalid argument'),
    ("lin ux/amd64", '"lin ux" is an invalid component of "lin ux/amd64": platform specifier component must match '
                     '"^[A-Za-z0-9_-]+$": invalid argument'),
])
def test_specifiers_dockerd_refuses_with_its_messages(specifier, message):
    with pytest.raises(InvalidParameter) as err:
        parse(specifier)
    assert err.value.message == message and err.value.status == 400


def test_pull_import_and_build_refuse_a_bad_platform_before_anything_starts():
    e = Engine()
    for attempt in (lambda: e.pull("busybox", platform="foo"),
                    lambda: e.import_image(tar_of({"a": "b"}), "x", platform="foo"),
                    lambda: e.build(tar_of({"Dockerfile": "FROM busybox\n"}), ["t"], platform="foo")):
        with pytest.raises(InvalidParameter, match="unknown operating system or architecture"):
            attempt()
    assert e.images.find("busybox") is None and e.images.find("x") is None


def test_build_cache_prune_deletes_nothing_checks_filters_and_sends_its_event():
    e = Engine()
    assert e.prune_build_cache({"id": ["x"], "until": ["1h"]}) == {"CachesDeleted": None, "SpaceReclaimed": 0}
    with pytest.raises(InvalidParameter) as err:
        e.prune_build_cache({"bogus": ["x"]})
    assert err.value.message == "failed to prune build cache: Invalid filter 'bogus'"
    pruned = [(ev.type, ev.action, ev.attributes) for ev in e.events.history if ev.action == "prune"]
    assert pruned == [("builder", "prune", {"reclaimed": "0"})]  # none for the refused one
