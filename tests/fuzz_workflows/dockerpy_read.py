"""docker-py reading every kind of object (the fuzzed answers go through its models)."""

import docker

client = docker.from_env()
print(client.version()["ApiVersion"], client.info()["ServerVersion"])
for c in client.containers.list(all=True):
    print(c.name, c.short_id, c.status, c.labels, c.image.tags, c.attrs["State"]["ExitCode"], c.ports)
for image in client.images.list():
    print(image.short_id, image.tags, image.labels, image.history()[0].get("CreatedBy"))
for volume in client.volumes.list():
    print(volume.name, volume.attrs["Mountpoint"], volume.attrs.get("Labels"))
for network in client.networks.list():
    print(network.name, network.short_id, [c.name for c in network.containers])
print(client.containers.get("old").logs())
print(client.df()["LayersSize"])
