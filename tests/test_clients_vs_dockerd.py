"""The same CLI workflow against a real dockerd 20.10 and against mockd (at its API, 1.41): outcomes must match.

Differences are bugs, or choices listed in DIFFERENCES (each with its reason)."""

from __future__ import annotations

import re
import subprocess

import pytest

from mockd.pytest_plugin import MockdServer
from tests.realdaemons import CLI20, CLI28, client_env, import_busybox

pytestmark = pytest.mark.realdaemon

# Where mockd deliberately differs from dockerd in this workflow (none today; keep the reason when adding one).
DIFFERENCES: dict[str, str] = {}


def workflow(host: str, cli: str, tmp) -> dict[str, object]:
    env = client_env(host, str(tmp / "cfg"))
    env["DOCKER_BUILDKIT"] = "0"

    def d(*args: str, input: str | None = None) -> tuple[int, str, str]:
        proc = subprocess.run([cli, *args], input=input, capture_output=True, text=True, env=env, timeout=60,
                              stdin=None if input is not None else subprocess.DEVNULL)
        return proc.returncode, proc.stdout, proc.stderr

    def last(text: str) -> str:
        lines = [line for line in text.splitlines()
                 if line.strip() and "docker run --help" not in line and line != "exit status 1"]
        return lines[-1] if lines else ""

    out: dict[str, object] = {}
    none = ("--network", "none")
    out["echo"] = d("run", "--rm", *none, "busybox", "echo", "hi")[:2]
    rc, o, e = d("run", "--rm", *none, "busybox", "sh", "-c", "echo out; echo err >&2; exit 3")
    out["exit3"] = (rc, o, last(e))
    rc, _, e = d("run", "--rm", *none, "busybox", "nosuch")
    out["missing-exe"] = (rc, 'exec: "nosuch": executable file not found in $PATH' in e)
    out["stdin"] = d("run", "--rm", "-i", *none, "busybox", "cat", input="a\nb\n")[:2]
    out["env-user-workdir"] = d("run", "--rm", *none, "-e", "X=1", "-u", "nobody", "-w", "/tmp", "busybox", "sh",
                                "-c", "echo $X; id -u; pwd")[:2]
    d("run", "-d", "--name", "c1", *none, "busybox", "sh", "-c", "echo one; echo two >&2; sleep 100")
    out["exec"] = d("exec", "c1", "sh", "-c", "echo x > /tmp/f; cat /tmp/f")[:2]
    out["exec-exit"] = d("exec", "c1", "sh", "-c", "exit 7")[0]
    out["logs"] = d("logs", "c1")[:3]
    out["diff"] = sorted(d("diff", "c1")[1].splitlines())
    host_file = tmp / "h.txt"
    host_file.write_text("host\n")
    out["cp-in"] = d("cp", str(host_file), "c1:/root/")[0]
    out["cp-in-read"] = d("exec", "c1", "cat", "/root/h.txt")[:2]
    out["cp-out"] = d("cp", "c1:/tmp/f", str(tmp / "f.out"))[0]
    out["cp-out-content"] = (tmp / "f.out").read_text() if (tmp / "f.out").exists() else None
    out["inspect"] = d("inspect", "-f", "{{.State.Status}} {{.Path}} {{.Args}} {{.Config.Cmd}} {{.State.Running}}",
                       "c1")[1]
    rc, _, e = d("run", "--name", "c1", *none, "busybox", "true")
    out["conflict"] = (rc, re.sub(r"[0-9a-f]{64}", "ID", last(e)))
    out["stop"] = d("stop", "-t", "1", "c1")[:2]
    out["stopped-exit"] = d("inspect", "-f", "{{.State.ExitCode}} {{.State.Status}}", "c1")[1]
    out["kill-stopped"] = (lambda r: (r[0], re.sub(r"[0-9a-f]{64}", "ID", r[2])))(d("kill", "c1"))
    out["rm"] = d("rm", "c1")[:2]
    for what, args in {"rm": ("rm", "ghost"), "rmi": ("rmi", "ghost"), "network": ("network", "rm", "ghost"),
                       "volume": ("volume", "rm", "ghost"), "inspect": ("inspect", "ghost"),
                       "logs": ("logs", "ghost")}.items():
        rc, _, e = d(*args)
        out[f"error-{what}"] = (rc, last(e))
    d("volume", "create", "v1")
    d("run", "--rm", *none, "-v", "v1:/data", "busybox", "sh", "-c", "echo kept > /data/k")
    out["volume-data"] = d("run", "--rm", *none, "-v", "v1:/data", "busybox", "cat", "/data/k")[:2]
    out["volume-ls"] = d("volume", "ls", "-q")[1]
    out["volume-rm"] = d("volume", "rm", "v1")[:2]
    out["tag"] = d("tag", "busybox", "me/box:v1")[0]
    out["rmi-tag"] = d("rmi", "me/box:v1")[:2]
    out["ps"] = d("ps", "-a", "--format", "{{.Names}}")[1]
    return out


@pytest.mark.parametrize("cli", [CLI28, CLI20], ids=["cli28", "cli20"])
def test_workflow_matches_real_dockerd(real_dockerd, cli, tmp_path):
    import_busybox(real_dockerd)
    (tmp_path / "real").mkdir()
    (tmp_path / "mock").mkdir()
    try:
        real = workflow(real_dockerd.host, cli, tmp_path / "real")
    finally:
        subprocess.run([cli, "rm", "-f", "c1"], env=client_env(real_dockerd.host, str(tmp_path / "cfg2")),
                       capture_output=True, timeout=60)
        subprocess.run([cli, "volume", "rm", "-f", "v1"], env=client_env(real_dockerd.host, str(tmp_path / "cfg2")),
                       capture_output=True, timeout=60)
    with MockdServer(["--api-version", "1.41"]) as mock:
        import_busybox(mock.socket)
        mocked = workflow(mock.host, cli, tmp_path / "mock")
    differences = {k: (real[k], mocked[k]) for k in real if real[k] != mocked[k] and k not in DIFFERENCES}
    assert not differences, "\n".join(f"{k}: dockerd={r!r} mockd={m!r}" for k, (r, m) in differences.items())
