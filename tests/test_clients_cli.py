"""The real docker CLIs (28.x first on PATH, Debian's 20.10) driving mockd through the daily workflow."""

from __future__ import annotations

import io
import json
import os
import tarfile
import time

import pytest

from tests.clients_support import DockerCLI, cli_params, docker_for, module_server

server = pytest.fixture(scope="module")(module_server)


@pytest.fixture(params=cli_params())
def docker(request, server) -> DockerCLI:
    return docker_for(request, server)


def test_version_and_info_follow_state(docker):
    assert docker("version", "--format", "{{.Server.APIVersion}}").strip() == "1.56"
    assert docker("info", "--format", "{{.Containers}} {{.Images}}").split() == ["0", "0"]
    docker("run", "-d", "busybox", "sleep", "100")
    assert docker("info", "--format", "{{.Containers}} {{.ContainersRunning}} {{.Images}}").split() == ["1", "1", "1"]
    # Regression: generated component commits differed from "Expected" and Debug was on, so `docker info` printed
    # "containerd version: X (expected: Y)" and the goroutine/file-descriptor debug lines.
    info = docker("info")
    assert "expected:" not in info and "Goroutines" not in info and "containerd version: 05044ec" in info, info


def test_run_foreground_output_and_exit_codes(docker):
    assert docker("run", "--rm", "busybox", "echo", "hi") == "hi\n"
    proc = docker.run("run", "--rm", "busybox", "sh", "-c", "echo out; echo err >&2; exit 3", check=False)
    assert (proc.returncode, proc.out, proc.err.splitlines()[-1:]) == (3, "out\n", ["err"])
    proc = docker.run("run", "--rm", "busybox", "nosuch", check=False)
    assert proc.returncode == 127
    assert 'exec: "nosuch": executable file not found in $PATH' in proc.err
    assert "Error waiting for container" not in proc.err, proc.err  # regression: dockerd's removed-wait: no Error
    assert docker("ps", "-aq") == ""  # --rm removed all three, even the one that failed to start


def test_run_stdin_and_tty(docker):
    assert docker("run", "--rm", "-i", "busybox", "cat", input="line1\nline2\n") == "line1\nline2\n"
    proc = docker.run("run", "--rm", "-i", "busybox", "sh", input="echo from-script; exit 5\n", check=False)
    assert (proc.returncode, proc.out) == (5, "from-script\n")
    assert docker("run", "--rm", "-t", "busybox", "echo", "tty") == "tty\r\n"
    docker("run", "-t", "--name", "ttylog", "busybox", "sh", "-c", "echo out; echo err >&2")
    assert docker("logs", "ttylog") == "out\r\nerr\r\n"  # a TTY merges the streams and logs raw bytes


def test_run_options(docker):
    out = docker("run", "--rm", "-e", "FOO=bar", "--user", "nobody", "--workdir", "/srv", "--name", "opts",
                 "--label", "a=b", "busybox", "sh", "-c", "echo $FOO; id -un; pwd")
    assert out.splitlines() == ["bar", "nobody", "/srv"]
    docker("run", "--rm", "-v", "vol1:/data", "busybox", "sh", "-c", "echo persisted > /data/f")
    assert docker("run", "--rm", "--mount", "type=volume,source=vol1,target=/mnt", "busybox", "cat",
                  "/mnt/f") == "persisted\n"
    docker("run", "--name", "src", "-v", "/shared", "busybox", "sh", "-c", "echo s > /shared/x")
    assert docker("run", "--rm", "--volumes-from", "src", "busybox", "cat", "/shared/x") == "s\n"
    docker("network", "create", "appnet")
    ip = docker("run", "--rm", "--network", "appnet", "busybox", "hostname")
    assert len(ip.strip()) == 12
    docker("run", "-d", "--name", "lbl", "--label", "tier=web", "busybox", "sleep", "60")
    tier, mode = docker("inspect", "--format", "{{.Config.Labels.tier}} {{.HostConfig.NetworkMode}}", "lbl").split()
    assert tier == "web" and mode in ("default", "bridge")


def test_detached_ps_and_logs(docker):
    cid = docker("run", "-d", "--name", "web", "-l", "app=x", "busybox", "sh", "-c",
                 "echo one; echo two >&2; sleep 0.6; echo three").strip()
    assert len(cid) == 64
    assert docker("ps", "--filter", "label=app=x", "--format", "{{.Names}}") == "web\n"
    assert docker("ps", "--filter", "status=exited", "-q") == ""
    follow = docker("logs", "-f", "web")
    assert follow == "one\nthree\n"
    assert docker("logs", "--tail", "1", "web") == "three\n"
    assert docker("logs", "--since", "2000-01-01T00:00:00Z", "--until", "2000-01-02T00:00:00Z", "web") == ""
    assert docker("logs", "--since", "1h", "web") == "one\nthree\n"
    stamped = docker("logs", "-t", "web").splitlines()
    assert stamped[0].endswith(" one") and stamped[0][:4].isdigit() and "T" in stamped[0]
    docker("wait", "web")
    assert docker("ps", "-a", "--filter", "exited=0", "--format", "{{.Names}} {{.Status}}").startswith("web Exited (0)")
    assert docker("ps", "-q") == ""
    sizes = docker("ps", "-a", "-s", "--format", "{{.Names}} {{.Size}}")
    assert sizes.startswith("web 0B")


def test_attach_and_start_attached(docker):
    docker("run", "-d", "--name", "att", "busybox", "sh", "-c", "sleep 0.3; echo late; sleep 0.2; exit 4")
    proc = docker.run("attach", "--no-stdin", "att", check=False)
    assert (proc.returncode, proc.out) == (4, "late\n")
    proc = docker.run("start", "-a", "att", check=False)
    assert (proc.returncode, proc.out) == (4, "late\n")
    docker("create", "--name", "cat", "-i", "busybox", "cat")
    assert docker("start", "-ai", "cat", input="to stdin\n") == "to stdin\n"


def test_exec(docker):
    docker("run", "-d", "--name", "box", "busybox", "sleep", "100")
    assert docker("exec", "box", "sh", "-c", "echo in-exec; hostname") .splitlines()[0] == "in-exec"
    assert docker("exec", "-i", "box", "cat", input="fed\n") == "fed\n"
    assert docker.run("exec", "box", "sh", "-c", "exit 7", check=False).returncode == 7
    assert docker("exec", "-e", "X=1", "-w", "/tmp", "box", "sh", "-c", "echo $X; pwd").split() == ["1", "/tmp"]
    docker("exec", "-d", "box", "sh", "-c", "echo detached > /tmp/d")
    time.sleep(0.2)
    assert docker("exec", "box", "cat", "/tmp/d") == "detached\n"
    assert docker("exec", "-t", "box", "echo", "t") == "t\r\n"


def test_lifecycle(docker):
    docker("run", "-d", "--name", "life", "-p", "8080:80", "busybox", "sleep", "100")
    assert "80/tcp -> 0.0.0.0:8080" in docker("port", "life")
    docker("pause", "life")
    assert docker("inspect", "-f", "{{.State.Status}}", "life") == "paused\n"
    docker("unpause", "life")
    docker("restart", "-t", "1", "life")
    assert docker("inspect", "-f", "{{.State.Running}}", "life") == "true\n"
    top = docker("top", "life")
    assert "sleep 100" in top and "PID" in top
    stats = docker("stats", "--no-stream", "--format", "{{.Name}} {{.CPUPerc}}", "life")
    name, cpu = stats.split()
    # Regression: system_cpu_usage was in µs against total_usage in ns, so an idle container showed ~300 %.
    assert name == "life" and 0 <= float(cpu.rstrip("%")) < 5, stats
    docker("update", "--memory", "64m", "--memory-swap", "128m", "life")
    assert docker("inspect", "-f", "{{.HostConfig.Memory}}", "life") == f"{64 * 1024 * 1024}\n"
    docker("rename", "life", "life2")
    docker("stop", "-t", "1", "life2")
    assert docker("wait", "life2") == "137\n"  # sleep as PID 1 ignores SIGTERM: killed after 1 s
    docker("start", "life2")
    docker("kill", "-s", "KILL", "life2")
    assert docker("inspect", "-f", "{{.State.ExitCode}}", "life2") == "137\n"
    proc = docker.run("kill", "life2", check=False)
    assert proc.returncode == 1 and "is not running" in proc.err


def test_cp_diff_export_commit(docker, tmp_path):
    docker("run", "-d", "--name", "files", "busybox", "sleep", "100")
    host = tmp_path / "hello.txt"
    host.write_text("from host\n")
    docker("cp", str(host), "files:/tmp/")
    assert docker("exec", "files", "cat", "/tmp/hello.txt") == "from host\n"
    docker("exec", "files", "sh", "-c", "mkdir -p /out && echo made > /out/m.txt")
    docker("cp", "files:/out", str(tmp_path / "out"))
    assert (tmp_path / "out" / "m.txt").read_text() == "made\n"
    diff = docker("diff", "files").splitlines()
    assert "A /tmp/hello.txt" in diff and "A /out/m.txt" in diff and "C /tmp" in diff
    exported = docker.run("export", "files").stdout
    with tarfile.open(fileobj=io.BytesIO(exported)) as tar:
        assert tar.extractfile("out/m.txt").read() == b"made\n"
    docker("commit", "-c", 'CMD ["cat", "/out/m.txt"]', "-c", "ENV MODE=snap", "files", "snap:v1")
    assert docker("run", "--rm", "snap:v1") == "made\n"
    assert docker("run", "--rm", "snap:v1", "printenv", "MODE") == "snap\n"
    proc = docker.run("cp", "files:/nope", str(tmp_path), check=False)
    assert proc.returncode == 1
    assert ("Could not find the file /nope in container files" in proc.err  # CLI 28 shows the daemon's text
            or "No such container:path: files:/nope" in proc.err)  # CLI 20 words the 404 itself


def test_images_pull_tag_history_rmi_save_load(docker, tmp_path):
    pulled = docker("pull", "busybox")
    assert "Downloaded newer image for busybox:latest" in pulled
    assert "Image is up to date for busybox:latest" in docker("pull", "busybox")
    docker("tag", "busybox", "me/box:v1")
    listed = docker("images", "--format", "{{.Repository}}:{{.Tag}}").split()
    assert sorted(listed) == ["busybox:latest", "me/box:v1"]
    assert docker("images", "--filter", "reference=me/*", "-q").strip() == docker(
        "inspect", "-f", "{{.Id}}", "busybox")[7:19]
    history = docker("history", "--no-trunc", "--format", "{{.CreatedBy}}", "busybox").splitlines()
    assert history == ['CMD ["sh"]', "ADD busybox.tar.xz / # buildkit"]  # busybox's BuildKit build, as published
    assert docker("rmi", "me/box:v1") == "Untagged: me/box:v1\n"
    archive = tmp_path / "img.tar"
    docker("save", "-o", str(archive), "busybox")
    with tarfile.open(archive) as tar:
        manifest = json.load(tar.extractfile("manifest.json"))
    assert manifest[0]["RepoTags"] == ["busybox:latest"]
    docker("run", "--name", "user", "busybox", "true")
    proc = docker.run("rmi", "busybox", check=False)
    assert proc.returncode == 1 and "container" in proc.err and "is using its referenced image" in proc.err
    docker("rm", "user")
    removed = docker("rmi", "busybox")
    assert "Untagged: busybox:latest" in removed and "Deleted: sha256:" in removed
    assert "Loaded image: busybox:latest" in docker("load", "-i", str(archive))
    assert docker("images", "-q") != ""
    rootfs = tmp_path / "rootfs.tar"
    with tarfile.open(rootfs, "w") as tar:
        info = tarfile.TarInfo("hello.txt")
        info.size = 3
        tar.addfile(info, io.BytesIO(b"hi\n"))
    image_id = docker("import", "-c", 'CMD ["/hello.txt"]', str(rootfs), "imported:v1").strip()
    assert image_id.startswith("sha256:")
    assert docker("inspect", "-f", "{{.Config.Cmd}}", "imported:v1") == "[/hello.txt]\n"


def test_build_classic(docker, tmp_path):
    (tmp_path / "Dockerfile").write_text(
        "FROM busybox\nARG WHO=world\nENV GREETING=hello\nWORKDIR /app\nCOPY greet.txt .\n"
        "RUN echo $GREETING $WHO > built.txt\nCMD [\"cat\", \"/app/built.txt\", \"/app/greet.txt\"]\n"
        "LABEL stage=test\nEXPOSE 8080\n")
    (tmp_path / "greet.txt").write_text("from context\n")
    out = docker("build", "-t", "built:v1", "--build-arg", "WHO=mockd", str(tmp_path))
    assert "Step 1/9 : FROM busybox" in out and "Successfully tagged built:v1" in out
    assert docker("run", "--rm", "built:v1") == "hello mockd\nfrom context\n"
    assert docker("inspect", "-f", "{{.Config.Labels.stage}}", "built:v1") == "test\n"
    image_id = docker("inspect", "-f", "{{.Id}}", "built:v1").strip()
    # Regression: the last " ---> ID" and "Successfully built ID" name the tagged image, as in dockerd.
    assert out.splitlines()[-3:-1] == [f" ---> {image_id[7:19]}", f"Successfully built {image_id[7:19]}"]
    # Regression: `build -q` printed the whole step output; dockerd sends only the image id.
    quiet = docker("build", "-q", "-t", "built:v2", str(tmp_path))
    assert quiet == docker("inspect", "-f", "{{.Id}}", "built:v2"), quiet
    (tmp_path / "Dockerfile").write_text("FROM busybox\nRUN exit 4\n")
    proc = docker.run("build", str(tmp_path), check=False)
    assert proc.returncode != 0
    assert "The command '/bin/sh -c exit 4' returned a non-zero code: 4" in proc.out + proc.err


def test_volume_and_network_commands(docker):
    docker("volume", "create", "--label", "k=v", "vol")
    assert docker("volume", "ls", "-q") == "vol\n"
    assert docker("volume", "inspect", "-f", "{{.Driver}} {{.Labels.k}}", "vol") == "local v\n"
    docker("run", "-d", "--name", "user", "-v", "vol:/v", "busybox", "sleep", "100")
    proc = docker.run("volume", "rm", "vol", check=False)
    assert proc.returncode == 1 and "volume is in use" in proc.err
    docker("rm", "-f", "user")
    docker("volume", "rm", "vol")
    net = docker("network", "create", "--subnet", "10.30.0.0/24", "--gateway", "10.30.0.1", "backend").strip()
    assert len(net) == 64
    docker("run", "-d", "--name", "n1", "--network", "backend", "busybox", "sleep", "100")
    assert docker("inspect", "-f", "{{.NetworkSettings.Networks.backend.IPAddress}}", "n1") == "10.30.0.2\n"
    docker("network", "connect", "--alias", "db", "bridge", "n1")
    assert docker("inspect", "-f", "{{index .NetworkSettings.Networks.bridge.Aliases 0}}", "n1") == "db\n"
    docker("network", "disconnect", "bridge", "n1")
    proc = docker.run("network", "rm", "backend", check=False)
    assert proc.returncode != 0 and "active endpoints" in proc.err
    docker("rm", "-f", "n1")
    docker("network", "rm", "backend")
    assert sorted(docker("network", "ls", "--format", "{{.Name}}").split()) == ["bridge", "host", "none"]


def test_events_since_until(docker):
    start = int(time.time()) - 1
    docker("run", "--rm", "--name", "evt", "busybox", "true")
    out = docker("events", "--since", str(start), "--until", str(int(time.time()) + 1), "--filter", "container=evt",
                 "--format", "{{.Action}}", timeout=20)
    assert out.split() == ["create", "attach", "start", "die", "destroy"]


def test_system_df_and_prune(docker):
    docker("run", "--name", "done", "busybox", "true")
    df = docker("system", "df", "--format", "{{.Type}} {{.TotalCount}}")
    assert "Images 1" in df and "Containers 1" in df
    assert "Total reclaimed space" in docker("container", "prune", "-f")
    assert docker("ps", "-aq") == ""
    docker("volume", "create", "named")
    docker("run", "-v", "/anon", "--name", "anon", "busybox", "true")
    docker("rm", "anon")
    assert len(docker("volume", "ls", "-q").split()) == 2
    docker("volume", "prune", "-f")
    # From API 1.42 (CLI 28 here) only anonymous volumes are pruned; CLI 20 speaks 1.41 and prunes them all.
    assert docker("volume", "ls", "-q") == ("named\n" if docker.name == "cli28" else "")
    docker("network", "create", "unused")
    docker("network", "prune", "-f")
    assert "unused" not in docker("network", "ls")
    docker("image", "prune", "-a", "-f")
    assert docker("images", "-q") == ""


def test_errors_have_dockerd_messages(docker):
    def err(*args: str) -> str:
        proc = docker.run(*args, check=False)
        assert proc.returncode != 0
        return proc.err

    assert "No such container: ghost" in err("rm", "ghost")
    assert "No such container: ghost" in err("logs", "ghost")
    assert "No such image: ghost:latest" in err("rmi", "ghost") or "No such image: ghost" in err("rmi", "ghost")
    assert "network ghost not found" in err("network", "rm", "ghost") or "No such network: ghost" in err(
        "network", "rm", "ghost")
    assert "no such volume" in err("volume", "rm", "ghost") or "No such volume: ghost" in err("volume", "rm", "ghost")
    assert "No such object: ghost" in err("inspect", "ghost")
    docker("run", "--name", "dup", "busybox", "true")
    cid = docker("inspect", "-f", "{{.Id}}", "dup").strip()
    assert (f'Conflict. The container name "/dup" is already in use by container "{cid}". You have to remove '
            "(or rename) that container to be able to reuse that name.") in err("run", "--name", "dup", "busybox")


@pytest.mark.slow
def test_run_rm_echo_is_race_free(docker):
    """The hijack race: `docker run --rm IMG echo hi` prints `hi` and exits 0 every time."""
    count = int(os.environ.get("MOCKD_RACE_RUNS", "200"))
    docker("pull", "busybox")
    started = time.monotonic()
    failures = []
    for i in range(count):
        proc = docker.run("run", "--rm", "busybox", "echo", "hi", check=False)
        if proc.returncode != 0 or proc.out != "hi\n":
            failures.append((i, proc.returncode, proc.out, proc.err))
    elapsed = time.monotonic() - started
    print(f"{docker.name}: {count} runs in {elapsed:.1f}s")
    assert not failures, failures[:5]
    assert docker("ps", "-aq") == ""


def run_in_pty(docker: DockerCLI, args: list[str], typed: bytes, timeout: float = 15) -> tuple[bytes, int]:
    """Run the CLI on a pseudo-terminal (what `-it` needs), type into it, collect what it shows."""
    import pty
    import select
    import subprocess

    master, slave = pty.openpty()
    proc = subprocess.Popen([docker.path, *args], stdin=slave, stdout=slave, stderr=slave, env=docker.env(),
                            close_fds=True)
    os.close(slave)
    out = b""
    deadline = time.monotonic() + timeout
    sent = False
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.1)
            if ready:
                try:
                    data = os.read(master, 4096)
                except OSError:
                    break
                if not data:
                    break
                out += data
            if not sent and b"# " in out:  # the prompt: the shell is reading
                os.write(master, typed)
                sent = True
            if proc.poll() is not None and not ready:
                break
        return out, proc.wait(5)
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(master)


def test_interactive_tty(docker):
    docker("pull", "busybox")
    out, code = run_in_pty(docker, ["run", "--rm", "-it", "busybox", "sh"], b"echo via-tty; exit 3\r")
    assert code == 3 and b"/ # echo via-tty; exit 3\r\nvia-tty\r\n" in out
    docker("run", "-d", "--name", "itbox", "busybox", "sleep", "100")
    out, code = run_in_pty(docker, ["exec", "-it", "itbox", "sh"], b"cd /tmp; pwd; exit\r")
    assert code == 0 and b"/tmp\r\n" in out
