"""A short realistic docker-py workflow (run under ``apicheck client``)."""

import os

import docker

client = docker.from_env()
if not os.environ.get("SKIP_PULL"):  # an offline dockerd has the image already
    client.images.pull("busybox", tag="latest")
net = client.networks.create("wf-net", driver="bridge")
vol = client.volumes.create("wf-vol")
app = client.containers.run("busybox", ["sh", "-c", "echo started; sleep 3600"], name="wf-app", detach=True,
                            volumes={"wf-vol": {"bind": "/data", "mode": "rw"}}, labels={"wf": "1"})
net.connect(app)
assert app.exec_run(["sh", "-c", "echo hello > /data/x"]).exit_code == 0
assert [c.name for c in client.containers.list(filters={"label": "wf=1"})] == ["wf-app"]
app.logs()
client.images.list()
net.disconnect(app)
app.remove(force=True)
net.remove()
vol.remove()
