"""The daemons a conformance run compares: the real dockerd 20.10 (with a default bridge network) and mockd at
each requested API version, each with the images the suites need made offline."""

from __future__ import annotations

import contextlib
import io
import json
import os
import secrets
import subprocess
import sys
import tarfile
import tempfile
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

from tests.conformance.mirror import Mirror, Store
from tests.realdaemons import (
    BUSYBOX,
    Daemon,
    busybox_rootfs_tar,
    parse_json_stream,
    start_dockerd,
    unix_http,
)

# Every reference the two suites run or inspect. The busybox-like ones get the busybox rootfs. The python ones
# (aiodocker's fixtures and tests run `python` as a REPL on a TTY, `python -q`, and `python -c` one-liners that
# print, sleep, read and write files and listen on a socket) get that rootfs plus the host's own python3 with
# its shared libraries and stdlib: a real interpreter, so on dockerd every test exercises the daemon as the
# published image would. (A busybox-only image would make each `python` a "not found" start failure.) The value
# is the image's PYTHON_VERSION, as the published tag sets it; the interpreter inside is the host's.
BUSYBOX_REFS = ("busybox:latest", "alpine:3.10", "alpine:latest", "hello-world:latest")
PYTHON_REFS = {"python:3.13-alpine": "3.13.15", "python:3.14-alpine": "3.14.7", "python:latest": "3.14.7"}
IMAGE_PATH = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
# What each image runs by default, as the real images do.
DEFAULT_CMD = {"busybox": ["sh"], "alpine": ["/bin/sh"], "hello-world": ["/hello"], "python": ["python3"]}

HOST_PYTHON = "/usr/bin/python3.11"
HOST_STDLIB = "/usr/lib/python3.11"
# Parts of the stdlib no test imports: kept out of the image (vfs copies the whole rootfs per container).
STDLIB_SKIP = {"test", "idlelib", "tkinter", "turtledemo", "lib2to3", "ensurepip", "pydoc_data", "dist-packages",
               "site-packages", "config-3.11-x86_64-linux-gnu", "__pycache__"}


@dataclass
class Target:
    """One daemon of the comparison: ``name`` is the report's column (dockerd, mockd-1.41, mockd-newest)."""
    name: str
    host: str
    api_version: str  # what DOCKER_TEST_API_VERSION is set to
    stop: object = field(repr=False, default=None)

    @property
    def socket(self) -> str:
        return self.host.removeprefix("unix://")


# --- images ----------------------------------------------------------------------------------------------------


def _shared_libs(binary: str) -> list[str]:
    out = subprocess.run(["ldd", binary], capture_output=True, text=True, check=True).stdout
    libs = []
    for line in out.splitlines():
        parts = line.split()
        path = parts[2] if "=>" in parts and len(parts) > 2 else parts[0]
        if path.startswith("/"):
            libs.append(path)
    return libs


# Alpine's /etc/passwd and /etc/group (the suites exec as `postgres`, for one) and its directory skeleton.
ALPINE_PASSWD = """\
root:x:0:0:root:/root:/bin/ash
bin:x:1:1:bin:/bin:/sbin/nologin
daemon:x:2:2:daemon:/sbin:/sbin/nologin
adm:x:3:4:adm:/var/adm:/sbin/nologin
lp:x:4:7:lp:/var/spool/lpd:/sbin/nologin
sync:x:5:0:sync:/sbin:/bin/sync
mail:x:8:12:mail:/var/spool/mail:/sbin/nologin
operator:x:11:0:operator:/root:/sbin/nologin
postmaster:x:14:12:postmaster:/var/spool/mail:/sbin/nologin
cron:x:16:16:cron:/var/spool/cron:/sbin/nologin
ftp:x:21:21::/var/lib/ftp:/sbin/nologin
sshd:x:22:22:sshd:/dev/null:/sbin/nologin
games:x:35:35:games:/usr/games:/sbin/nologin
postgres:x:70:70::/var/lib/postgresql:/bin/sh
ntp:x:123:123:NTP:/var/empty:/sbin/nologin
guest:x:405:100:guest:/dev/null:/sbin/nologin
nobody:x:65534:65534:nobody:/:/sbin/nologin
"""
ALPINE_GROUP = """\
root:x:0:root
bin:x:1:root,bin,daemon
daemon:x:2:root,bin,daemon
adm:x:4:root,adm,daemon
wheel:x:10:root
mail:x:12:mail
cron:x:16:cron
ftp:x:21:
sshd:x:22:
games:x:35:
postgres:x:70:
ntp:x:123:
users:x:100:games
nogroup:x:65533:
nobody:x:65534:
"""
ALPINE_DIRS = ("lib", "media", "mnt", "opt", "run", "sbin", "srv", "usr/lib", "usr/local", "usr/local/bin",
               "usr/sbin", "usr/share", "var/cache", "var/empty", "var/lib", "var/lib/postgresql", "var/local",
               "var/log", "var/opt", "var/run", "var/spool")


def _busybox_applets() -> list[str]:
    out = subprocess.run([BUSYBOX, "--list"], capture_output=True, text=True, check=True).stdout
    return sorted(set(out.split()))


def _add(tar: tarfile.TarFile, name: str, kind: bytes, mode: int, data: bytes = b"", target: str = "") -> None:
    info = tarfile.TarInfo(name)
    info.type, info.mode, info.mtime, info.linkname = kind, mode, 1_700_000_000, target
    info.size = len(data) if kind == tarfile.REGTYPE else 0
    tar.addfile(info, io.BytesIO(data) if kind == tarfile.REGTYPE else None)


def alpine_like_rootfs_tar() -> bytes:
    """The project's busybox rootfs made closer to alpine: every busybox applet, alpine's users and groups and
    its directory skeleton. (The suites' alpine/busybox images are only ever run for busybox commands.)"""
    replaced = {"etc/passwd": ALPINE_PASSWD.encode(), "etc/group": ALPINE_GROUP.encode()}
    out = io.BytesIO()
    with tarfile.open(fileobj=io.BytesIO(busybox_rootfs_tar())) as base, \
            tarfile.open(fileobj=out, mode="w", format=tarfile.GNU_FORMAT) as tar:
        names = set()
        for member in base.getmembers():
            names.add(member.name)
            if member.name in replaced:
                _add(tar, member.name, tarfile.REGTYPE, 0o644, replaced[member.name])
            else:
                tar.addfile(member, base.extractfile(member) if member.isfile() else None)
        for d in ALPINE_DIRS:
            if d not in names:
                _add(tar, d, tarfile.DIRTYPE, 0o755)
        for applet in _busybox_applets():
            if f"bin/{applet}" not in names and applet != "busybox":
                _add(tar, f"bin/{applet}", tarfile.SYMTYPE, 0o777, target="busybox")
    return out.getvalue()


def python_rootfs_tar() -> bytes:
    """The alpine-like rootfs plus the host's python3 (as /usr/local/bin/python and python3), its shared
    libraries and its stdlib (tests and tooling left out). Real enough for `python -c ...` and `python -q`."""
    buf = io.BytesIO(alpine_like_rootfs_tar())
    out = io.BytesIO()
    with tarfile.open(fileobj=buf) as base, tarfile.open(fileobj=out, mode="w", format=tarfile.GNU_FORMAT) as tar:
        seen: set[str] = set()
        for member in base.getmembers():
            seen.add(member.name)
            tar.addfile(member, base.extractfile(member) if member.isfile() else None)

        def add_path(path: str, arcname: str | None = None) -> None:
            name = (arcname or path).lstrip("/")
            parts = Path(name).parts
            for i in range(1, len(parts)):
                parent = "/".join(parts[:i])
                if parent not in seen:
                    seen.add(parent)
                    _add(tar, parent, tarfile.DIRTYPE, 0o755)
            if name not in seen:
                seen.add(name)
                tar.add(os.path.realpath(path), arcname=name, recursive=False)

        add_path(HOST_PYTHON, "/usr/local/bin/python")
        for lib in _shared_libs(HOST_PYTHON):
            add_path(lib)
            add_path(os.path.realpath(lib))
        for root, dirs, files in os.walk(HOST_STDLIB):
            dirs[:] = sorted(d for d in dirs if d not in STDLIB_SKIP)
            for f in sorted(files):
                add_path(os.path.join(root, f))
        for alias in ("python3", "python3.11"):
            _add(tar, f"usr/local/bin/{alias}", tarfile.SYMTYPE, 0o777, target="python")
    return out.getvalue()


def _default_cmd(ref: str) -> list[str]:
    return DEFAULT_CMD[ref.split(":")[0].split("/")[-1]]


def mirror_store() -> Store:
    """Every reference the suites use, as the mirror serves it to dockerd (mirror.py says why a mirror)."""
    store = Store()
    rootfs, python = alpine_like_rootfs_tar(), python_rootfs_tar()
    for ref in BUSYBOX_REFS:
        store.add(ref, rootfs, _default_cmd(ref), [IMAGE_PATH])
    for ref in PYTHON_REFS:
        store.add(ref, python, _default_cmd(ref), [IMAGE_PATH, f"PYTHON_VERSION={PYTHON_REFS[ref]}"])
    return store


def pull_image(sock: str, ref: str, daemon: str = "mockd") -> None:
    repo, _, tag = ref.partition(":")
    query = urllib.parse.urlencode({"fromImage": repo, "tag": tag or "latest"})
    status, _, body = unix_http(sock, "POST", f"/images/create?{query}", timeout=300)
    errors = [m for m in parse_json_stream(body) if "error" in m] if status == 200 else [body[:300]]
    if errors:
        raise RuntimeError(f"pull of {ref} failed on {daemon}: {status} {errors}")


def clear_containers(sock: str, daemon: str) -> int:
    """Force-remove every container, running or not, with its anonymous volumes; returns how many. A run gives
    each suite a daemon with no containers: docker-py's suite leaves stopped ones behind, and aiodocker's prune
    test expects none, on any daemon."""
    status, _, body = unix_http(sock, "GET", "/containers/json?all=1")
    if status != 200:
        raise RuntimeError(f"listing containers on {daemon} failed: {status} {body[:300]!r}")
    ids = [c["Id"] for c in json.loads(body)]
    for cid in ids:
        status, _, body = unix_http(sock, "DELETE", f"/containers/{cid}?force=1&v=1", timeout=120)
        if status not in (204, 404):  # 404: it went by itself meanwhile (an auto-remove)
            raise RuntimeError(f"removing container {cid[:12]} on {daemon} failed: {status} {body[:300]!r}")
    return len(ids)


# --- daemons ----------------------------------------------------------------------------------------------------


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True)


def start_real_dockerd(log_dir: str) -> Target:
    """dockerd 20.10 with a default bridge network of its own (a private Linux bridge; no iptables, no NAT, so
    still offline): the suites run containers on the default network, which `--bridge=none` has not. Its
    images come from a registry mirror on loopback (mirror.py), pulled once here and again whenever a test
    pulls, as from Docker Hub."""
    mirror = Mirror(mirror_store())
    bridge = f"cfbr{secrets.token_hex(3)}"
    _ip("link", "add", bridge, "type", "bridge")
    try:
        _ip("addr", "add", "172.31.254.1/24", "dev", bridge)
        _ip("link", "set", bridge, "up")
        daemon: Daemon = start_dockerd(log_dir, bridge=bridge, extra_args=(f"--registry-mirror={mirror.url}",))
    except Exception:
        _ip("link", "del", bridge)
        mirror.stop()
        raise

    def stop() -> None:
        daemon.stop()
        mirror.stop()
        with contextlib.suppress(subprocess.CalledProcessError):
            _ip("link", "del", bridge)

    try:
        for ref in (*BUSYBOX_REFS, *PYTHON_REFS):
            pull_image(daemon.socket, ref, "dockerd")
    except Exception:
        stop()
        raise

    return Target("dockerd", daemon.host, daemon.api_version or "1.41", stop)


def start_mockd(version: str, log_dir: str) -> Target:
    """The `mockd` command of this tree; ``version`` "newest" is its default (newest document)."""
    workdir = tempfile.mkdtemp(prefix="cfm", dir="/tmp")
    sock = os.path.join(workdir, "docker.sock")
    # No registry behind either daemon: the offline dockerd pulls nothing; mockd pulls only its catalog's images
    # (--registry strict), so a missing image is "pull access denied" on both (docker-py's ImageNotFound tests).
    args = ["--registry", "strict", *([] if version == "newest" else ["--api-version", version])]
    env = {k: v for k, v in os.environ.items() if k not in ("DOCKER_HOST", "MOCKD_SEED")}
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[2])
    log = open(os.path.join(log_dir, f"mockd-{version}.log"), "wb")  # noqa: SIM115 - closed by stop()
    proc = subprocess.Popen([sys.executable, "-m", "mockd.cli", "-H", f"unix://{sock}", *args],
                            stdout=log, stderr=subprocess.STDOUT, env=env)
    deadline = time.monotonic() + 60
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"mockd {version} exited with {proc.returncode}; see {log.name}")
        with contextlib.suppress(OSError):
            if unix_http(sock, "GET", "/_ping", timeout=5)[0] == 200:
                break
        if time.monotonic() > deadline:
            proc.kill()
            raise TimeoutError(f"mockd {version} did not answer /_ping")
        time.sleep(0.1)
    _, _, body = unix_http(sock, "GET", "/version")
    api = json.loads(body)["ApiVersion"]
    for ref in (*BUSYBOX_REFS, *PYTHON_REFS):
        pull_image(sock, ref)

    def stop() -> None:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
        with contextlib.suppress(OSError):
            os.unlink(sock)
            os.rmdir(workdir)

    return Target(f"mockd-{version}", f"unix://{sock}", api, stop)
