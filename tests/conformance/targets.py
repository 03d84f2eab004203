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

from tests.realdaemons import (
    Daemon,
    busybox_rootfs_tar,
    parse_json_stream,
    start_dockerd,
    unix_http,
)

# Every reference the two suites run or inspect. The busybox-like ones get the busybox rootfs; the python ones
# that rootfs plus the host's python3 with its stdlib (aiodocker's fixtures run `python` interactively).
BUSYBOX_REFS = ("busybox:latest", "alpine:3.10", "alpine:latest", "hello-world:latest")
PYTHON_REFS = ("python:3.13-alpine", "python:3.14-alpine")
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


def python_rootfs_tar() -> bytes:
    """The busybox rootfs plus the host's python3 (as /usr/local/bin/python and python3), its shared libraries
    and its stdlib (tests and tooling left out). Real enough for `python -c ...` and an interactive `python`."""
    buf = io.BytesIO(busybox_rootfs_tar())
    out = io.BytesIO()
    with tarfile.open(fileobj=buf) as base, tarfile.open(fileobj=out, mode="w", format=tarfile.GNU_FORMAT) as tar:
        for member in base.getmembers():
            tar.addfile(member, base.extractfile(member) if member.isfile() else None)
        seen: set[str] = set()

        def add_path(path: str, arcname: str | None = None) -> None:
            name = (arcname or path).lstrip("/")
            parts = Path(name).parts
            for i in range(1, len(parts)):
                parent = "/".join(parts[:i])
                if parent not in seen:
                    seen.add(parent)
                    info = tarfile.TarInfo(parent)
                    info.type, info.mode, info.mtime = tarfile.DIRTYPE, 0o755, 1_700_000_000
                    tar.addfile(info)
            if name not in seen:
                seen.add(name)
                tar.add(os.path.realpath(path), arcname=name, recursive=False)

        for d in ("bin", "usr", "usr/bin", "etc"):
            seen.add(d)
        add_path(HOST_PYTHON, "/usr/local/bin/python")
        for lib in _shared_libs(HOST_PYTHON):
            add_path(lib)
            add_path(os.path.realpath(lib))
        for root, dirs, files in os.walk(HOST_STDLIB):
            dirs[:] = sorted(d for d in dirs if d not in STDLIB_SKIP)
            for f in sorted(files):
                add_path(os.path.join(root, f))
        for alias in ("python3", "python3.11"):
            info = tarfile.TarInfo(f"usr/local/bin/{alias}")
            info.type, info.linkname, info.mode = tarfile.SYMTYPE, "python", 0o777
            tar.addfile(info)
    return out.getvalue()


def _default_cmd(ref: str) -> list[str]:
    return DEFAULT_CMD[ref.split(":")[0].split("/")[-1]]


def import_image(sock: str, ref: str, rootfs: bytes) -> None:
    repo, _, tag = ref.partition(":")
    changes = [f"CMD {json.dumps(_default_cmd(ref))}",
               "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]
    query = urllib.parse.urlencode([("fromSrc", "-"), ("repo", repo), ("tag", tag or "latest")]
                                   + [("changes", c) for c in changes])
    status, _, body = unix_http(sock, "POST", f"/images/create?{query}", body=rootfs,
                                headers={"Content-Type": "application/x-tar"}, timeout=300)
    errors = [m for m in parse_json_stream(body) if "error" in m] if status == 200 else [body[:300]]
    if errors:
        raise RuntimeError(f"import of {ref} failed: {status} {errors}")


def pull_image(sock: str, ref: str) -> None:
    repo, _, tag = ref.partition(":")
    query = urllib.parse.urlencode({"fromImage": repo, "tag": tag or "latest"})
    status, _, body = unix_http(sock, "POST", f"/images/create?{query}", timeout=120)
    errors = [m for m in parse_json_stream(body) if "error" in m] if status == 200 else [body[:300]]
    if errors:
        raise RuntimeError(f"pull of {ref} failed on mockd: {status} {errors}")


# --- daemons ----------------------------------------------------------------------------------------------------


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True)


def start_real_dockerd(log_dir: str) -> Target:
    """dockerd 20.10 with a default bridge network of its own (a private Linux bridge; no iptables, no NAT, so
    still offline): the suites run containers on the default network, which `--bridge=none` has not."""
    bridge = f"cfbr{secrets.token_hex(3)}"
    _ip("link", "add", bridge, "type", "bridge")
    try:
        _ip("addr", "add", "172.31.254.1/24", "dev", bridge)
        _ip("link", "set", bridge, "up")
        daemon: Daemon = start_dockerd(log_dir, bridge=bridge)
    except Exception:
        _ip("link", "del", bridge)
        raise
    rootfs, python = busybox_rootfs_tar(), python_rootfs_tar()
    for ref in BUSYBOX_REFS:
        import_image(daemon.socket, ref, rootfs)
    for ref in PYTHON_REFS:
        import_image(daemon.socket, ref, python)

    def stop() -> None:
        daemon.stop()
        with contextlib.suppress(subprocess.CalledProcessError):
            _ip("link", "del", bridge)

    return Target("dockerd", daemon.host, daemon.api_version or "1.41", stop)


def start_mockd(version: str, log_dir: str) -> Target:
    """The `mockd` command of this tree; ``version`` "newest" is its default (newest document)."""
    workdir = tempfile.mkdtemp(prefix="cfm", dir="/tmp")
    sock = os.path.join(workdir, "docker.sock")
    args = [] if version == "newest" else ["--api-version", version]
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
