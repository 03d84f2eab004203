"""Engine unit tests: reset and the seed."""

from __future__ import annotations

import asyncio

import pytest

from mockd.engine import Engine
from tests.engine_support import busybox_engine, run_body


@pytest.fixture
def engine() -> Engine:
    return busybox_engine()


async def test_reset_returns_to_seed():
    from mockd.engine.seed import parse_seed

    e = Engine(parse_seed("""
images: [{ref: "app:1"}]
volumes: [{name: data, files: {/hello: "hi"}}]
containers: [{name: web, image: "app:1", state: running, cmd: "sleep 100"}, {name: old, image: "app:1",
              state: exited, exit_code: 3}]
"""))
    e.ensure_ready()
    assert e.container("web").status == "running" and e.container("old").exit_code == 3
    e.create_volume("extra")
    e.reset()
    e.ensure_ready()
    assert sorted(e.volumes.volumes) == ["data"] and e.container("web").status == "running"
    assert e.volumes.get("data").tree.read("/hello") == b"hi"
    await e.remove_container("web", force=True)


async def test_reset_makes_a_fresh_state_and_stops_the_old_one(engine):
    from mockd.engine.process import Rule

    c, _ = engine.create_container(run_body("sleep", "100", Healthcheck={"Test": ["CMD", "true"],
                                                                         "Interval": 10_000_000}))
    engine.start_container(c.id)
    waiter = engine.wait_future(c.id, "next-exit")
    engine.create_volume("vol")
    engine.create_network({"Name": "n"})
    engine.rules = [Rule(command="x")]
    engine.join_swarm("node1")
    old_state, generation = engine.state, engine.generation
    engine.reset()
    assert engine.state is not old_state and engine.generation == generation + 1
    assert await asyncio.wait_for(waiter, 5) == -1  # waiters are answered, not left hanging
    await asyncio.sleep(0.05)
    assert c.process.task.cancelled()
    assert (engine.containers, engine.execs, engine.rules, engine.binds) == ({}, {}, [], {})
    assert engine.images.images == {} and engine.volumes.volumes == {} and engine.events.history == []
    assert sorted(n.name for n in engine.networks.networks.values()) == ["bridge", "host", "none"]
    assert not engine.swarm.active and engine.swarm.node_id == ""
    assert engine.info_counts() == {"Containers": 0, "ContainersRunning": 0, "ContainersPaused": 0,
                                    "ContainersStopped": 0, "Images": 0}
    # Every area works on the new state.
    engine.pull("busybox")
    c2, _ = engine.create_container(run_body("true"))
    assert engine.container_ops.state is engine.lifecycle.state is engine.exec_ops.state is engine.state
    assert engine.list_containers(all_=True) == [c2]


def test_every_piece_of_state_is_reset_by_being_declared():
    """Reset re-creates `DaemonState`, so each field of it starts from its default again."""
    import dataclasses

    from mockd.engine.state import DaemonState

    e = Engine()
    old = e.state
    e.reset()
    for f in dataclasses.fields(DaemonState):
        assert getattr(e.state, f.name) is not getattr(old, f.name), f"{f.name} survived the reset"


def test_loading_a_seed_keeps_the_swarm_and_the_engine_reads_no_environment(monkeypatch, tmp_path):
    from mockd.engine.seed import parse_seed

    seed = tmp_path / "seed.yaml"
    seed.write_text("images: [{ref: 'app:1'}]\n")
    monkeypatch.setenv("MOCKD_SEED", str(seed))
    e = Engine()
    assert e.images.images == {}  # only the CLI reads MOCKD_SEED
    e.join_swarm("node1")
    e.load_seed(parse_seed(seed.read_text()))
    assert e.images.find("app:1") is not None and e.swarm.active and e.swarm.node_id == "node1"
    e.reset()
    assert e.images.find("app:1") is not None and not e.swarm.active


def test_the_cli_reads_the_seed_from_the_environment(monkeypatch):
    from mockd.cli import build_parser, config_from_args

    monkeypatch.setenv("MOCKD_SEED", "/seeds/a.yaml")
    assert config_from_args(build_parser().parse_args([])).seed == "/seeds/a.yaml"
    assert config_from_args(build_parser().parse_args(["--seed", "/b.yaml"])).seed == "/b.yaml"
    monkeypatch.delenv("MOCKD_SEED")
    assert config_from_args(build_parser().parse_args([])).seed is None
