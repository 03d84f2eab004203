"""Golden workflow: a fixed session of real clients against mockd, every byte on the wire compared with a recording.

It guards refactorings that promise "no behaviour change" (issue 10): the docker CLI 28 and 20.10, docker-py and
docker-compose 1.29 drive one mockd subprocess through a recording unix-socket proxy (tests/golden_capture.py);
each exchange's request line, headers and body, the response's status line, headers and body, and the bytes of
hijacked attach/exec streams are rendered as text, normalized, and diffed against
tests/fixtures/golden/workflow.txt. The clients' exit codes and stdout are part of the recording too.

Normalized (each is nondeterminism that is not behaviour; see golden_capture.normalize and its callers):
- 64-hex ids and their 12-char prefixes -> <idN> / <idN:12> by order of first appearance; other 12-hex words
  (e.g. short ids of build steps whose full id never appears) -> <shortN>;
- RFC 3339 times, unix seconds and nanoseconds, "Up 3 seconds"-style durations, the `Date` header;
- the temp directory of the run (socket paths, compose's working_dir label, the build context path);
- `Content-Length` values (their digits vary with timestamp lengths): shown as whether they frame the body;
- chunk boundaries of chunked bodies and stdcopy frame boundaries of one stream (scheduling, not behaviour);
- tar members' mtimes (the files were written by this test just now);
- the order of exchanges within one step (parallel connections: the CLI's attach/wait/start, compose's
  threads): sorted by their id- and time-masked text;
- compose's stderr (progress lines of parallel threads) is left out, its stdout lines are sorted.

Regenerate the golden file (only when a behaviour change is intended, and say so in the commit):

    cd /work/wt/<name> && PYTHONPATH=$PWD python tests/test_golden_workflow.py --regenerate
    # or: GOLDEN_REGENERATE=1 python -m pytest -q tests/test_golden_workflow.py
"""

from __future__ import annotations

import difflib
import io
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from mockd.pytest_plugin import unix_request  # noqa: E402
from tests.golden_capture import (  # noqa: E402
    Normalizer,
    RecordingProxy,
    align_columns,
    body_lines,
    parse_connection,
    render_exchange,
    replace_literals,
    sort_key,
)

GOLDEN = Path(__file__).parent / "fixtures" / "golden" / "workflow.txt"
CLI28, CLI20, COMPOSE = "/usr/local/bin/docker", "/usr/bin/docker", "/usr/bin/docker-compose"

COMPOSE_FILE = """\
version: "3.7"
services:
  web:
    image: busybox
    command: ["sh", "-c", "echo web up; echo $$GREETING; sleep 1000"]
    environment:
      GREETING: hello-compose
    volumes:
      - data:/data
    networks: [back]
  worker:
    image: busybox
    command: ["sh", "-c", "echo worker ready; sleep 1000"]
    networks: [back]
    depends_on: [web]  # compose starts services in parallel threads: one order, one creation time order
volumes:
  data: {}
networks:
  back: {}
"""

DOCKERFILE = """\
FROM busybox
COPY hello.txt /hello.txt
RUN echo built > /built.txt && cat /hello.txt
ENV STAGE=golden
CMD ["sh", "-c", "cat /hello.txt /built.txt; echo $STAGE"]
"""


@dataclass
class Step:
    title: str
    run: Callable[[], tuple[str, bytes]]  # the client-visible result to record: exit status, stdout


class Workflow:
    def __init__(self, tmp: str, host: str) -> None:
        self.tmp = tmp
        self.host = host
        self.config = os.path.join(tmp, "docker-config")
        os.makedirs(self.config, exist_ok=True)
        self.ctx = os.path.join(tmp, "ctx")
        os.makedirs(self.ctx)
        Path(self.ctx, "Dockerfile").write_text(DOCKERFILE)
        Path(self.ctx, "hello.txt").write_text("hello from the context\n")
        Path(tmp, "cp-in.txt").write_text("copied in\n")
        self.project = os.path.join(tmp, "project")
        os.makedirs(self.project)
        Path(self.project, "docker-compose.yml").write_text(COMPOSE_FILE)

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DOCKER_", "COMPOSE_"))}
        env.update(DOCKER_HOST=self.host, DOCKER_CONFIG=self.config, DOCKER_BUILDKIT="0", DOCKER_CLI_HINTS="false",
                   # compose 1.29 builds network aliases from a Python set: its order follows the hash seed
                   PYTHONHASHSEED="0")
        return env

    def cli(self, path: str, *args: str, input: bytes | None = None) -> Step:
        name = "cli28" if path == CLI28 else "cli20"

        def run() -> str:
            proc = subprocess.run([path, *args], input=input, capture_output=True, env=self.env(), timeout=60,
                                  cwd=self.tmp, stdin=None if input is not None else subprocess.DEVNULL)
            return f"exit {proc.returncode}", align_columns_bytes(proc.stdout)

        return Step(f"{name}: docker {' '.join(args)}", run)

    def compose(self, *args: str) -> Step:
        def run() -> str:
            proc = subprocess.run([COMPOSE, "-p", "golden", *args], cwd=self.project, env=self.env(),
                                  capture_output=True, timeout=120, stdin=subprocess.DEVNULL)
            lines = sorted(proc.stdout.decode(errors="surrogateescape").splitlines())
            return f"exit {proc.returncode}", "".join(line + "\n" for line in lines).encode(errors="surrogateescape")

        return Step(f"compose: docker-compose {' '.join(args)}", run)

    def steps(self) -> list[Step]:
        c28 = lambda *a, **kw: self.cli(CLI28, *a, **kw)  # noqa: E731
        c20 = lambda *a, **kw: self.cli(CLI20, *a, **kw)  # noqa: E731
        steps = [
            c28("version", "--format", "{{.Server.APIVersion}} {{.Client.APIVersion}}"),
            c28("pull", "busybox"),
            c28("images"),
            c28("run", "--rm", "--name", "hi", "busybox", "echo", "hi"),
            c28("run", "--name", "done", "-e", "FOO=bar", "busybox", "sh", "-c",
                "echo one $FOO; echo two >&2; exit 3"),
            c28("logs", "done"),
            c28("logs", "--timestamps", "--tail", "1", "done"),
            c28("run", "--rm", "-i", "--name", "stdin", "busybox", "cat", input=b"line1\nline2\n"),
            c28("run", "--rm", "-t", "--name", "tty", "busybox", "echo", "tty"),
            c28("run", "-d", "--name", "web", "-l", "app=x", "busybox", "sleep", "1000"),
            c28("exec", "web", "sh", "-c", "echo in-exec; hostname; echo err >&2"),
            c28("exec", "-i", "web", "cat", input=b"exec stdin\n"),
            c28("ps"),
            c28("ps", "-a", "--format", "{{.Names}} {{.Status}} {{.Image}}"),
            c28("inspect", "web"),
            c28("volume", "create", "data"),
            c28("volume", "ls"),
            c28("run", "--rm", "--name", "vol", "-v", "data:/data", "busybox", "sh", "-c",
                "echo persisted > /data/f"),
            c28("volume", "inspect", "data"),
            c28("network", "create", "appnet"),
            c28("network", "connect", "appnet", "web"),
            c28("network", "inspect", "appnet"),
            c28("network", "disconnect", "appnet", "web"),
            c28("network", "ls"),
            c28("cp", os.path.join(self.tmp, "cp-in.txt"), "web:/tmp/"),
            c28("cp", "web:/tmp/cp-in.txt", "-"),
            c28("build", "-t", "built:1", self.ctx),
            c28("run", "--rm", "--name", "built", "built:1"),
            c28("images", "--format", "{{.Repository}}:{{.Tag}} {{.Size}}"),
            c20("version", "--format", "{{.Server.APIVersion}} {{.Client.APIVersion}}"),
            c20("run", "--rm", "--name", "from20", "busybox", "echo", "from-cli20"),
            c20("run", "-d", "--name", "old", "busybox", "sleep", "1000"),
            c20("exec", "old", "sh", "-c", "echo exec20; id -un"),
            c20("ps", "--format", "{{.Names}} {{.Status}}"),
            c20("inspect", "--format", "{{.Name}} {{.State.Status}} {{.Config.Cmd}}", "old"),
            c20("logs", "done"),
            c20("build", "-t", "built:20", self.ctx),
            c20("cp", "old:/etc/hostname", "-"),
            c20("rm", "-f", "old"),
            c20("rmi", "built:20"),
            Step("docker-py: a short sequence", self.dockerpy),
            self.compose("up", "-d"),
            self.compose("ps"),
            self.compose("logs", "--no-color", "web"),
            self.compose("down", "-v", "-t", "1"),
            c28("rm", "-f", "web", "done"),
            c28("rmi", "built:1"),
            c28("volume", "rm", "data"),
            c28("network", "rm", "appnet"),
            c28("ps", "-a"),
            c28("system", "df"),
        ]
        return steps

    def dockerpy(self) -> tuple[str, bytes]:
        import docker

        client = docker.DockerClient(base_url=self.host, timeout=60)
        try:
            out = [f"ping {client.ping()}"]
            out.append(f"run {client.containers.run('busybox', ['echo', 'py'], name='pyecho', remove=True)!r}")
            c = client.containers.run("busybox", ["sleep", "1000"], detach=True, name="pyc", labels={"by": "py"})
            res = c.exec_run(["sh", "-c", "echo exec-py; echo err-py >&2"], demux=True)
            out.append(f"exec {res.exit_code} {res.output!r}")
            out.append(f"list {[x.name for x in client.containers.list(filters={'label': 'by=py'})]}")
            buf = io.BytesIO()
            with tarfile.open(fileobj=buf, mode="w") as tar:
                info = tarfile.TarInfo("put.txt")
                info.size = 4
                tar.addfile(info, io.BytesIO(b"put\n"))
            out.append(f"put_archive {c.put_archive('/tmp', buf.getvalue())}")
            c.remove(force=True)
            vol = client.volumes.create("pyvol", labels={"k": "v"})
            out.append(f"volumes {sorted(v.name for v in client.volumes.list())}")
            vol.remove()
            net = client.networks.create("pynet")
            out.append(f"network {net.name}")
            net.remove()
            out.append(f"images {sorted(t for i in client.images.list() for t in i.tags)}")
            return "ok", ("\n".join(out) + "\n").encode()
        finally:
            client.close()


def align_columns_bytes(data: bytes) -> bytes:
    if data[257:262] == b"ustar":  # `docker cp ... -` writes a tar: rendered by member, not as text
        return data
    return align_columns(data.decode(errors="surrogateescape")).encode(errors="surrogateescape")


def missing_clients() -> list[str]:
    missing = [p for p in (CLI28, CLI20, COMPOSE) if not os.path.exists(p)]
    try:
        import docker  # noqa: F401
    except ImportError:
        missing.append("docker-py")
    return missing


def MOCKD_SOCKET(tmp: str) -> str:  # noqa: N802
    return os.path.join(tmp, "mockd.sock")


def start_mockd(tmp: str) -> subprocess.Popen[bytes]:
    """The `mockd` command of this tree, its log in a file (a pipe nobody reads would fill and block it)."""
    env = {k: v for k, v in os.environ.items() if k not in ("DOCKER_HOST", "MOCKD_SEED")}
    with open(os.path.join(tmp, "mockd.log"), "wb") as log:
        proc = subprocess.Popen([sys.executable, "-m", "mockd.cli", "-H", f"unix://{MOCKD_SOCKET(tmp)}"],
                                stdout=log, stderr=subprocess.STDOUT, env=env)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"mockd exited with {proc.returncode}: {Path(tmp, 'mockd.log').read_text()}")
        try:
            if unix_request(MOCKD_SOCKET(tmp), "GET", "/_ping", timeout=5)[0] == 200:
                return proc
        except OSError:
            pass
        time.sleep(0.05)
    proc.kill()
    raise TimeoutError("mockd did not answer /_ping within 60 s")


def stop_mockd(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def record_workflow() -> str:
    """Run the workflow against a fresh mockd subprocess and return the normalized recording."""
    tmp = tempfile.mkdtemp(prefix="golden-", dir="/tmp")  # short: AF_UNIX paths max 107 bytes
    server = start_mockd(tmp)
    proxy = RecordingProxy(os.path.join(tmp, "proxy.sock"), MOCKD_SOCKET(tmp))
    try:
        workflow = Workflow(tmp, f"unix://{proxy.listen_path}")
        results: list[tuple[str, tuple[str, bytes]]] = []
        for number, step in enumerate(workflow.steps(), start=1):
            proxy.step = number
            opened = len(proxy.connections)
            started = time.monotonic()
            results.append((step.title, step.run()))
            if not step.title.startswith("docker-py"):  # docker-py keeps its pool open until close(), read fully
                proxy.wait_closed(opened)
            if os.environ.get("GOLDEN_TRACE"):
                print(f"{time.monotonic() - started:6.2f}s {step.title}", file=sys.stderr)
        proxy.step = len(results) + 1
    finally:
        proxy.close()
        stop_mockd(server)
    by_step: dict[int, list[list[str]]] = {}
    for conn in proxy.connections:
        for exchange in parse_connection(conn):
            by_step.setdefault(exchange.step, []).append(render_exchange(exchange))
    shutil.rmtree(tmp, ignore_errors=True)
    return render_steps(results, by_step, Normalizer({tmp: "<tmp>"}))


def render_steps(results: list[tuple[str, tuple[str, bytes]]], by_step: dict[int, list[list[str]]],
                 normalizer: Normalizer) -> str:
    """Two passes: placeholders are numbered over the steps in id-masked order; exchanges whose masked text ties
    (compose's two `start`s) are then ordered by their normalized text, so the tie does not decide the order."""
    def text(key: Callable[[list[str]], object]) -> str:
        out: list[str] = []
        for number, (title, (status, stdout)) in enumerate(results, start=1):
            out.append(f"=== step {number}: {title}")
            out.append(f"| {status}")
            out += body_lines(stdout, None, "| ")
            for lines in sorted(by_step.get(number, []), key=key):
                out.append("---")
                out += lines
        for number in sorted(set(by_step) - set(range(1, len(results) + 1))):  # a recorder bug if any
            out.append(f"=== stray exchanges tagged {number}")
            for lines in by_step[number]:
                out += lines
        return "\n".join(out) + "\n"

    def masked(lines: list[str]) -> str:
        return sort_key(replace_literals("\n".join(lines), normalizer.replacements).split("\n"))

    normalizer.learn(text(masked))
    return normalizer.apply(text(lambda lines: (masked(lines), normalizer.apply("\n".join(lines)))))


def test_golden_workflow():
    missing = missing_clients()
    if missing:
        pytest.skip(f"clients not installed: {', '.join(missing)}")
    if os.environ.get("GOLDEN_REGENERATE"):
        GOLDEN.parent.mkdir(parents=True, exist_ok=True)
        GOLDEN.write_text(record_workflow())
        pytest.skip(f"regenerated {GOLDEN}")
    assert GOLDEN.exists(), f"{GOLDEN} is missing: run `python tests/test_golden_workflow.py --regenerate`"
    expected = GOLDEN.read_text()
    actual = record_workflow()
    if actual != expected:
        diff = difflib.unified_diff(expected.splitlines(), actual.splitlines(), "golden", "now", lineterm="", n=4)
        lines = list(diff)
        shown = "\n".join(lines[:400]) + (f"\n... {len(lines) - 400} more diff lines" if len(lines) > 400 else "")
        pytest.fail(f"the workflow's wire traffic changed ({GOLDEN.name}):\n{shown}", pytrace=False)


if __name__ == "__main__":
    if sys.argv[1:] == ["--regenerate"]:
        GOLDEN.parent.mkdir(parents=True, exist_ok=True)
        text = record_workflow()
        GOLDEN.write_text(text)
        print(f"wrote {GOLDEN} ({len(text)} bytes)")
    else:
        sys.exit(f"usage: {sys.argv[0]} --regenerate   (to compare, run pytest on this file)")
