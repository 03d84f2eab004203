"""Engine unit tests: healthchecks."""

from __future__ import annotations

import asyncio

import pytest

from mockd.engine import Engine
from tests.engine_support import busybox_engine, run, run_body


@pytest.fixture
def engine() -> Engine:
    return busybox_engine()


async def test_healthcheck_probes_status_events_and_filter(engine):
    """Regression: healthchecks were ignored (no State.Health, no "(healthy)" in `docker ps`, `health=` filter)."""
    hc = {"Test": ["CMD-SHELL", "test -f /tmp/ok && echo fine"], "Interval": 40_000_000, "Retries": 2}
    c, _ = engine.create_container(run_body("sh", "-c", "sleep 0.4; touch /tmp/ok; sleep 100", Healthcheck=hc), "hc")
    engine.start_container(c.id)
    assert c.state_view()["Health"] == {"Status": "starting", "FailingStreak": 0, "Log": []}
    assert c.status_text().endswith("(health: starting)")
    assert [x.name for x in engine.list_containers(filters={"health": ["starting"]})] == ["hc"]
    for _ in range(100):
        await asyncio.sleep(0.02)
        if c.health["Status"] == "healthy":
            break
    health = c.state_view()["Health"]
    assert health["Status"] == "healthy" and health["FailingStreak"] == 0 and len(health["Log"]) <= 5
    assert health["Log"][-1]["ExitCode"] == 0 and health["Log"][-1]["Output"] == "fine\n"
    assert health["Log"][0]["ExitCode"] == 1 and c.status_text().endswith("(healthy)")
    actions = [e.action for e in engine.events.history if e.actor_id == c.id]
    assert [a for a in actions if a.startswith("health_status")] == ["health_status: unhealthy",
                                                                      "health_status: healthy"]
    assert [x.name for x in engine.list_containers(filters={"health": ["healthy"]})] == ["hc"]
    assert engine.list_containers(filters={"health": ["none"]}) == []
    await engine.remove_container(c.id, force=True)
    plain, _ = await run(engine, "true")
    assert "Health" not in plain.state_view()
