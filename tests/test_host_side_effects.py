"""The host-side check: a mockd driven through a workload (CLI 28 and docker-py: run, exec, cp, build, busybox
httpd and nc reached from the host, an opaque python) runs no host program and changes no host file outside its
own state directory. mockd runs as a subprocess under a Python audit hook (tests/host_audit/sitecustomize.py)
that logs every program start and every file change; the log must hold nothing outside the allowed places.
A control case runs the same hook over a process that does both, so a broken hook cannot pass silently."""

from __future__ import annotations

import io
import json
import os
import socket
import subprocess
import sys
import tarfile
import time
import urllib.request
from pathlib import Path

import docker as dockerpy
import pytest

from mockd.pytest_plugin import MockdServer
from tests.clients_support import CLIS, DockerCLI

ROOT = Path(__file__).resolve().parent.parent
HOOK_DIR = ROOT / "tests" / "host_audit"


def audited_env(monkeypatch, log: Path) -> None:
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(HOOK_DIR), str(ROOT)]))
    monkeypatch.setenv("MOCKD_AUDIT_LOG", str(log))
    monkeypatch.setenv("PYTHONDONTWRITEBYTECODE", "1")  # a .pyc written into the tree would be a host change


def violations(log: Path, allowed: list[str]) -> list[dict]:
    records = [json.loads(line) for line in log.read_text().splitlines()]
    assert records and records[0]["event"] == "hook-loaded", "the audit hook did not load"
    return [r for r in records[1:]
            if "path" not in r or not any(r["path"] == a or r["path"].startswith(a.rstrip("/") + "/")
                                          for a in allowed)]


def test_the_hook_records_a_program_run_and_a_file_written(tmp_path, monkeypatch):
    log = tmp_path / "audit.jsonl"
    audited_env(monkeypatch, log)
    outside = tmp_path / "outside.txt"
    code = f"import subprocess; subprocess.run(['true']); open({str(outside)!r}, 'w').close()"
    subprocess.run([sys.executable, "-c", code], check=True)
    found = violations(log, allowed=[str(tmp_path / "state")])
    assert [r["event"] for r in found] == ["subprocess.Popen", "open"] and found[1]["path"] == str(outside)
    assert violations(log, allowed=[str(tmp_path)]) == found[:1]  # an allowed place is not a violation


def http_get(port: int) -> bytes:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as answer:
        return answer.read()


def drive_cli(docker: DockerCLI, tmp_path: Path) -> None:
    docker("run", "--rm", "busybox", "sh", "-c", "echo hi > /tmp/x && cat /tmp/x")
    docker("run", "-d", "--name", "web", "-p", "0:80", "busybox", "sh", "-c",
           "mkdir -p /www && echo page > /www/index.html && exec httpd -f -p 80 -h /www")
    port = int(docker("port", "web", "80/tcp").splitlines()[0].rsplit(":", 1)[1])
    assert http_get(port) == b"page\n"
    assert docker("exec", "web", "cat", "/www/index.html") == "page\n"
    (tmp_path / "local.txt").write_text("from host\n")
    docker("cp", str(tmp_path / "local.txt"), "web:/www/local.txt")
    docker("cp", "web:/www/index.html", str(tmp_path / "copied.html"))
    docker("run", "-d", "--name", "listener", "-p", "0:9000", "busybox", "nc", "-l", "-p", "9000")
    nc_port = int(docker("port", "listener", "9000/tcp").splitlines()[0].rsplit(":", 1)[1])
    for _ in range(100):
        if "2328" in docker("exec", "listener", "cat", "/proc/net/tcp"):  # 9000 = 0x2328
            break
        time.sleep(0.05)
    with socket.create_connection(("127.0.0.1", nc_port), timeout=5) as conn:
        conn.sendall(b"to-nc\n")
        time.sleep(0.2)
    for _ in range(100):
        if docker("logs", "listener") == "to-nc\n":
            break
        time.sleep(0.05)
    assert docker("logs", "listener") == "to-nc\n"
    context = tmp_path / "ctx"
    context.mkdir()
    (context / "Dockerfile").write_text("FROM busybox\nCOPY a.txt /a.txt\nRUN cat /a.txt > /b.txt\n")
    (context / "a.txt").write_text("built\n")
    docker("build", "-q", "-t", "audited:1", str(context))
    assert docker("run", "--rm", "audited:1", "cat", "/b.txt") == "built\n"
    docker("run", "-d", "--name", "py", "python:3.13-alpine", "python", "app.py")
    docker("stop", "-t", "0", "py", "web")
    docker("rm", "-f", "py", "web", "listener")


def drive_dockerpy(host: str) -> None:
    client = dockerpy.DockerClient(base_url=host)
    try:
        c = client.containers.run("busybox", ["sh", "-c", "echo from-py > /f && sleep 100"], detach=True)
        assert c.exec_run(["cat", "/f"]).output == b"from-py\n"
        stream, _ = c.get_archive("/f")
        assert tarfile.open(fileobj=io.BytesIO(b"".join(stream))).extractfile("f").read() == b"from-py\n"
        c.remove(force=True)
    finally:
        client.close()


@pytest.mark.skipif(not os.path.exists(CLIS["cli28"]), reason=f"{CLIS['cli28']} (docker CLI 28) is not installed")
def test_a_workload_runs_no_host_program_and_changes_no_host_file(tmp_path, monkeypatch):
    log = tmp_path / "audit.jsonl"
    audited_env(monkeypatch, log)
    server = MockdServer([], subprocess_mode=True).start()
    try:
        drive_cli(DockerCLI("cli28", CLIS["cli28"], server), tmp_path)
        drive_dockerpy(server.host)
        state = server._dir
    finally:
        server.stop()
    assert violations(log, allowed=[state]) == []
