"""Engine unit tests: the daemon as a whole (info counts and facts, swarm membership, image listing, disk usage)."""

from __future__ import annotations

import pytest

from mockd.engine import Engine
from tests.engine_support import busybox_engine, run, run_body


@pytest.fixture
def engine() -> Engine:
    return busybox_engine()


async def test_info_counts_follow_container_states(engine):
    await run(engine, "true")
    running, _ = engine.create_container(run_body("sleep", "100"))
    engine.start_container(running.id)
    paused, _ = engine.create_container(run_body("sleep", "100"))
    engine.start_container(paused.id)
    engine.pause_container(paused.id)
    engine.create_container(run_body("true"))
    assert engine.info_counts() == {"Containers": 4, "ContainersRunning": 1, "ContainersPaused": 1,
                                    "ContainersStopped": 2, "Images": 1}
    await engine.remove_container(running.id, force=True)
    await engine.remove_container(paused.id, force=True)


def test_swarm_membership_is_engine_state(engine):
    assert engine.daemon_facts()["Swarm"] == {"LocalNodeState": "inactive", "NodeID": "", "ControlAvailable": False}
    engine.join_swarm("abc")
    assert engine.daemon_facts()["Swarm"] == {"LocalNodeState": "active", "NodeID": "abc", "ControlAvailable": True}
    engine.leave_swarm()
    assert not engine.swarm.active and engine.swarm.node_id == ""


def test_daemon_facts_are_a_stock_install(engine):
    facts = engine.daemon_facts()
    assert facts["Driver"] == "overlay2" and facts["OperatingSystem"] == "mockd" and facts["NCPU"] >= 1
    assert facts["Commits"]["InitCommit"] == "de40ad0" and facts["Plugins"]["Volume"] == ["local"]


def test_image_list_counts_containers_for_every_request(engine):
    """The engine counts always; requests below 1.51 without shared-size get -1 from the serializer
    (tests/test_version_gate_answers.py)."""
    engine.pull("alpine")
    engine.create_container(run_body("true"))
    engine.create_container(run_body("true"))
    by_tag = {s["RepoTags"][0]: s for s in engine.list_images({}, shared_size=True)}
    assert by_tag["busybox:latest"]["Containers"] == 2 and by_tag["alpine:latest"]["Containers"] == 0
    assert by_tag["busybox:latest"]["SharedSize"] == 0
    assert {s["RepoTags"][0]: s["Containers"] for s in engine.list_images({})} == {"busybox:latest": 2,
                                                                                  "alpine:latest": 0}


def test_image_list_by_reference_shows_only_the_matching_tags(engine):
    engine.tag_image("busybox", "mine/box", "1")
    [summary] = engine.list_images({"reference": ["mine/*"]})
    assert summary["RepoTags"] == ["mine/box:1"] and summary["RepoDigests"] == []


def test_disk_usage_counts_images_containers_and_volumes(engine):
    c, _ = engine.create_container(run_body("true", HostConfig={"Binds": ["data:/data"]}))
    usage = engine.disk_usage()
    assert [i["Containers"] for i in usage["Images"]] == [1]
    assert [v["Name"] for v in usage["Volumes"]] == ["data"] and usage["Volumes"][0]["UsageData"]["RefCount"] == 1
    assert [x["Id"] for x in usage["Containers"]] == [c.id] and usage["BuildCache"] == []
