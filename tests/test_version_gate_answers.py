"""What mockd answers on both sides of the version gates of mockd/data/version_gates.csv.

tests/test_version_gates.py checks that each line maps to a behaviour or serializer row switching at the line's
version; here the answers themselves are read at the version before the gate and at the gate (the newest daemon,
asked at both), so a row that switches but is not applied, or is applied to the wrong field, fails too."""

from __future__ import annotations

import asyncio
import json
import time

import pytest

from mockd.app import create_app
from mockd.config import Config
from tests.engine_support import tar_of


@pytest.fixture
async def client(aiohttp_client):
    c = await aiohttp_client(create_app(Config()))
    assert (await c.post("/v1.41/images/create?fromImage=busybox&tag=latest")).status == 200
    return c


async def get(client, path: str):
    resp = await client.get(path)
    assert resp.status == 200, (path, await resp.text())
    return await resp.json()



async def _untagged_image(client) -> str:
    """A built image without a tag (and without digests): `docker build` without -t."""
    resp = await client.post("/v1.41/build", data=tar_of({"Dockerfile": "FROM busybox\nLABEL gate=1\n"}),
                             headers={"Content-Type": "application/x-tar"})
    text = await resp.text()
    assert resp.status == 200, text
    return next(i["Id"] for i in await get(client, "/v1.43/images/json") if not i["RepoTags"])


async def test_untagged_images_list_none_placeholders_below_1_43(client):
    image_id = await _untagged_image(client)
    old = next(i for i in await get(client, "/v1.42/images/json") if i["Id"] == image_id)
    new = next(i for i in await get(client, "/v1.43/images/json") if i["Id"] == image_id)
    assert (old["RepoTags"], old["RepoDigests"]) == (["<none>:<none>"], ["<none>@<none>"])
    assert new["RepoTags"] == [] and not new["RepoDigests"]
    tagged = next(i for i in await get(client, "/v1.42/images/json") if i["RepoTags"] == ["busybox:latest"])
    assert tagged["RepoDigests"] and "<none>@<none>" not in tagged["RepoDigests"]
    # Tagged but without digests (built with -t): no placeholder, RepoDigests as dockerd sends it (null).
    resp = await client.post("/v1.41/build?t=mine:1", data=tar_of({"Dockerfile": "FROM busybox\nLABEL gate=2\n"}),
                             headers={"Content-Type": "application/x-tar"})
    assert resp.status == 200, await resp.text()
    mine = next(i for i in await get(client, "/v1.42/images/json") if i["RepoTags"] == ["mine:1"])
    assert not mine["RepoDigests"]


async def test_image_list_counts_containers_from_1_51(client):
    assert (await client.post("/v1.41/containers/create", json={"Image": "busybox", "Cmd": ["true"]})).status == 201
    busybox = [i for i in await get(client, "/v1.50/images/json") if "busybox:latest" in i["RepoTags"]]
    assert busybox[0]["Containers"] == -1  # not computed below 1.51
    shared = [i for i in await get(client, "/v1.50/images/json?shared-size=1") if "busybox:latest" in i["RepoTags"]]
    assert shared[0]["Containers"] == 1
    counted = [i for i in await get(client, "/v1.51/images/json") if "busybox:latest" in i["RepoTags"]]
    assert counted[0]["Containers"] == 1


async def test_info_registry_and_bridge_fields_per_version(client):
    old, mid, new = [await get(client, f"/v{v}/info") for v in ("1.46", "1.47", "1.50")]
    assert "AllowNondistributableArtifactsCIDRs" in old["RegistryConfig"]
    assert "AllowNondistributableArtifactsHostnames" in old["RegistryConfig"]
    assert "AllowNondistributableArtifactsCIDRs" not in mid["RegistryConfig"]
    before = await get(client, "/v1.49/info")
    assert before["BridgeNfIptables"] is False and before["BridgeNfIp6tables"] is False
    assert "BridgeNfIptables" not in new and "BridgeNfIp6tables" not in new


async def test_image_config_omits_unset_fields_from_1_52(client):
    image_id = await _untagged_image(client)
    old = (await get(client, f"/v1.51/images/{image_id}/json"))["Config"]
    new = (await get(client, f"/v1.52/images/{image_id}/json"))["Config"]
    for name in ("Entrypoint", "OnBuild", "User", "Volumes", "WorkingDir"):
        assert name in old, name  # null or "" below 1.52
        assert name not in new, name
    assert new["Cmd"] == old["Cmd"] and new["Labels"] == {"gate": "1"}  # set fields stay


async def test_container_config_omits_empty_onbuild_from_1_52(client):
    resp = await client.post("/v1.41/containers/create?name=g1", json={"Image": "busybox", "Cmd": ["true"]})
    assert resp.status == 201
    assert "OnBuild" in (await get(client, "/v1.51/containers/g1/json"))["Config"]
    assert "OnBuild" not in (await get(client, "/v1.52/containers/g1/json"))["Config"]


async def _events(client, version: str) -> list[dict]:
    resp = await client.get(f"/v{version}/events?since=0&until={int(time.time()) + 1}")
    assert resp.status == 200
    return [json.loads(line) for line in (await resp.text()).splitlines() if line.strip()]


async def test_image_create_events_reach_clients_from_1_46(client):
    image_id = await _untagged_image(client)
    created = [e for e in await _events(client, "1.46") if e["Type"] == "image" and e["Action"] == "create"]
    assert [e["Actor"]["ID"] for e in created] == [image_id]
    assert not [e for e in await _events(client, "1.45") if e["Type"] == "image" and e["Action"] == "create"]


async def test_builds_send_the_aux_id_from_1_30(client):
    for version, expected in (("1.29", False), ("1.30", True)):
        resp = await client.post(f"/v{version}/build", data=tar_of({"Dockerfile": "FROM busybox\nLABEL aux=1\n"}),
                                 headers={"Content-Type": "application/x-tar"})
        lines = [json.loads(line) for line in (await resp.text()).splitlines() if line.strip()]
        assert any("aux" in m for m in lines) is expected, (version, lines)


@pytest.mark.parametrize("daemon,shown", [("1.40", False), ("1.41", True)])
async def test_prune_events_by_the_daemon_release(aiohttp_client, daemon, shown):
    c = await aiohttp_client(create_app(Config(api_version=daemon)))
    assert (await c.post(f"/v{daemon}/volumes/prune")).status == 200
    assert (await c.post(f"/v{daemon}/containers/prune")).status == 200
    pruned = [e for e in await _events(c, "1.30") if e["Action"] == "prune"]  # asked at an old version alike
    assert bool(pruned) is shown and all("reclaimed" in e["Actor"]["Attributes"] for e in pruned)


@pytest.mark.parametrize("daemon,shown", [("1.35", False), ("1.36", True)])
async def test_exec_die_events_by_the_daemon_release(aiohttp_client, daemon, shown):
    c = await aiohttp_client(create_app(Config(api_version=daemon)))
    assert (await c.post(f"/v{daemon}/images/create?fromImage=busybox&tag=latest")).status == 200
    resp = await c.post(f"/v{daemon}/containers/create?name=ed", json={"Image": "busybox", "Cmd": ["sleep", "100"]})
    assert resp.status == 201
    assert (await c.post(f"/v{daemon}/containers/ed/start")).status == 204
    resp = await c.post(f"/v{daemon}/containers/ed/exec", json={"Cmd": ["true"]})
    exec_id = (await resp.json())["Id"]
    resp = await c.post(f"/v{daemon}/exec/{exec_id}/start", json={"Detach": True})
    assert resp.status == 200
    for _ in range(50):
        if not (await (await c.get(f"/v{daemon}/exec/{exec_id}/json")).json())["Running"]:
            break
        await asyncio.sleep(0.02)
    actions = [e["Action"].split(":")[0] for e in await _events(c, "1.25") if e["Type"] == "container"]
    assert "exec_start" in actions and ("exec_die" in actions) is shown


async def test_image_without_a_creation_time_by_version(client):
    config = {"architecture": "amd64", "os": "linux", "config": {"Cmd": ["sh"]},
              "rootfs": {"type": "layers", "diff_ids": []}}  # no "created", as some builders write
    manifest = [{"Config": "config.json", "RepoTags": ["nocreated:1"], "Layers": ["layer/layer.tar"]}]
    data = tar_of({"config.json": json.dumps(config).encode(), "manifest.json": json.dumps(manifest).encode(),
                     "layer/layer.tar": tar_of({"hello": "world\n"})})
    resp = await client.post("/v1.43/images/load?quiet=1", data=data, headers={"Content-Type": "application/x-tar"})
    assert resp.status == 200, await resp.text()
    assert (await get(client, "/v1.43/images/nocreated:1/json"))["Created"] == "0001-01-01T00:00:00Z"
    assert "Created" not in await get(client, "/v1.44/images/nocreated:1/json")
    assert (await get(client, "/v1.44/images/busybox/json"))["Created"].startswith("20")  # a set time stays


async def test_system_df_keeps_the_legacy_fields_from_1_52_unless_verbose(client):
    legacy = {"LayersSize", "Images", "Containers", "Volumes", "BuildCache"}
    usage = {"ImageUsage", "ContainerUsage", "VolumeUsage", "BuildCacheUsage"}
    old, new, verbose = [await get(client, f"/v{v}/system/df{q}")
                         for v, q in (("1.51", ""), ("1.52", ""), ("1.52", "?verbose=1"))]
    assert legacy <= set(old) and not usage & set(old)
    assert legacy | usage <= set(new) and new["ImageUsage"]["Items"] == new["Images"]
    assert usage <= set(verbose) and not legacy & set(verbose) and verbose["ImageUsage"]["Items"]
