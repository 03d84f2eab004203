"""The write probe (``--write``): sandbox objects run through their lifecycle, always cleaned up.

Every object is named ``apicheck-<run>-…`` and labelled ``apicheck.sandbox=<run>``; the sandbox
removes exactly the objects it created (never anything else), in reverse order, when the probe ends,
fails or is interrupted (Ctrl-C, SIGTERM).
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from checker.daemon.calls import CheckedCaller
from checker.daemon.client import DaemonClient, TransportError
from specs.findings import Finding

LABEL = "apicheck.sandbox"
# Test hook: the write probe sleeps this long before the named step (to interrupt it mid-way).
PAUSE_ENV = "APICHECK_WRITE_PAUSE"


def new_run_id() -> str:
    return uuid.uuid4().hex[:10]


@dataclass
class Created:
    kind: str  # container, volume, network, image-tag, exec
    ident: str
    name: str = ""


@dataclass
class Sandbox:
    """Objects the probe created, removed in reverse order by :meth:`cleanup`."""

    client: DaemonClient
    version: str
    run_id: str = field(default_factory=new_run_id)
    created: list[Created] = field(default_factory=list)
    cleanup_errors: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def name(self, suffix: str) -> str:
        return f"apicheck-{self.run_id}-{suffix}"

    @property
    def labels(self) -> dict[str, str]:
        return {LABEL: self.run_id}

    def add(self, kind: str, ident: str, name: str = "") -> None:
        with self._lock:
            self.created.append(Created(kind, ident, name))

    def forget(self, kind: str, ident: str) -> None:
        """The probe removed it itself."""
        with self._lock:
            self.created = [c for c in self.created if not (c.kind == kind and c.ident == ident)]

    def _remove(self, item: Created) -> None:
        requests = {
            "container": ("DELETE", f"/containers/{item.ident}", {"force": "1", "v": "1"}),
            "volume": ("DELETE", f"/volumes/{item.ident}", {}),
            "network": ("DELETE", f"/networks/{item.ident}", {}),
            # Untag only: without force, removing a second reference leaves the image itself alone.
            "image-tag": ("DELETE", f"/images/{item.ident}", {"noprune": "1"}),
        }
        if item.kind not in requests:
            return
        method, path, query = requests[item.kind]
        try:
            resp = self.client.request(method, path, version=self.version, query=query, timeout=60)
        except TransportError as exc:
            self.cleanup_errors.append(f"{item.kind} {item.ident}: {exc}")
            return
        if resp.status not in (200, 204, 404):
            self.cleanup_errors.append(f"{item.kind} {item.ident}: {resp.status} {resp.body[:200]!r}")

    def cleanup(self) -> None:
        """Remove everything created, newest first. Interrupts are held off until it is done."""
        with _interrupts_deferred():
            while True:
                with self._lock:
                    if not self.created:
                        return
                    item = self.created.pop()
                self._remove(item)

    def leftovers(self) -> list[str]:
        """Objects carrying this run's label that still exist (should be none after cleanup)."""
        found = []
        filters = {"label": [f"{LABEL}={self.run_id}"]}
        for kind, path, key in (("container", "/containers/json", None), ("volume", "/volumes", "Volumes"),
                                ("network", "/networks", None)):
            query: dict[str, Any] = {"filters": filters}
            if kind == "container":
                query["all"] = "1"
            try:
                resp = self.client.request("GET", path, version=self.version, query=query)
            except TransportError:
                continue
            body = resp.json_or_none()
            items = (body or {}).get(key) if key and isinstance(body, dict) else body
            for item in items or []:
                found.append(f"{kind} {item.get('Name') or item.get('Names') or item.get('Id')}")
        return found

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.cleanup()


@contextlib.contextmanager
def _interrupts_deferred() -> Iterator[None]:
    """Hold SIGINT/SIGTERM off while cleaning up (a second Ctrl-C must not leave objects behind)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    pending: list[int] = []
    old = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    for sig in old:
        signal.signal(sig, lambda signum, _frame: pending.append(signum))
    try:
        yield
    finally:
        for sig, handler in old.items():
            signal.signal(sig, handler)
        if pending:
            raise KeyboardInterrupt


@contextlib.contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """SIGTERM unwinds like Ctrl-C, so that ``finally`` blocks (the cleanup) run."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    old = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, old)


def _pause(step: str) -> None:
    want = os.environ.get(PAUSE_ENV, "")
    if want and want.split(":")[0] == step:
        # Said on stderr so that a test interrupts the probe at this very step, not at a guess of it.
        print(f"apicheck: paused at {step}", file=sys.stderr, flush=True)
        time.sleep(float(want.split(":")[1]) if ":" in want else 30.0)


def check_frames(data: bytes) -> str:
    """'' when ``data`` is a sequence of complete multiplexed frames, else what is wrong."""
    pos = 0
    while pos < len(data):
        header = data[pos:pos + 8]
        if len(header) < 8:
            return f"a truncated frame header at byte {pos}"
        if header[0] not in (0, 1, 2, 3) or header[1:4] != b"\0\0\0":
            return f"bytes {header!r} at {pos} are not a frame header [stream,0,0,0,size]"
        size = int.from_bytes(header[4:8], "big")
        pos += 8 + size
    return "" if pos == len(data) else "the last frame is cut"


@dataclass
class WriteResult:
    run_id: str
    caller: CheckedCaller
    steps: list[str] = field(default_factory=list)
    leftovers: list[str] = field(default_factory=list)
    cleanup_errors: list[str] = field(default_factory=list)

    @property
    def findings(self) -> list[Finding]:
        return self.caller.findings


Step = Callable[[], bool]


def run_write_probe(
    client: DaemonClient,
    version: str,
    image: str,
    *,
    after_lifecycle: Callable[[Sandbox, CheckedCaller], None] | None = None,
    fail_at: str = "",
) -> WriteResult:
    """Create, use and remove sandbox objects at ``version``; every response is checked.

    ``after_lifecycle`` runs inside the sandbox (the skew probe). ``fail_at`` names a step at which to
    raise (tests prove the cleanup that way).
    """
    caller = CheckedCaller(client, version, "write")
    sandbox = Sandbox(client, version)
    result = WriteResult(sandbox.run_id, caller)
    state: dict[str, Any] = {}

    def step(name: str) -> None:
        result.steps.append(name)
        _pause(name)
        if fail_at == name:
            raise RuntimeError(f"failure injected at {name}")

    with sigterm_as_interrupt():
        try:
            _lifecycle(caller, sandbox, image, state, step)
            if after_lifecycle is not None:
                after_lifecycle(sandbox, caller)
        finally:
            sandbox.cleanup()
            result.cleanup_errors = list(sandbox.cleanup_errors)
            result.leftovers = sandbox.leftovers()
            for left in result.leftovers:
                caller.finding("cleanup-failed", "error", "DELETE", "", f"left behind: {left}")
            for err in result.cleanup_errors:
                caller.finding("cleanup-failed", "error", "DELETE", "", err)
    return result


def _lifecycle(caller: CheckedCaller, sb: Sandbox, image: str, state: dict[str, Any], step: Callable[[str], None]) -> None:
    call = caller.call
    step("volume")
    vol = sb.name("vol")
    r = call("POST", "/volumes/create", body={"Name": vol, "Labels": sb.labels}, expect=(201, 200))
    if r is not None:
        sb.add("volume", vol)
        call("GET", f"/volumes/{vol}", expect=(200,))
        call("GET", "/volumes", query={"filters": {"label": [f"{LABEL}={sb.run_id}"]}}, expect=(200,))

    step("network")
    net = sb.name("net")
    r = call("POST", "/networks/create", body={"Name": net, "Labels": sb.labels, "Internal": True}, expect=(201, 200))
    net_id = (r.json_or_none() or {}).get("Id") if r is not None else None
    if net_id:
        sb.add("network", net_id)
        call("GET", f"/networks/{net_id}", expect=(200,))

    step("image-tag")
    repo = sb.name("img")
    r = call("POST", f"/images/{image}/tag", query={"repo": repo, "tag": "probe"}, expect=(201, 200))
    if r is not None:
        sb.add("image-tag", f"{repo}:probe")
        call("GET", f"/images/{repo}:probe/json", expect=(200,))

    step("container-create")
    ctr = sb.name("ctr")
    spec_body: dict[str, Any] = {
        "Image": image,
        "Cmd": ["sh", "-c", "echo apicheck-out; echo apicheck-err 1>&2; exec sleep 60"],
        "Labels": sb.labels,
        "HostConfig": {"NetworkMode": "none"},
    }
    if any(c.kind == "volume" and c.ident == vol for c in sb.created):
        spec_body["HostConfig"]["Binds"] = [f"{vol}:/data"]
    r = call("POST", "/containers/create", query={"name": ctr}, body=spec_body, expect=(201,))
    cid = (r.json_or_none() or {}).get("Id") if r is not None else None
    if not cid:
        return
    sb.add("container", cid, ctr)
    state["container"] = cid
    call("GET", f"/containers/{cid}/json", expect=(200,))

    step("container-start")
    if call("POST", f"/containers/{cid}/start", expect=(204,)) is None:
        return
    call("GET", f"/containers/{cid}/json", expect=(200,))

    step("exec")
    r = call("POST", f"/containers/{cid}/exec", body={"Cmd": ["echo", "apicheck-exec"], "AttachStdout": True}, expect=(201,))
    exec_id = (r.json_or_none() or {}).get("Id") if r is not None else None
    if exec_id:
        call("POST", f"/exec/{exec_id}/start", body={"Detach": True, "Tty": False}, expect=(200,))
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            r = call("GET", f"/exec/{exec_id}/json", expect=(200,))
            body = r.json_or_none() if r is not None else None
            if not isinstance(body, dict) or not body.get("Running"):
                break
            time.sleep(0.1)
        if isinstance(body, dict) and body.get("ExitCode") not in (0, None):
            caller.finding("exec-failed", "warning", "GET", "/exec/{id}/json", f"exit code {body.get('ExitCode')}")

    step("container-inspect")
    call("GET", f"/containers/{cid}/top", expect=(200,))
    call("GET", f"/containers/{cid}/stats", query={"stream": "0"}, expect=(200,), read_seconds=15)
    call("GET", f"/containers/{cid}/changes", expect=(200,))
    _check_logs(caller, cid)

    step("container-stop")
    call("POST", f"/containers/{cid}/stop", query={"t": "1"}, expect=(204, 304), timeout=60)
    r = call("POST", f"/containers/{cid}/wait", expect=(200,), timeout=60)
    body = r.json_or_none() if r is not None else None
    if isinstance(body, dict) and not isinstance(body.get("StatusCode"), int):
        caller.finding("wait-status", "error", "POST", "/containers/{id}/wait", f"no StatusCode in {body!r}")

    step("container-remove")
    if call("DELETE", f"/containers/{cid}", query={"v": "1"}, expect=(204,)) is not None:
        sb.forget("container", cid)
        call("GET", f"/containers/{cid}/json", expect=(404,))

    step("remove")
    if sb.created and any(c.kind == "image-tag" for c in sb.created):
        if call("DELETE", f"/images/{repo}:probe", expect=(200,)) is not None:
            sb.forget("image-tag", f"{repo}:probe")
    if net_id and call("DELETE", f"/networks/{net_id}", expect=(204,)) is not None:
        sb.forget("network", net_id)
    if any(c.kind == "volume" for c in sb.created) and call("DELETE", f"/volumes/{vol}", expect=(204,)) is not None:
        sb.forget("volume", vol)


def _check_logs(caller: CheckedCaller, cid: str) -> None:
    deadline = time.monotonic() + 5
    while True:
        r = caller.call("GET", f"/containers/{cid}/logs", query={"stdout": "1", "stderr": "1"}, expect=(200,), read_seconds=5)
        if r is None:
            return
        if (b"apicheck-out" in r.body and b"apicheck-err" in r.body) or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    problem = check_frames(r.body)
    if problem:
        caller.finding("stream-framing", "error", "GET", "/containers/{id}/logs",
                       f"logs of a container without a TTY are not multiplexed frames: {problem}", url=r.url)
    elif b"apicheck-out" not in r.body or b"apicheck-err" not in r.body:
        caller.finding("logs-missing-output", "warning", "GET", "/containers/{id}/logs",
                       f"the container's output is not in its logs: {r.body[:200]!r}", url=r.url)
