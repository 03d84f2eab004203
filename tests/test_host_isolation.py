"""The host-side check of issue 11: a workload driven through the docker CLI and docker-py (run, exec, cp, build,
bind mounts, published ports with httpd and nc, an opaque `python`) runs no host program and writes no host file
outside mockd's own directory. mockd runs under an audit hook (tests/host_audit.py) that records both."""

from __future__ import annotations

import io
import os
import signal
import socket
import subprocess
import sys
import tarfile
import time
from pathlib import Path

import pytest

from tests.clients_support import CLIS

ROOT = Path(__file__).resolve().parent.parent
AUDIT = ROOT / "tests" / "host_audit.py"


def _wait_for(path: Path, proc: subprocess.Popen, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while not path.exists():
        assert proc.poll() is None, f"mockd ended: {proc.returncode}"
        assert time.monotonic() < deadline, "mockd did not start"
        time.sleep(0.05)


def test_the_audit_hook_sees_programs_and_host_writes(tmp_path):
    """The control case: the same hook, code that starts a program and writes a file outside the allowed dir."""
    log = tmp_path / "audit.log"
    outside = tmp_path / "outside.txt"
    code = f"import subprocess; subprocess.run(['true']); open({str(outside)!r}, 'w').write('x'); " \
           f"open({str(tmp_path / 'allowed' / 'ok.txt')!r}, 'w').write('ok')"
    (tmp_path / "allowed").mkdir()
    subprocess.run([sys.executable, str(AUDIT), str(log), str(tmp_path / "allowed"), "-c", code], check=True)
    lines = log.read_text().splitlines()
    assert any(line.startswith("program subprocess.Popen") for line in lines), lines
    assert f"write {outside}" in lines
    assert not any("ok.txt" in line for line in lines)


@pytest.mark.slow
def test_a_client_workload_runs_no_host_program_and_writes_no_host_file(tmp_path):
    docker_py = pytest.importorskip("docker")
    state = tmp_path / "mockd"
    state.mkdir()
    sock = state / "docker.sock"
    log = tmp_path / "audit.log"
    host_dir = tmp_path / "hostdir"  # bound into a container: mockd simulates binds, the host dir stays as is
    host_dir.mkdir()
    (host_dir / "given.txt").write_text("from the host\n")
    before = sorted((p.name, p.read_bytes()) for p in host_dir.iterdir())
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("DOCKER_HOST", None)
    proc = subprocess.Popen([sys.executable, str(AUDIT), str(log), str(state), "-m", "mockd.cli", "-H",
                             f"unix://{sock}", "--log-level", "warning"], env=env, cwd=state)
    try:
        _wait_for(sock, proc)
        cli_env = {**env, "DOCKER_HOST": f"unix://{sock}", "DOCKER_CONFIG": str(tmp_path / "cfg"),
                   "DOCKER_BUILDKIT": "0", "DOCKER_CLI_HINTS": "false"}

        def docker(*args: str, input: bytes | None = None) -> str:
            done = subprocess.run([next(iter(CLIS.values())), *args], env=cli_env, capture_output=True, input=input,
                                  timeout=60, cwd=tmp_path)
            assert done.returncode == 0, (args, done.stdout, done.stderr)
            return done.stdout.decode()

        docker("pull", "-q", "busybox")
        docker("pull", "-q", "python:3.13-alpine")
        assert docker("run", "--rm", "busybox", "sh", "-c", "echo hi > /tmp/f; cat /tmp/f") == "hi\n"
        docker("run", "-d", "--name", "bound", "-v", f"{host_dir}:/data", "busybox", "sleep", "1000")
        docker("exec", "bound", "sh", "-c", "echo changed > /data/given.txt; echo new > /data/new.txt; rm -f /etc/hosts")
        (tmp_path / "in.txt").write_text("copied in\n")
        docker("cp", str(tmp_path / "in.txt"), "bound:/data/in.txt")
        docker("cp", "bound:/data/new.txt", str(tmp_path / "out.txt"))
        assert (tmp_path / "out.txt").read_text() == "new\n"
        context = tmp_path / "ctx"
        context.mkdir()
        (context / "Dockerfile").write_text("FROM busybox\nCOPY a.txt /a.txt\nRUN cat /a.txt > /b.txt\n")
        (context / "a.txt").write_text("built\n")
        docker("build", "-q", "-t", "audit:1", str(context))
        assert docker("run", "--rm", "audit:1", "cat", "/b.txt") == "built\n"
        docker("run", "-d", "--name", "web", "-p", "0:80", "busybox", "httpd", "-f", "-p", "80")
        port = int(docker("port", "web", "80/tcp").splitlines()[0].rsplit(":", 1)[1])
        for _ in range(100):
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=2) as conn:
                    conn.sendall(b"GET / HTTP/1.0\r\n\r\n")
                    assert conn.recv(100).startswith(b"HTTP/1.1 404")
                break
            except ConnectionError:
                time.sleep(0.05)
        docker("run", "-d", "--name", "py", "-i", "python:3.13-alpine", "python")  # opaque: never a host python
        docker("exec", "py", "python", "-c", "print(1)")
        client = docker_py.DockerClient(base_url=f"unix://{sock}")
        try:
            c = client.containers.run("busybox", ["sh", "-c", "echo from-sdk"], detach=True)
            assert c.wait()["StatusCode"] == 0 and c.logs() == b"from-sdk\n"
            buf = io.BytesIO()
            with tarfile.open(fileobj=buf, mode="w") as tar:
                info = tarfile.TarInfo("x/../../../../etc/escape")
                info.size = 3
                tar.addfile(info, io.BytesIO(b"bad"))
            client.api.put_archive(c.id, "/", buf.getvalue())
            client.volumes.create("v1")
            client.containers.run("busybox", ["sh", "-c", "echo vol > /v/f"], volumes={"v1": {"bind": "/v"}}, remove=True)
        finally:
            client.close()
        docker("rm", "-f", "bound", "web", "py")
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(20)
    events = log.read_text().splitlines() if log.exists() else []
    assert events == [], "mockd touched the host:\n" + "\n".join(events)
    assert sorted((p.name, p.read_bytes()) for p in host_dir.iterdir()) == before
    assert not Path("/etc/escape").exists()
