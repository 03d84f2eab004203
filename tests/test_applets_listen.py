"""The busybox applets that listen (`nc -l`, `httpd`): their sockets in the container's namespace and
/proc/net/tcp, what a client gets, and httpd's answers compared byte for byte with busybox httpd run on the host."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import socket
import subprocess
import time

import pytest

from mockd.engine import Engine
from mockd.engine.netns import Connection
from tests.engine_support import output, run_body

SITE = ("mkdir -p /www/d /www/e && echo hello > /www/a.txt && echo '<h1>i</h1>' > /www/d/index.html"
        " && echo x > /www/e/f.css && echo y > /www/e/blob.json")
REQUESTS = [b"GET /a.txt HTTP/1.1\r\nHost: x\r\n\r\n", b"GET /nope HTTP/1.1\r\nHost: x\r\n\r\n",
            b"GET / HTTP/1.0\r\n\r\n", b"GET /d/ HTTP/1.0\r\n\r\n", b"GET /d HTTP/1.0\r\n\r\n",
            b"GET /e/ HTTP/1.0\r\n\r\n", b"HEAD /a.txt HTTP/1.0\r\n\r\n",
            b"POST /a.txt HTTP/1.0\r\nContent-Length: 0\r\n\r\n", b"GET /e/f.css?v=1 HTTP/1.0\r\n\r\n",
            b"GET /e/blob%2ejson HTTP/1.0\r\n\r\n", b"BLAH\r\n\r\n", b"GET /../etc/passwd HTTP/1.0\r\n\r\n"]


def started(*cmd: str, **extra):
    e = Engine(publish_ports="off")
    e.pull("busybox")
    c, _ = e.create_container(run_body(*cmd, **extra), "")
    e.start_container(c.id)
    return e, c


async def until(predicate, what: str) -> None:
    for _ in range(500):
        if predicate():
            return
        await asyncio.sleep(0.01)
    raise AssertionError(what)


async def exchange(conn: Connection, data: bytes) -> bytes:
    conn.write(data)
    chunks = []
    while chunk := await asyncio.wait_for(conn.read(), 5):
        chunks.append(chunk)
    return b"".join(chunks)


def proc_tcp_ports(c) -> set[int]:
    lines = c.fs().read("/proc/net/tcp").decode().splitlines()[1:]
    return {int(line.split()[1].split(":")[1], 16) for line in lines if line.split()[3] == "0A"}


def undated(response: bytes) -> bytes:
    return re.sub(rb"Date: [^\r]*\r\n", b"", response)


async def test_httpd_serves_the_containers_files_and_shows_in_proc_net_tcp():
    e, c = started("sh", "-c", f"{SITE} && exec httpd -f -p 80 -h /www")
    await until(lambda: c.net.listening(80), "httpd never listened")
    assert proc_tcp_ports(c) == {80}
    body = await exchange(c.net.connect(80), REQUESTS[0])
    assert body.startswith(b"HTTP/1.1 200 OK\r\n") and body.endswith(b"\r\n\r\nhello\n")
    assert b"Content-type: text/plain\r\n" in body and b"Content-Length: 6\r\n" in body
    missing = await exchange(c.net.connect(80), REQUESTS[1])
    assert missing.startswith(b"HTTP/1.1 404 Not Found\r\n") and b"The requested URL was not found" in missing
    await e.stop_container(c.id, timeout=0)
    assert c.exit_code == 137  # PID 1 ignores SIGTERM: stop kills
    assert proc_tcp_ports(c) == set() and c.net.connect(80) is None


@pytest.mark.skipif(not os.path.exists("/bin/busybox"), reason="no /bin/busybox on the host to compare with")
async def test_httpd_answers_as_busybox_httpd_on_the_host(tmp_path):
    e, c = started("sh", "-c", f"{SITE} && exec httpd -f -p 80 -h /www")
    await until(lambda: c.net.listening(80), "httpd never listened")
    # The same site on the host, with the container's mtimes (they are in Last-Modified and the ETag).
    for path, node in c.fs().root.walk("/www"):
        host = tmp_path / path.lstrip("/")
        if node.kind == "dir":
            host.mkdir(parents=True, exist_ok=True)
        else:
            host.parent.mkdir(parents=True, exist_ok=True)
            host.write_bytes(node.data)
            os.utime(host, (node.mtime, node.mtime))
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    real = subprocess.Popen(["/bin/busybox", "httpd", "-f", "-p", f"127.0.0.1:{port}", "-h", str(tmp_path / "www")])
    try:
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", port)).close()
                break
            except ConnectionRefusedError:
                time.sleep(0.02)
        for request in REQUESTS:
            with socket.create_connection(("127.0.0.1", port)) as s:
                s.sendall(request)
                expected = b"".join(iter(lambda: s.recv(65536), b""))
            assert undated(await exchange(c.net.connect(80), request)) == undated(expected), request
    finally:
        real.terminate()
        real.wait()


async def test_httpd_without_f_daemonizes_and_keeps_serving():
    e, c = started("sh", "-c", f"{SITE} && httpd -p 8080 -h /www && echo started && sleep 100")
    await until(lambda: "started" in output(c), "httpd did not return")
    assert c.status == "running" and proc_tcp_ports(c) == {8080}
    assert (await exchange(c.net.connect(8080), REQUESTS[0])).endswith(b"hello\n")
    await e.stop_container(c.id, timeout=0)
    assert c.net.sockets == {}


async def test_a_port_in_use_is_binds_error():
    e, c = started("sh", "-c", "httpd -p 80; httpd -f -p 80; echo status=$?; nc -l -p 80; echo status=$?")
    await until(lambda: output(c).count("status=") == 2, "the second binds did not fail")
    assert output(c) == ("httpd: bind: Address already in use\nstatus=1\n"
                         "nc: bind: Address already in use\nstatus=1\n")


async def test_nc_listen_pipes_the_connection_to_stdin_and_stdout():
    e, c = started("sh", "-c", "echo from-server | nc -l -p 1234; echo nc=$?")
    await until(lambda: c.net.listening(1234), "nc never listened")
    assert proc_tcp_ports(c) == {1234}
    conn = c.net.connect(1234)
    # Without -k the socket closes once nc has accepted: a second client is refused.
    await until(lambda: not c.net.listening(1234), "nc kept listening")
    assert c.net.connect(1234) is None and proc_tcp_ports(c) == set()
    conn.write(b"from-client\n")
    assert await asyncio.wait_for(conn.readline(), 5) == b"from-server\n"
    await until(lambda: "from-client" in output(c), "nc did not print what the client sent")
    conn.close()  # the peer closes: nc exits 0
    await until(lambda: "nc=" in output(c), "nc did not end")
    assert output(c) == "from-client\nnc=0\n"


async def test_nc_lk_keeps_listening_for_the_next_connection():
    e, c = started("nc", "-lk", "-p", "7000")
    await until(lambda: c.net.listening(7000), "nc never listened")
    for word in (b"one\n", b"two\n"):
        conn = c.net.connect(7000)
        conn.write(word)
        conn.close()
        await until(lambda w=word: w.decode() in output(c), f"nc did not print {word!r}")
        await until(lambda: c.net.listening(7000), "nc stopped listening")
    assert output(c) == "one\ntwo\n" and c.status == "running"
    await e.stop_container(c.id, timeout=0)
    assert c.net.sockets == {}


@pytest.mark.parametrize(("argv", "text"), [
    (["nc", "-l", "-x"], "nc: invalid option -- 'x'\n"),
    (["nc", "-l", "-p"], "nc: option requires an argument -- 'p'\n"),
    (["nc", "-l", "-p", "99999"], "nc: bad port '99999'\n"),
    (["httpd", "-p", "abc"], "httpd: bad port 'abc'\n"),
])
async def test_bad_options_are_the_applets_errors(argv, text):
    e, c = started(*argv)
    await until(lambda: c.status == "exited", "the applet did not fail")
    assert c.exit_code == 1 and output(c).startswith(text)


@pytest.mark.skipif(not shutil.which("busybox"), reason="no busybox on the host")
def test_the_option_errors_are_busyboxs():
    for argv, text in ((["nc", "-l", "-x"], "nc: invalid option -- 'x'\n"),
                       (["nc", "-l", "-p"], "nc: option requires an argument -- 'p'\n")):
        done = subprocess.run(["busybox", *argv], capture_output=True, text=True, stdin=subprocess.DEVNULL)
        assert done.returncode == 1 and done.stderr.startswith(text)


async def test_httpd_v_logs_the_status_and_vv_the_url_too():
    e, c = started("sh", "-c", f"{SITE} && (httpd -f -v -p 80 -h /www &) && exec httpd -f -vv -p 81 -h /www")
    await until(lambda: c.net.listening(80) and c.net.listening(81), "httpd never listened")
    for port in (80, 81):
        await exchange(c.net.connect(port), REQUESTS[0])
        await exchange(c.net.connect(port), REQUESTS[1])
    lines = [re.sub(r"^127\.0\.0\.1:\d+: ", "", line) for line in output(c).splitlines()]
    assert lines == ["response:200", "response:404", "url:/a.txt", "response:200", "url:/nope", "response:404"]


async def test_alpines_busybox_has_nc_but_no_httpd():
    e = Engine(publish_ports="off")
    e.pull("alpine")
    c, _ = e.create_container({"Image": "alpine", "Cmd": ["sh"]}, "")
    assert c.fs().exists("/bin/nc") and not c.fs().exists("/bin/httpd")  # alpine ships httpd in busybox-extras


async def test_a_paused_httpd_accepts_but_answers_after_unpause():
    e, c = started("sh", "-c", f"{SITE} && exec httpd -f -p 80 -h /www")
    await until(lambda: c.net.listening(80), "httpd never listened")
    e.pause_container(c.id)
    conn = c.net.connect(80)
    conn.write(REQUESTS[0])
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(conn.read(), 0.2)  # frozen: the request waits unread
    e.unpause_container(c.id)
    assert (await exchange(conn, b"")).endswith(b"hello\n")
    await e.stop_container(c.id, timeout=0)
