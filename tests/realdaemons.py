"""Start real container daemons (Debian's dockerd 20.10, Podman's Docker-compatible service) for tests.

Everything here is synchronous and stdlib-only so that it can be used from fixtures, from plain scripts
(``tests/fixtures/record_wire.py``) and from a debugger alike. Each daemon gets its own private state
(data root, exec root, socket) under a fresh short directory in /tmp: a test never touches the machine's
default Docker socket or storage.

The pytest fixtures at the bottom (``real_dockerd``, ``real_podman``) are session-scoped and skip the
requesting test with the reason when the daemon cannot run here.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import errno
import http.client
import io
import json
import os
import resource
import shutil
import signal
import socket
import subprocess
import tarfile
import tempfile
import time
import urllib.parse
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pytest

DOCKERD = "dockerd"
PODMAN = "podman"
#: The docker CLIs present on the development machines and in CI.
CLI28 = "/usr/local/bin/docker"
CLI20 = "/usr/bin/docker"
BUSYBOX = "/bin/busybox"

START_TIMEOUT = 30.0
STOP_TIMEOUT = 15.0

# Applets linked into the test image. Everything else can still be run as `busybox APPLET`.
BUSYBOX_APPLETS = (
    "sh", "ash", "echo", "cat", "ls", "sleep", "true", "false", "env", "printenv", "id", "hostname", "pwd",
    "printf", "test", "[", "mkdir", "rm", "cp", "mv", "touch", "ln", "chmod", "chown", "head", "tail", "wc",
    "grep", "sed", "awk", "tr", "cut", "sort", "uniq", "date", "uname", "whoami", "ps", "kill", "top",
    "stat", "find", "xargs", "tee", "yes", "seq", "basename", "dirname", "readlink", "md5sum", "sha256sum",
    "nc", "wget", "ip", "ifconfig", "mount", "df", "du", "tar", "gzip", "gunzip", "vi", "more", "less",
    "dd", "sync", "nproc", "expr", "timeout", "watch", "free", "uptime", "which",
)  # fmt: skip


class DaemonUnavailable(Exception):
    """The daemon cannot run on this machine; ``reason`` says why (used as the pytest skip reason)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# --------------------------------------------------------------------------------------------------------------
# HTTP over a unix socket


class UnixHTTPConnection(http.client.HTTPConnection):
    """``http.client`` connection to a unix socket. The Host header is ``host`` (default ``docker``)."""

    def __init__(self, socket_path: str, timeout: float = 60.0, host: str = "docker") -> None:
        super().__init__(host, timeout=timeout)
        self.socket_path = socket_path

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        try:
            sock.connect(self.socket_path)
        except OSError:
            sock.close()
            raise
        self.sock = sock


def unix_http(
    sock_path: str,
    method: str,
    path: str,
    body: bytes | str | dict | list | None = None,
    headers: Mapping[str, str] | None = None,
    timeout: float = 60.0,
) -> tuple[int, dict[str, str], bytes]:
    """One HTTP request on a fresh connection to ``sock_path``; returns ``(status, headers, body)``.

    ``body`` may be bytes, a str (sent UTF-8) or a dict/list (sent as JSON with ``Content-Type:
    application/json`` unless given). Header names in the result keep the server's spelling; when a header is
    repeated the values are joined with ``", "``. Chunked responses are read to their end.
    """
    hdrs = dict(headers or {})
    data: bytes | None
    if isinstance(body, dict | list):
        data = json.dumps(body).encode()
        if not any(k.lower() == "content-type" for k in hdrs):
            hdrs["Content-Type"] = "application/json"
    elif isinstance(body, str):
        data = body.encode()
    else:
        data = body
    conn = UnixHTTPConnection(sock_path, timeout=timeout)
    try:
        conn.request(method, path, body=data, headers=hdrs)
        resp = conn.getresponse()
        payload = resp.read()
        out: dict[str, str] = {}
        for name, value in resp.getheaders():
            out[name] = f"{out[name]}, {value}" if name in out else value
        return resp.status, out, payload
    finally:
        conn.close()


def _ping(sock_path: str, timeout: float = 2.0) -> bool:
    try:
        status, _, body = unix_http(sock_path, "GET", "/_ping", timeout=timeout)
    except (OSError, http.client.HTTPException):
        return False
    return status == 200 and body.strip() == b"OK"


# --------------------------------------------------------------------------------------------------------------
# Daemons


@dataclass
class Daemon:
    """A running daemon. ``host`` is suitable for ``DOCKER_HOST``; ``stop()`` is idempotent."""

    kind: str  # "dockerd" or "podman"
    socket: str
    proc: subprocess.Popen[bytes]
    workdir: Path  # short private directory in /tmp (socket, exec root / run root); removed by stop()
    log_path: Path
    cleanup_dirs: list[Path] = field(default_factory=list)  # also removed by stop()
    startup_seconds: float = 0.0  # from spawn to the first successful GET /_ping
    version: dict = field(default_factory=dict)  # body of GET /version
    _stopped: bool = field(default=False, repr=False)

    @property
    def host(self) -> str:
        return f"unix://{self.socket}"

    @property
    def api_version(self) -> str:
        return str(self.version.get("ApiVersion", ""))

    @property
    def engine_version(self) -> str:
        return str(self.version.get("Version", ""))

    def http(
        self, method: str, path: str, body: bytes | str | dict | list | None = None, **kw: object
    ) -> tuple[int, dict[str, str], bytes]:
        return unix_http(self.socket, method, path, body, **kw)  # type: ignore[arg-type]

    def log_tail(self, lines: int = 20) -> str:
        return _tail(self.log_path, lines)

    def env(self, **extra: str) -> dict[str, str]:
        """Environment for a docker client talking to this daemon (see :func:`client_env`)."""
        return client_env(self, **extra)

    def stop(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        if self.proc.poll() is None:
            # Podman's containers outlive its API service (conmon keeps them), and dockerd gives each running
            # container 10 s to stop on SIGTERM: kill and remove them all first.
            _remove_all_containers(self.socket)
        roots = [self.workdir, *self.cleanup_dirs]
        container_ids = _container_ids(roots)
        _terminate(self.proc, STOP_TIMEOUT)
        # Leftovers of a daemon that had to be killed: containerd, shims, conmon, container processes.
        _kill_leftovers(roots, container_ids)
        for root in roots:
            _unmount_under(root)
            shutil.rmtree(root, ignore_errors=True)


def _tail(path: Path, lines: int = 20) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError as exc:
        return f"(no log: {exc})"
    return "\n".join(text.splitlines()[-lines:])


def _terminate(proc: subprocess.Popen[bytes], timeout: float) -> None:
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
        proc.wait(timeout=10)


def _remove_all_containers(sock: str) -> None:
    with contextlib.suppress(OSError, http.client.HTTPException, ValueError):
        status, _, body = unix_http(sock, "GET", "/containers/json?all=1", timeout=10)
        for c in json.loads(body) if status == 200 else []:
            unix_http(sock, "DELETE", f"/containers/{c['Id']}?force=1&v=1", timeout=20)


def _container_ids(roots: list[Path]) -> set[str]:
    """IDs of the containers stored below our private directories (dockerd and podman layouts)."""
    ids: set[str] = set()
    for root in roots:
        for sub in ("containers", "vfs-containers"):
            with contextlib.suppress(OSError):
                ids.update(p.name for p in (root / sub).iterdir() if len(p.name) == 64)
    return ids


def _kill_leftovers(roots: list[Path], container_ids: set[str]) -> None:
    """SIGKILL processes that belong to our daemon and nothing else: their command line mentions one of our
    private directories (containerd, shims, conmon) or their cgroup names one of our containers."""
    needles = [str(r).encode() + end for r in roots for end in (b"/", b"\0")]
    me = os.getpid()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == me:
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
            cgroup = (entry / "cgroup").read_text() if container_ids else ""
        except OSError:
            continue
        if any(n in cmdline for n in needles) or any(cid in cgroup for cid in container_ids):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(int(entry.name), signal.SIGKILL)


def _mounts_under(root: Path) -> list[str]:
    prefix = str(root).rstrip("/")
    found = []
    with contextlib.suppress(OSError), open("/proc/self/mountinfo") as fh:
        for line in fh:
            mnt = line.split()[4].encode().decode("unicode_escape")  # octal escapes such as \040
            if mnt == prefix or mnt.startswith(prefix + "/"):
                found.append(mnt)
    return found


def _unmount_under(root: Path) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    mnt_detach = 2
    for _ in range(5):  # a detached mount may uncover another one mounted below it
        mounts = _mounts_under(root)
        if not mounts:
            return
        for mnt in sorted(mounts, key=len, reverse=True):
            if libc.umount2(mnt.encode(), mnt_detach) != 0 and ctypes.get_errno() not in (errno.EINVAL, errno.ENOENT):
                subprocess.run(["umount", "-l", mnt], check=False, capture_output=True)


def _short_dir(prefix: str) -> Path:
    # Unix socket paths are limited to ~107 bytes, and containerd puts its socket below the exec root.
    return Path(tempfile.mkdtemp(prefix=prefix, dir="/tmp"))


def _clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DOCKER_", "CONTAINERS_", "CONTAINER_"))}
    env.pop("XDG_RUNTIME_DIR", None)
    env.setdefault("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")
    return env


def _check_root(binary: str) -> str:
    path = shutil.which(binary)
    if path is None:
        raise DaemonUnavailable(f"{binary} is not installed (run .ci/install-system)")
    if os.geteuid() != 0:
        raise DaemonUnavailable(f"{binary} needs root here (euid {os.geteuid()})")
    return path


def _spawn_and_wait(
    kind: str, argv: list[str], env: dict[str, str], sock: Path, workdir: Path, log_path: Path,
    cleanup_dirs: list[Path], timeout: float,
) -> Daemon:  # fmt: skip
    t0 = time.monotonic()
    try:
        with open(log_path, "ab") as log:  # the child keeps its own descriptor
            proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=log, env=env, cwd=workdir)
    except OSError as exc:
        for d in (workdir, *cleanup_dirs):
            shutil.rmtree(d, ignore_errors=True)
        raise DaemonUnavailable(f"cannot run {argv[0]}: {exc}") from exc
    daemon = Daemon(kind, str(sock), proc, workdir, log_path, cleanup_dirs)
    atexit.register(daemon.stop)
    deadline = t0 + timeout
    while True:
        if proc.poll() is not None:
            daemon.stop()
            raise DaemonUnavailable(f"{kind} exited with status {proc.returncode}; log tail:\n{_tail(log_path)}")
        if sock.exists() and _ping(str(sock)):
            break
        if time.monotonic() > deadline:
            tail = _tail(log_path)
            daemon.stop()
            raise DaemonUnavailable(f"{kind} did not answer GET /_ping within {timeout:.0f}s; log tail:\n{tail}")
        time.sleep(0.05)
    daemon.startup_seconds = time.monotonic() - t0
    try:
        status, _, body = unix_http(str(sock), "GET", "/version")
        if status == 200:
            daemon.version = json.loads(body)
    except (OSError, http.client.HTTPException, ValueError):
        pass
    return daemon


def start_dockerd(tmpdir: str | os.PathLike[str] | None = None, timeout: float = START_TIMEOUT,
                  bridge: str = "none", extra_args: tuple[str, ...] = ()) -> Daemon:
    """Start a private dockerd (vfs storage, no bridge, no iptables). Containers need ``--network none``, unless
    ``bridge`` names an existing Linux bridge with an address for the default network (tests/conformance).
    ``extra_args`` go to dockerd's command line as they are (the conformance run's ``--registry-mirror``).

    The socket and exec root live in a fresh short directory under /tmp; the data root and the log go to
    ``tmpdir`` (default: the short directory). The log is kept after ``stop()``, the data root is removed.
    """
    binary = _check_root(DOCKERD)
    short = _short_dir("d")
    base = Path(tmpdir) if tmpdir is not None else short
    base.mkdir(parents=True, exist_ok=True)
    data_root = Path(tempfile.mkdtemp(prefix="dockerd-root-", dir=base))
    log_path = base / f"dockerd-{short.name}.log"
    config = short / "daemon.json"
    config.write_text("{}\n")  # never pick up the machine's /etc/docker/daemon.json
    sock = short / "docker.sock"
    argv = [
        binary,
        "--host", f"unix://{sock}",
        "--data-root", str(data_root),
        "--exec-root", str(short / "exec"),
        "--pidfile", str(short / "dockerd.pid"),
        "--config-file", str(config),
        "--iptables=false", "--ip6tables=false", f"--bridge={bridge}",
        "--storage-driver=vfs",
        "--shutdown-timeout=2",
        *extra_args,
    ]  # fmt: skip
    return _spawn_and_wait(DOCKERD, argv, _clean_env(), sock, short, log_path, [data_root], timeout)


def _rlimit_spec(name: str, limit: int, cap: int) -> str | None:
    _soft, hard = resource.getrlimit(limit)
    value = cap if hard == resource.RLIM_INFINITY else min(hard, cap)
    return f"{name}={value}:{value}" if value > 0 else None


def podman_ulimits() -> list[str]:
    """``default_ulimits`` that runc can apply here: podman's defaults exceed our hard limits and, without
    CAP_SYS_RESOURCE, container creation fails with ``error setting rlimit type 7: operation not permitted``."""
    specs = [
        _rlimit_spec("nofile", resource.RLIMIT_NOFILE, 1048576),
        _rlimit_spec("nproc", resource.RLIMIT_NPROC, 32768),
    ]
    return [s for s in specs if s]


def _with_default_ulimits(text: str, ulimits: list[str]) -> str:
    line = "default_ulimits = [" + ", ".join(json.dumps(u) for u in ulimits) + "]"
    out, done = [], False
    for raw in text.splitlines():
        out.append(raw)
        if not done and raw.strip() == "[containers]":
            out.append(line)
            done = True
    if not done:
        out += ["", "[containers]", line]
    return "\n".join(out) + "\n"


def _podman_containers_conf(workdir: Path) -> Path | None:
    """A CONTAINERS_CONF for podman when the system configuration lacks ``default_ulimits``, else None."""
    system = [Path("/usr/share/containers/containers.conf"), Path("/etc/containers/containers.conf")]
    texts = {p: p.read_text() for p in system if p.is_file()}
    for text in texts.values():
        if any(ln.strip().startswith("default_ulimits") for ln in text.splitlines()):
            return None
    # CONTAINERS_CONF replaces the system files: start from the one that takes precedence.
    base = texts.get(system[1], texts.get(system[0], ""))
    conf = workdir / "containers.conf"
    conf.write_text(_with_default_ulimits(base, podman_ulimits()))
    return conf


def start_podman(tmpdir: str | os.PathLike[str] | None = None, timeout: float = START_TIMEOUT) -> Daemon:
    """Start ``podman system service --time=0`` on a private socket with private storage (vfs, cgroupfs)."""
    binary = _check_root(PODMAN)
    short = _short_dir("p")
    base = Path(tmpdir) if tmpdir is not None else short
    base.mkdir(parents=True, exist_ok=True)
    root = Path(tempfile.mkdtemp(prefix="podman-root-", dir=base))
    log_path = base / f"podman-{short.name}.log"
    sock = short / "podman.sock"
    env = _clean_env()
    conf = _podman_containers_conf(short)
    if conf is not None:
        env["CONTAINERS_CONF"] = str(conf)
    (short / "networks").mkdir()
    argv = [
        binary,
        "--root", str(root),
        "--runroot", str(short / "run"),
        "--tmpdir", str(short / "tmp"),
        "--network-config-dir", str(short / "networks"),
        "--storage-driver", "vfs",
        "--cgroup-manager", "cgroupfs",
        "--events-backend", "file",
        "system", "service", "--time=0", f"unix://{sock}",
    ]  # fmt: skip
    return _spawn_and_wait(PODMAN, argv, env, sock, short, log_path, [root], timeout)


# --------------------------------------------------------------------------------------------------------------
# Clients


def client_env(daemon: Daemon | str, config_dir: str | None = None, **extra: str) -> dict[str, str]:
    """Environment for a docker CLI / docker-py aimed at ``daemon`` (a Daemon or a ``unix://`` host).

    Nothing ``DOCKER_*`` is inherited; ``DOCKER_CONFIG`` points to an empty private directory so that the
    user's contexts, credential helpers and plugins are not involved.
    """
    env = _clean_env()
    env["DOCKER_HOST"] = daemon.host if isinstance(daemon, Daemon) else daemon
    if config_dir is None:
        config_dir = tempfile.mkdtemp(prefix="dcfg", dir="/tmp")
        atexit.register(shutil.rmtree, config_dir, True)
    env["DOCKER_CONFIG"] = config_dir
    env.update(extra)
    return env


def run_cli(
    daemon: Daemon | str, *args: str, cli: str = CLI28, timeout: float = 60.0, env: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run ``cli args...`` against ``daemon``; never raises on a non-zero exit status."""
    return subprocess.run(
        [cli, *args],
        env=dict(env) if env is not None else client_env(daemon),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


# --------------------------------------------------------------------------------------------------------------
# Images


def _is_static_elf(data: bytes) -> bool:
    """True when the ELF has no PT_INTERP program header (i.e. needs no dynamic loader)."""
    if data[:4] != b"\x7fELF" or data[4] != 2:  # 64-bit only, which is all we run on
        return False
    order = "little" if data[5] == 1 else "big"
    phoff = int.from_bytes(data[0x20:0x28], order)
    phentsize = int.from_bytes(data[0x36:0x38], order)
    phnum = int.from_bytes(data[0x38:0x3A], order)
    for i in range(phnum):
        off = phoff + i * phentsize
        if int.from_bytes(data[off : off + 4], order) == 3:  # PT_INTERP
            return False
    return True


_ROOTFS_CACHE: dict[str, bytes] = {}


def busybox_rootfs_tar(busybox: str = BUSYBOX) -> bytes:
    """A tiny, deterministic rootfs tar: a static /bin/busybox, applet symlinks, /etc/passwd and friends."""
    if busybox in _ROOTFS_CACHE:
        return _ROOTFS_CACHE[busybox]
    try:
        binary = Path(busybox).read_bytes()
    except OSError as exc:
        raise DaemonUnavailable(f"{busybox} is missing (install busybox-static): {exc}") from exc
    if not _is_static_elf(binary):
        raise DaemonUnavailable(f"{busybox} is not statically linked (install busybox-static)")
    mtime = 1_700_000_000
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.GNU_FORMAT) as tar:

        def add(name: str, kind: bytes, mode: int, data: bytes = b"", target: str = "") -> None:
            info = tarfile.TarInfo(name)
            info.type, info.mode, info.mtime = kind, mode, mtime
            info.uid = info.gid = 0
            info.uname = info.gname = "root"
            if kind == tarfile.SYMTYPE:
                info.linkname = target
            info.size = len(data) if kind == tarfile.REGTYPE else 0
            tar.addfile(info, io.BytesIO(data) if kind == tarfile.REGTYPE else None)

        for d in ("bin", "dev", "etc", "home", "proc", "root", "sys", "usr", "usr/bin", "var", "var/tmp", "data"):
            add(d, tarfile.DIRTYPE, 0o755)
        add("tmp", tarfile.DIRTYPE, 0o1777)
        add("bin/busybox", tarfile.REGTYPE, 0o755, binary)
        for applet in BUSYBOX_APPLETS:
            add(f"bin/{applet}", tarfile.SYMTYPE, 0o777, target="busybox")
        files = {
            "etc/passwd": "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\n"
            "user:x:1000:1000:user:/home:/bin/sh\n",
            "etc/group": "root:x:0:\nnogroup:x:65534:\nuser:x:1000:\n",
            "etc/hostname": "busybox\n",
            "etc/hosts": "127.0.0.1\tlocalhost\n",
        }
        for name, text in files.items():
            add(name, tarfile.REGTYPE, 0o644, text.encode())
    _ROOTFS_CACHE[busybox] = buf.getvalue()
    return _ROOTFS_CACHE[busybox]


def parse_json_stream(body: bytes) -> list[dict]:
    """Split a progress stream (JSON objects separated by newlines / CRLF, or simply concatenated)."""
    dec = json.JSONDecoder()
    text, pos, out = body.decode(errors="replace"), 0, []
    while True:
        while pos < len(text) and text[pos] in " \t\r\n":
            pos += 1
        if pos >= len(text):
            return out
        obj, pos = dec.raw_decode(text, pos)
        out.append(obj)


def import_busybox(daemon: Daemon | str, ref: str = "busybox:latest") -> str:
    """Import the busybox rootfs as ``ref`` via ``POST /images/create?fromSrc=-``; returns the image ID."""
    sock = daemon.socket if isinstance(daemon, Daemon) else daemon
    repo, _, tag = ref.rpartition(":") if ":" in ref.rsplit("/", 1)[-1] else (ref, "", "latest")
    query = urllib.parse.urlencode({"fromSrc": "-", "repo": repo, "tag": tag})
    status, _, body = unix_http(
        sock, "POST", f"/images/create?{query}", body=busybox_rootfs_tar(),
        headers={"Content-Type": "application/x-tar"}, timeout=120,
    )  # fmt: skip
    if status != 200:
        raise RuntimeError(f"image import failed: {status} {body[:500]!r}")
    image_id = ""
    for msg in parse_json_stream(body):
        if "error" in msg or "errorDetail" in msg:
            raise RuntimeError(f"image import failed: {msg}")
        if str(msg.get("status", "")).startswith("sha256:"):
            image_id = msg["status"]
    if not image_id:  # podman answers differently: ask the daemon
        status, _, body = unix_http(sock, "GET", f"/images/{ref}/json")
        if status == 200:
            image_id = json.loads(body).get("Id", "")
    return image_id


# --------------------------------------------------------------------------------------------------------------
# pytest fixtures (registered through tests/conftest.py's pytest_plugins)


def _daemon_fixture(
    start: Callable[[Path], Daemon], tmp_path_factory: pytest.TempPathFactory, name: str
) -> Iterator[Daemon]:
    try:
        daemon = start(tmp_path_factory.mktemp(name))
    except DaemonUnavailable as exc:
        pytest.skip(f"{name} unavailable: {exc.reason}")
    try:
        yield daemon
    finally:
        daemon.stop()


@pytest.fixture(scope="session")
def real_dockerd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Daemon]:
    """A private real dockerd 20.10 for the whole session (skips when it cannot run here)."""
    yield from _daemon_fixture(start_dockerd, tmp_path_factory, "dockerd")


@pytest.fixture(scope="session")
def real_podman(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Daemon]:
    """A private Podman Docker-compatible service for the whole session (skips when it cannot run here)."""
    yield from _daemon_fixture(start_podman, tmp_path_factory, "podman")
