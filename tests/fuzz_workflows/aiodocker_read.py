"""aiodocker reading every kind of object."""

import asyncio

import aiodocker


async def main() -> None:
    async with aiodocker.Docker() as client:
        print((await client.version())["ApiVersion"], (await client.system.info())["ServerVersion"])
        for c in await client.containers.list(all=True):
            info = await c.show()
            print(c.id[:12], info["Name"], info["State"]["Status"], info["Config"]["Labels"], info["Mounts"])
        for image in await client.images.list():
            print(image["Id"][:19], image["RepoTags"], (await client.images.inspect(image["Id"]))["Config"])
        print([v["Name"] for v in (await client.volumes.list())["Volumes"]])
        for network in await client.networks.list():
            print(network["Name"], (await client.networks.get(network["Id"])).id[:12])
        old = await client.containers.get("old")
        print(await old.log(stdout=True, stderr=True))


asyncio.run(main())
