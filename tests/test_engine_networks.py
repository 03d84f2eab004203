"""Engine unit tests: networks and endpoints."""

from __future__ import annotations

import pytest

from mockd.engine import Engine, EngineError, NotFound
from tests.engine_support import busybox_engine, run_body


@pytest.fixture
def engine() -> Engine:
    return busybox_engine()


async def test_networks(engine):
    net = engine.create_network({"Name": "backend", "IPAM": {"Config": [{"Subnet": "10.9.0.0/24"}]}})
    c, _ = engine.create_container(run_body("sleep", "100", HostConfig={"NetworkMode": "backend"}))
    engine.start_container(c.id)
    settings = c.networks["backend"]
    assert settings["IPAddress"] == "10.9.0.2" and settings["Gateway"] == "10.9.0.1"
    engine.connect_network("bridge", c.id, {"Aliases": ["web"]})
    assert c.networks["bridge"]["IPAddress"].startswith("172.17.")
    with pytest.raises(EngineError, match="has active endpoints"):
        engine.remove_network("backend")
    await engine.stop_container(c.id, timeout=0)
    engine.disconnect_network("backend", c.id)
    engine.remove_network(net.id)
    with pytest.raises(NotFound, match="network backend not found"):
        engine.networks.get("backend")
