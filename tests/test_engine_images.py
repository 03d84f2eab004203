"""Engine unit tests: the mock registry, image store, save/load/import, commit and the classic builder."""

from __future__ import annotations

import asyncio
import io
import json
import tarfile

import pytest

from mockd.engine import Conflict, Engine, NotFound
from mockd.engine.seed import parse_seed
from tests.engine_support import tar_of


def test_pull_is_deterministic_and_streams_progress():
    a, b = Engine(), Engine()
    msgs = a.pull("docker.io/library/busybox", "latest")
    b.pull("busybox")
    assert a.images.get("busybox").id == b.images.get("busybox:latest").id
    assert msgs[0] == {"status": "Pulling from library/busybox", "id": "latest"}
    assert msgs[-1] == {"status": "Status: Downloaded newer image for busybox:latest"}
    assert a.pull("busybox")[-1] == {"status": "Status: Image is up to date for busybox:latest"}
    assert a.images.get("busybox").repo_digests[0].startswith("busybox@sha256:")
    a.pull("alpine:3")
    assert a.images.get("alpine:3").id != a.images.get("busybox").id


def test_refusals():
    e = Engine(parse_seed("registry: {refusals: [{pattern: 'private/*'}, "
                          "{pattern: 'busybox:nope', kind: manifest-unknown}]}"))
    with pytest.raises(NotFound, match="pull access denied for private/x, repository does not exist"):
        e.pull("private/x")
    with pytest.raises(NotFound, match="manifest for busybox:nope not found: manifest unknown"):
        e.pull("busybox", "nope")


def test_tag_and_remove_semantics():
    e = Engine()
    e.pull("busybox")
    image = e.images.get("busybox")
    e.tag_image("busybox", "me/box", "v1")
    assert sorted(image.repo_tags) == ["busybox:latest", "me/box:v1"]
    with pytest.raises(Conflict, match="image is referenced in multiple repositories"):
        e.remove_image(image.id[7:19])
    assert e.remove_image("me/box:v1") == [{"Untagged": "me/box:v1"}]
    e.create_container({"Image": "busybox", "Cmd": ["true"]})
    with pytest.raises(Conflict, match='unable to remove repository reference "busybox"'):
        e.remove_image("busybox")
    with pytest.raises(NotFound, match="No such image: nope:latest"):
        e.remove_image("nope")
    filtered = e.images.list({"reference": ["busy*"]})
    assert [i.id for i in filtered] == [image.id]


def test_save_load_roundtrip():
    e = Engine()
    e.pull("busybox")
    data = e.save(["busybox"])
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        manifest = json.load(tar.extractfile("manifest.json"))
    assert manifest[0]["RepoTags"] == ["busybox:latest"] and manifest[0]["Layers"][0].endswith("/layer.tar")
    other = Engine()
    assert other.load(data) == [{"stream": "Loaded image: busybox:latest\n"}]
    assert other.images.get("busybox").id == e.images.get("busybox").id


def test_load_of_a_legacy_archive_with_a_shared_layer_symlink_and_an_empty_layer():
    """`docker save` of old daemons (aiodocker's google-containers-pause.tar): a layer two images share is a
    symlink to the other's layer.tar, and an empty layer is a tar of end-of-archive blocks only."""
    config = json.dumps({"config": {"Cmd": ["/pause"]}, "rootfs": {"type": "layers", "diff_ids": []}}).encode()
    members = [("cfg.json", tarfile.REGTYPE, config), ("a/layer.tar", tarfile.REGTYPE, tar_of({"pause": "bin"})),
               ("b/layer.tar", tarfile.SYMTYPE, b"../a/layer.tar"), ("c/layer.tar", tarfile.REGTYPE, b"\0" * 1024),
               ("manifest.json", tarfile.REGTYPE, json.dumps([{"Config": "cfg.json", "RepoTags": ["pause:1.0"],
                                                                "Layers": ["c/layer.tar", "b/layer.tar"]}]).encode())]
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for name, kind, data in members:
            info = tarfile.TarInfo(name)
            info.type = kind
            if kind == tarfile.SYMTYPE:
                info.linkname = data.decode()
                tar.addfile(info)
            else:
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
    e = Engine()
    assert e.load(buf.getvalue()) == [{"stream": "Loaded image: pause:1.0\n"}]
    assert e.images.get("pause:1.0").rootfs().read("/pause") == b"bin"


async def test_commit_with_changes_and_import():
    e = Engine()
    e.pull("busybox")
    c, _ = e.create_container({"Image": "busybox", "Cmd": ["sh", "-c", "echo x > /made"]})
    fut = e.wait_future(c.id, "next-exit")
    e.start_container(c.id)
    await fut
    image = e.commit(c.id, "snap", "v1", changes=['CMD ["cat", "/made"]', "ENV A=b", "EXPOSE 80"])
    assert image.config["Cmd"] == ["cat", "/made"] and "A=b" in image.config["Env"]
    assert image.rootfs().read("/made") == b"x\n" and image.parent == c.image.id
    e.import_image(tar_of({"hello.txt": "hi"}), "imported", "v1", changes=["CMD [\"x\"]"])
    assert e.images.get("imported:v1").rootfs().read("/hello.txt") == b"hi"


async def test_build_classic():
    e = Engine()
    context = tar_of({
        "Dockerfile": "FROM busybox\nARG WHO=world\nENV GREETING=hello\nWORKDIR /app\nCOPY app.txt .\n"
                      "RUN echo $GREETING $WHO > out.txt && cat out.txt\nCMD [\"cat\", \"/app/out.txt\"]\n"
                      "LABEL a=b\nEXPOSE 8080\n",
        "app.txt": "content",
    })
    msgs = [m async for m in e.build(context, ["built:v1"], buildargs={"WHO": "mockd"})]
    streams = "".join(m.get("stream", "") for m in msgs)
    assert "Step 1/9 : FROM busybox" in streams and "hello mockd\n" in streams
    assert "Successfully tagged built:v1" in streams
    aux = [m["aux"]["ID"] for m in msgs if "aux" in m]
    image = e.images.get("built:v1")
    assert aux == [image.id]
    assert image.rootfs().read("/app/app.txt") == b"content"
    assert image.rootfs().read("/app/out.txt") == b"hello mockd\n"
    assert image.config["Cmd"] == ["cat", "/app/out.txt"] and image.config["Labels"] == {"a": "b"}
    bad = tar_of({"Dockerfile": "FROM busybox\nRUN exit 3\n"})
    msgs = [m async for m in e.build(bad, [])]
    assert msgs[-1]["error"] == "The command '/bin/sh -c exit 3' returned a non-zero code: 3"
    msgs = [m async for m in e.build(tar_of({"x": "y"}), [])]
    assert msgs[-1]["error"].startswith("Cannot locate specified Dockerfile")
    await asyncio.sleep(0)


async def test_build_step_ids_and_quiet_like_dockerd():
    """Regression: the last step's ` ---> ID` is the image "Successfully built" names (measured on dockerd 20.10);
    a step's "Running in X" and "Removing intermediate container X" name the same container; with `q=1` dockerd
    sends only `{"stream": "sha256:...\\n"}` on success and the held-back output plus the error on failure."""
    e = Engine()
    context = tar_of({"Dockerfile": "FROM busybox\nENV A=1\nARG VER=1\nLABEL v=$VER\nCMD [\"true\"]\n"})
    msgs = [m async for m in e.build(context, ["steps:1"])]
    streams = [m["stream"] for m in msgs if "stream" in m]
    image = e.images.get("steps:1")
    arrows = [s for s in streams if s.startswith(" ---> ") and "Running in" not in s]
    assert len(arrows) == 5 and arrows[-1] == f" ---> {image.id[7:19]}\n"
    assert streams[-2:] == [f"Successfully built {image.id[7:19]}\n", "Successfully tagged steps:1\n"]
    running = [s.split()[-1] for s in streams if "Running in" in s]
    removed = [s.split()[-1] for s in streams if s.startswith("Removing intermediate container")]
    assert running == removed and len(running) == 4
    msgs = [m async for m in e.build(tar_of({"Dockerfile": "FROM busybox\n"}), ["only:1"])]
    assert e.images.get("only:1").id == e.images.get("busybox").id
    assert msgs[-4:-2] == [{"stream": f" ---> {e.images.get('busybox').id[7:19]}\n"},
                           {"aux": {"ID": e.images.get("busybox").id}}]
    quiet = [m async for m in e.build(context, ["steps:2"], quiet=True)]
    assert quiet == [{"stream": f"{e.images.get('steps:2').id}\n"}]
    failed = [m async for m in e.build(tar_of({"Dockerfile": "FROM busybox\nRUN echo out; exit 3\n"}), [],
                                       quiet=True)]
    assert {"stream": "out\n"} in failed and failed[0] == {"stream": "Step 1/2 : FROM busybox"}
    assert failed[-1]["errorDetail"] == {"code": 3, "message": "The command '/bin/sh -c echo out; exit 3' "
                                                               "returned a non-zero code: 3"}


async def test_build_healthcheck_options():
    """Regression: HEALTHCHECK's --interval/--timeout/--start-period/--retries were dropped."""
    e = Engine()
    context = tar_of({"Dockerfile": "FROM busybox\nHEALTHCHECK --interval=5s --timeout=500ms --start-period=1m30s "
                                    "--retries=4 CMD [\"true\"]\n"})
    msgs = [m async for m in e.build(context, ["hc:1"])]
    assert not [m for m in msgs if "error" in m], msgs
    assert e.images.get("hc:1").config["Healthcheck"] == {"Test": ["CMD", "true"], "Interval": 5_000_000_000,
                                                          "Timeout": 500_000_000, "StartPeriod": 90_000_000_000,
                                                          "Retries": 4}
    bad = [m async for m in e.build(tar_of({"Dockerfile": "FROM busybox\nHEALTHCHECK --interval=5x CMD true\n"}), [])]
    assert bad[-1]["error"] == 'time: invalid duration "5x"'


async def test_build_multistage_dockerignore_and_target():
    e = Engine()
    context = tar_of({
        "Dockerfile": "FROM busybox AS builder\nRUN mkdir /out && echo artifact > /out/a\n"
                      "FROM busybox\nCOPY --from=builder /out/a /app/a\nCOPY . /ctx/\nCMD [\"cat\", \"/app/a\"]\n",
        ".dockerignore": "Dockerfile\n",  # the daemon leaves out only .dockerignore and the Dockerfile
        "secret.txt": "do not ship",
        "keep.txt": "ship",
    })
    msgs = [m async for m in e.build(context, ["multi:1"])]
    assert not [m for m in msgs if "error" in m], msgs
    tree = e.images.get("multi:1").rootfs()
    assert tree.read("/app/a") == b"artifact\n" and tree.read("/ctx/keep.txt") == b"ship"
    # the client leaves excluded files out of the tar; dockerd keeps what it is sent (tests/test_build_context_vs_dockerd.py)
    assert tree.exists("/ctx/secret.txt") and not tree.exists("/ctx/Dockerfile") and not tree.exists("/out/a")
    msgs = [m async for m in e.build(context, ["first:1"], target="builder")]
    assert e.images.get("first:1").rootfs().read("/out/a") == b"artifact\n"
