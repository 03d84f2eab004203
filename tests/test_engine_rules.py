"""Seed rules: scoped (start, exec, healthcheck, any), the most specific match wins, unmatchable rules refused
when the seed is read."""

from __future__ import annotations

import asyncio

import pytest

from mockd.engine import Engine
from mockd.engine.errors import InvalidParameter
from mockd.engine.process import Rule, check_rules, choose
from mockd.engine.seed import parse_seed
from tests.engine_support import output

POSTGRES_SEED = """
images: [{ref: "postgres:16", cmd: ["postgres"], files: {/usr/local/bin/postgres: "#!mockd builtin\\n",
                                                          /usr/local/bin/pg_isready: "#!mockd builtin\\n"}}]
rules:
  - {image: "postgres*", command: "*postgres", scope: start, stdout: "ready to accept connections\\n",
     duration: 3600}
  - {image: "postgres*", command: "pg_isready*", scope: healthcheck, stdout: "accepting connections\\n"}
"""


async def test_a_start_rule_does_not_capture_the_health_probe():
    engine = Engine(parse_seed(POSTGRES_SEED))
    hc = {"Test": ["CMD", "pg_isready", "-U", "postgres"], "Interval": 30_000_000, "Retries": 3}
    c, _ = engine.create_container({"Image": "postgres:16", "Healthcheck": hc}, "db")
    engine.start_container(c.id)
    for _ in range(200):
        await asyncio.sleep(0.02)
        if c.health["Status"] == "healthy":
            break
    assert c.health["Status"] == "healthy"
    assert c.health["Log"][-1]["Output"] == "accepting connections\n"
    assert c.status == "running" and output(c) == "ready to accept connections\n"
    await engine.remove_container(c.id, force=True)


async def test_an_exec_rule_applies_to_exec_only():
    engine = Engine(parse_seed("""
images: [{ref: "app:1", cmd: ["sleep", "100"]}]
rules: [{command: "migrate", scope: exec, stdout: "migrated\\n"}]
"""))
    c, _ = engine.create_container({"Image": "app:1", "Cmd": ["migrate"]})
    with pytest.raises(Exception, match='exec: "migrate": executable file not found'):
        engine.start_container(c.id)  # the exec rule does not script a container's command


def _pick(rules: list[Rule], argv: str, scope: str = "start") -> str | None:
    rule = choose(rules, ["img:1"], argv.split(), scope)
    return rule.stdout if rule else None


def test_the_most_specific_rule_wins_whatever_the_order():
    rules = [Rule(command="*", stdout="any"), Rule(command="*postgres", stdout="short glob"),
             Rule(command="pg_isready*", stdout="long glob"), Rule(command="pg_isready -U postgres", stdout="exact"),
             Rule(command="/^pg_isready -h/", stdout="regex")]
    assert _pick(rules, "pg_isready -U postgres") == "exact"
    assert _pick(rules, "pg_isready -h db") == "regex"  # a regex over globs
    assert _pick(rules, "pg_isready -d x") == "long glob"  # "pg_isready" has more literal characters
    assert _pick(rules, "run postgres") == "short glob"
    assert _pick(rules, "ls") == "any"
    assert _pick(list(reversed(rules)), "pg_isready -U postgres") == "exact"


def test_scope_then_image_then_order_break_ties():
    scoped = [Rule(command="x*", stdout="any scope"), Rule(command="x*", scope="exec", stdout="exec")]
    assert _pick(scoped, "x1", "exec") == "exec"
    assert _pick(scoped, "x1", "start") == "any scope"
    assert _pick(scoped, "x1", "healthcheck") == "any scope"
    images = [Rule(command="x", image="*", stdout="all"), Rule(command="x", image="img:*", stdout="img")]
    assert _pick(images, "x") == "img"
    same = [Rule(command="x", image="img*", stdout="first"), Rule(command="x", image="im*1", stdout="second")]
    assert _pick(same, "x") == "first"


@pytest.mark.parametrize(("rule", "reason"), [
    ({"command": "x", "scope": "build"}, "scope 'build' is not one of start, exec, healthcheck, any"),
    ({"command": ""}, "empty command never matches"),
    ({"command": "/(unclosed/"}, "invalid regex"),
    ({"command": "x", "listen": [70000]}, "listen port 70000 out of range"),
    ({"command": "x", "stdot": "typo"}, "unknown keys ['stdot']"),
])
def test_a_rule_that_can_never_match_is_refused_at_load(rule, reason):
    import json

    with pytest.raises(InvalidParameter, match="invalid seed: .*" + reason.replace("[", r"\[").replace("(", r"\(")):
        parse_seed(json.dumps({"rules": [rule]}))


def test_a_shadowed_rule_is_refused():
    with pytest.raises(ValueError, match="rule 2 .* can never match: rule 1 has the same scope, image and command"):
        check_rules([Rule(command="x", stdout="a"), Rule(command="x", stdout="b")])
    check_rules([Rule(command="x"), Rule(command="x", scope="exec")])  # different scopes: both reachable
