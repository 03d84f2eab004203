"""The image catalog: real configs and filesystems for the images people run, stable ids, and the registry's
strict mode (Docker Hub's answers for what it does not have)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from mockd.engine import Engine, NotFound, references
from mockd.engine.catalog import PROGRAM_MARKER, catalog, split_tag
from mockd.engine.filesystem import MountedFS
from mockd.engine.registry import MockRegistry
from mockd.engine.seed import parse_seed
from mockd.engine.shell import find_executable


def pulled(ref: str, engine: Engine | None = None):
    engine = engine or Engine()
    engine.pull(ref)
    return engine.images.get(ref)


def test_nginx_has_its_published_config():
    cfg = pulled("nginx").config
    assert cfg["Entrypoint"] == ["/docker-entrypoint.sh"]
    assert cfg["Cmd"] == ["nginx", "-g", "daemon off;"]
    assert cfg["ExposedPorts"] == {"80/tcp": {}}
    assert cfg["StopSignal"] == "SIGQUIT"
    assert "NGINX_VERSION=1.31.4" in cfg["Env"]
    assert cfg["Labels"] == {"maintainer": "NGINX Docker Maintainers <docker-maint@nginx.com>"}


def test_postgres_env_volume_and_stop_signal():
    cfg = pulled("postgres:16").config
    env = dict(item.split("=", 1) for item in cfg["Env"])
    assert env["PG_VERSION"] == "16.15-1.pgdg13+1" and env["PG_MAJOR"] == "16"
    assert env["PGDATA"] == "/var/lib/postgresql/data"
    assert env["PATH"].endswith(":/usr/lib/postgresql/16/bin")
    assert cfg["Volumes"] == {"/var/lib/postgresql/data": {}}
    assert cfg["StopSignal"] == "SIGINT" and cfg["ExposedPorts"] == {"5432/tcp": {}}
    # From 18 on the image keeps its data under a versioned directory of one volume.
    latest = pulled("postgres").config
    assert latest["Volumes"] == {"/var/lib/postgresql": {}}
    assert "PGDATA=/var/lib/postgresql/18/docker" in latest["Env"]
    alpine = dict(item.split("=", 1) for item in pulled("postgres:16-alpine").config["Env"])
    assert alpine["PG_VERSION"] == "16.15" and "/usr/lib/postgresql" not in alpine["PATH"]


@pytest.mark.parametrize("ref", ["python:3.13-alpine", "python:3.14-alpine", "alpine", "nginx:alpine",
                                 "redis:7-alpine"])
def test_alpine_based_images_are_alpine(ref):
    rootfs = pulled(ref).rootfs()
    release = rootfs.read("/etc/os-release").decode()
    assert 'NAME="Alpine Linux"' in release and "ID=alpine" in release
    assert rootfs.lookup("/bin/sh").data.startswith(b"#!mockd builtin: busybox")


def test_debian_and_ubuntu_bases():
    nginx = pulled("nginx").rootfs()
    assert 'PRETTY_NAME="Debian GNU/Linux 13 (trixie)"' in nginx.read("/etc/os-release").decode()
    assert nginx.get("/etc/os-release").target == "../usr/lib/os-release"  # Debian's symlink
    assert nginx.get("/bin").target == "usr/bin"  # merged /usr
    assert "nginx:x:101:101:nginx user:/nonexistent:/bin/false" in nginx.read("/etc/passwd").decode()
    assert 'VERSION_ID="24.04"' in pulled("ubuntu:24.04").rootfs().read("/etc/os-release").decode()
    mariadb = pulled("mariadb").rootfs()
    accounts = mariadb.read("/etc/passwd").decode()
    assert "mysql:x:999:999::/var/lib/mysql:/bin/sh" in accounts and "\nubuntu:" not in accounts  # userdel'd
    assert not pulled("busybox").rootfs().exists("/etc/os-release")  # busybox ships none


def test_program_binaries_are_at_their_real_paths():
    checks = {
        "nginx": ["/docker-entrypoint.sh", "/usr/sbin/nginx"],
        "redis": ["/usr/local/bin/docker-entrypoint.sh", "/usr/local/bin/redis-server", "/usr/local/bin/redis-cli"],
        "postgres:17": ["/usr/local/bin/docker-entrypoint.sh", "/usr/lib/postgresql/17/bin/postgres",
                        "/usr/lib/postgresql/17/bin/pg_isready"],
        "mysql": ["/usr/sbin/mysqld", "/usr/bin/mysqladmin"],
        "testcontainers/ryuk:0.11.0": ["/bin/ryuk"],
        "python:3.13-slim": ["/usr/local/bin/python3.13", "/usr/local/bin/python"],
    }
    for ref, paths in checks.items():
        rootfs = pulled(ref).rootfs()
        for path in paths:
            node = rootfs.lookup(path)
            assert node is not None and node.mode & 0o111, (ref, path)
    assert pulled("redis").rootfs().lookup("/usr/local/bin/redis-server").data == PROGRAM_MARKER + b"redis-server\n"
    data = pulled("redis").rootfs().get("/data")
    assert (data.uid, data.gid) == (999, 999)  # chown redis:redis /data


def test_every_catalog_image_builds_and_its_command_exists():
    """The program each image starts (its Entrypoint, else its Cmd) resolves in its own filesystem, through its
    PATH and WorkingDir, as runc would find it."""
    cat = catalog()
    for repo, variants in cat.by_repo.items():
        for variant in variants:
            image = cat.image(variant)
            cfg = image.config
            argv = (cfg.get("Entrypoint") or []) + (cfg.get("Cmd") or [])
            assert argv, variant.tags
            env = dict(item.split("=", 1) for item in cfg.get("Env") or [])
            find_executable(MountedFS(image.rootfs()), argv[0], env, cfg.get("WorkingDir") or "/")
            assert len(image.history) - sum(1 for h in image.history if h.get("empty_layer")) == len(image.layers)
            for tag in variant.tags:
                assert cat.variant(repo, tag) is variant


def test_ids_are_stable_across_runs_and_bases_are_shared():
    refs = ["nginx", "postgres:16-alpine", "python:3.13-alpine", "testcontainers/ryuk:0.11.0", "hello-world"]
    here = {ref: pulled(ref).id for ref in refs}
    code = ("import json; from mockd.engine import Engine; e = Engine(); "
            f"refs = {refs!r}; [e.pull(r) for r in refs]; print(json.dumps({{r: e.images.get(r).id for r in refs}}))")
    other = json.loads(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout)
    assert other == here
    # Images on one base release share its layer, as on Docker Hub.
    assert pulled("nginx").diff_ids()[0] == pulled("redis").diff_ids()[0] == pulled("debian:trixie").diff_ids()[0]
    assert pulled("nginx").diff_ids()[0] != pulled("debian:bookworm").diff_ids()[0]


def test_tags_of_one_build_are_one_image():
    e = Engine()
    for ref in ("redis:8", "redis:latest", "redis:8.10.1-trixie"):
        e.pull(ref)
    assert len({e.images.get(r).id for r in ("redis:8", "redis:latest", "redis:8.10.1-trixie")}) == 1
    digests = e.images.get("redis:8").repo_digests
    assert len(digests) == 1 and digests[0].startswith("redis@sha256:")


def test_pull_by_digest_finds_the_variant():
    e = Engine()
    e.pull("nginx:alpine")
    digest = e.images.get("nginx:alpine").repo_digests[0].split("@", 1)[1]
    other = Engine()
    other.pull(f"nginx@{digest}")
    assert other.images.get(f"nginx@{digest}").id == e.images.get("nginx:alpine").id


def test_unlisted_tag_of_a_catalog_image_gets_its_nearest_variant():
    e = Engine()
    e.pull("postgres:11-alpine")  # not in the library any more: permissive mode gives the closest build
    cfg = e.images.get("postgres:11-alpine").config
    assert "PG_MAJOR=12" in cfg["Env"] and cfg["Entrypoint"] == ["docker-entrypoint.sh"]
    assert 'NAME="Alpine Linux"' in e.images.get("postgres:11-alpine").rootfs().read("/etc/os-release").decode()
    assert split_tag("13.4-alpine3.20") == ((13, 4), "alpine3.20") and split_tag("v3.7") == ((3, 7), "")


def test_images_outside_the_catalog_keep_the_generic_image():
    cfg = pulled("acme/widget:1.0").config
    assert cfg["Cmd"] == ["sh"] and cfg["Entrypoint"] is None


def test_strict_registry_answers_like_docker_hub():
    registry = MockRegistry(strict=True)
    with pytest.raises(NotFound) as denied:
        registry.resolve(references.parse("ngnix:latest"))
    assert denied.value.message == ("pull access denied for ngnix, repository does not exist or may require "
                                    "'docker login': denied: requested access to the resource is denied")
    assert denied.value.status == 404
    with pytest.raises(NotFound) as unknown:
        registry.resolve(references.parse("redis:9.9.9"))
    assert unknown.value.message == "manifest for redis:9.9.9 not found: manifest unknown: manifest unknown"
    assert unknown.value.status == 404
    assert registry.resolve(references.parse("redis:7.4")).config["Cmd"] == ["redis-server"]
    assert registry.resolve(references.parse("docker.io/library/alpine:3.21")).config["Cmd"] == ["/bin/sh"]


def test_strict_engine_keeps_its_registry_mode_and_the_seed_is_pullable():
    engine = Engine(parse_seed("images: [{ref: 'acme/app:1.0', cmd: ['serve']}]"), registry_strict=True)
    seeded = engine.images.get("acme/app:1.0").id
    engine.pull("acme/app:1.0")  # the seed's image exists in the registry: the pull gets it back
    assert engine.images.get("acme/app:1.0").id == seeded
    engine.reset()
    assert engine.registry.strict
    with pytest.raises(NotFound, match="pull access denied for acme/other"):
        engine.pull("acme/other")


def test_an_images_own_entrypoint_resets_the_cmd_of_its_base():
    cfg = pulled("alpine/socat:1.8.0.3").config  # ENTRYPOINT ["socat"] on alpine, whose CMD was ["/bin/sh"]
    assert cfg["Entrypoint"] == ["socat"] and cfg["Cmd"] is None
    assert pulled("nginx:1.31").config["Cmd"] == ["nginx", "-g", "daemon off;"]  # its own CMD stays
