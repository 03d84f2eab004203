"""The compiled answer walk (mockd.variations._Plan): plans are made once and reused, and a map's keys (chosen by
users: network names) do not grow a plan without bound, yet every entry is still varied."""

from __future__ import annotations

import specs
from mockd.variations import CHILD_PLANS, Fuzzer

ENTRIES = CHILD_PLANS + 76


def _list_answer() -> list[dict]:
    networks = {f"net{i}": {"Aliases": None, "NetworkID": f"id{i}"} for i in range(ENTRIES)}
    return [{"Id": "c" * 64, "Names": ["/a"], "NetworkSettings": {"Networks": networks}}]


def test_every_map_entry_is_varied_and_the_plan_stays_bounded():
    fuzzer = Fuzzer()
    fuzzer.configure(7, "valid", 1.0, None)
    body = _list_answer()
    applied = fuzzer.vary(body, version="1.41", newest=specs.latest(), operation_id="ContainerList", status=200)
    aliases = [a for a in applied if a.path.endswith(".Aliases")]
    assert len(aliases) == ENTRIES and all(a.rule == "empty-list" for a in aliases)
    assert all(net["Aliases"] == [] for net in body[0]["NetworkSettings"]["Networks"].values())
    root = fuzzer.plan("1.41", specs.latest(), "ContainerList", 200)
    networks = root.items().child("NetworkSettings")[2].child("Networks")[2]
    assert len(networks.children) == CHILD_PLANS


def test_plans_are_compiled_once_per_version_operation_and_mode():
    fuzzer = Fuzzer()
    fuzzer.configure(1, "valid", 0.3, None)
    first = fuzzer.plan("1.41", specs.latest(), "ContainerList", 200)
    for seed in range(3):
        fuzzer.configure(seed, "valid", 0.3, None)
        fuzzer.vary(_list_answer(), version="1.41", newest=specs.latest(), operation_id="ContainerList", status=200)
    assert fuzzer.plan("1.41", specs.latest(), "ContainerList", 200) is first
    fuzzer.configure(1, "invalid", 0.3, None)
    assert fuzzer.plan("1.41", specs.latest(), "ContainerList", 200) is not first  # invalid rules are candidates
