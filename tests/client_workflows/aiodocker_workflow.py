"""A short realistic aiodocker workflow (run under ``apicheck client``)."""

import asyncio
import os

import aiodocker


async def main() -> None:
    async with aiodocker.Docker() as client:
        if not os.environ.get("SKIP_PULL"):  # an offline dockerd has the image already
            await client.images.pull("busybox:latest")
        net = await client.networks.create({"Name": "wf-net", "Driver": "bridge"})
        vol = await client.volumes.create({"Name": "wf-vol"})
        app = await client.containers.run(
            {"Image": "busybox", "Cmd": ["sh", "-c", "echo started; sleep 3600"], "Labels": {"wf": "1"},
             "HostConfig": {"Binds": ["wf-vol:/data"]}}, name="wf-app")
        await net.connect({"Container": app.id})
        execute = await app.exec(["sh", "-c", "echo hello > /data/x"])
        async with execute.start(detach=False) as stream:
            while await stream.read_out() is not None:
                pass
        assert [c["Names"] for c in await client.containers.list(filters={"label": ["wf=1"]})] == [["/wf-app"]]
        await app.log(stdout=True)
        await client.images.list()
        await net.disconnect({"Container": app.id})
        await app.delete(force=True)
        await net.delete()
        await vol.delete()


asyncio.run(main())
