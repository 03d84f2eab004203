"""Exec and attach streams, detach keys, `top` and GroupAdd against a real dockerd 20.10 and against mockd at 1.41:
the same requests give the same bytes (issue 13: docker-py's ExecDemuxTest, test_exec_start_socket, the detach
tests, test_attach_no_stream, test_group_id_*, and every test that runs `top`).

The mockd-only tests below pin the same facts without root (the values are the ones dockerd gave)."""

from __future__ import annotations

import json
import socket
import time

import pytest

from mockd.engine.detach import EscapeProxy, inspect_value, to_bytes
from mockd.pytest_plugin import MockdServer
from tests.realdaemons import import_busybox, unix_http

SCRIPT = ["sh", "-c", "echo out; echo err >&2"]
DETACH_INPUT = [b"ab", b"\x10", b"x", b"\x10", b"\x11"]  # one read each, as docker-py's tests type them
EXEC_DETACH_MESSAGE = b"exec attach failed: error on attach stdin: read escape sequence\r\n"


class Daemon:
    def __init__(self, sock: str) -> None:
        self.sock = sock

    def call(self, method: str, path: str, body: object = None) -> tuple[int, object]:
        status, _, data = unix_http(self.sock, method, "/v1.41" + path,
                                    json.dumps(body).encode() if body is not None else None,
                                    headers={"Content-Type": "application/json"})
        try:
            return status, json.loads(data) if data else None
        except ValueError:
            return status, data

    def upgrade(self, path: str, body: object = None, sends: list[bytes] = (), close: bool = True) -> tuple[str, bytes]:
        """(Content-Type of the 101, the bytes after it until the daemon closes the connection)."""
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(20)
        s.connect(self.sock)
        data = json.dumps(body).encode() if body is not None else b""
        head = (f"POST /v1.41{path} HTTP/1.1\r\nHost: d\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n"
                + (f"Content-Type: application/json\r\nContent-Length: {len(data)}\r\n" if data else "") + "\r\n")
        s.sendall(head.encode() + data)
        got = b""
        while b"\r\n\r\n" not in got:
            chunk = s.recv(4096)
            assert chunk, got
            got += chunk
        headers, rest = got.split(b"\r\n\r\n", 1)
        for item in sends:
            s.sendall(item)
            time.sleep(0.3)  # separate reads on the daemon's side (detach keys count only alone in a read)
        if close and not sends:
            s.shutdown(socket.SHUT_WR)
        while chunk := s.recv(65536):
            rest += chunk
        s.close()
        media = next((line.split(": ", 1)[1] for line in headers.decode().split("\r\n")
                      if line.lower().startswith("content-type:")), "")
        return media, rest

    def run(self, body: dict) -> str:
        status, answer = self.call("POST", "/containers/create", {"Image": "busybox:latest", **body})
        assert status == 201, answer
        cid = answer["Id"]  # type: ignore[index]
        assert self.call("POST", f"/containers/{cid}/start")[0] == 204
        return cid

    def state(self, cid: str) -> dict:
        return self.call("GET", f"/containers/{cid}/json")[1]["State"]  # type: ignore[index]

    def logs(self, cid: str) -> bytes:
        status, _, data = unix_http(self.sock, "GET", f"/v1.41/containers/{cid}/logs?stdout=1&stderr=1")
        assert status == 200
        return data


def exec_streams(d: Daemon) -> dict:
    """Each (exec created with Tty, started with Tty): the media type and the bytes. The start's Tty frames."""
    cid = d.run({"Cmd": ["cat"], "OpenStdin": True})
    out = {}
    for create_tty in (False, True):
        for start_tty in (False, True):
            status, ex = d.call("POST", f"/containers/{cid}/exec", {"Cmd": SCRIPT, "AttachStdout": True,
                                                                    "AttachStderr": True, "Tty": create_tty})
            assert status == 201, ex
            media, data = d.upgrade(f"/exec/{ex['Id']}/start", {"Detach": False, "Tty": start_tty})  # type: ignore[index]
            # How a terminal's output splits into reads is timing (consecutive frames of one stream are merged), and
            # so is the order of stdout and stderr without a terminal (dockerd copies each in its own goroutine).
            frames = data if start_tty else _merged(data) if create_tty else sorted(_merged(data))
            out[f"create-tty={create_tty},start-tty={start_tty}"] = (media, frames)
    d.call("DELETE", f"/containers/{cid}?force=1")
    return out


def detach(d: Daemon) -> dict:
    out: dict[str, object] = {}
    for keys, typed in (("", DETACH_INPUT), ("ctrl-x", [b"ab", b"\x10", b"\x18"]), ("ctrl-p", [b"ab", b"\x10"])):
        cid = d.run({"Cmd": ["cat"], "OpenStdin": True, "Tty": True})
        query = f"&detachKeys={keys}" if keys else ""
        out[f"attach {keys or 'default'}"] = d.upgrade(f"/containers/{cid}/attach?stdin=1&stdout=1&stream=1{query}",
                                                       sends=typed)[1]
        out[f"attach {keys or 'default'} state"] = d.state(cid)["Status"]
        _, ex = d.call("POST", f"/containers/{cid}/exec", {"Cmd": ["cat"], "AttachStdin": True, "AttachStdout": True,
                                                          "Tty": True, **({"DetachKeys": keys} if keys else {})})
        out[f"exec {keys or 'default'}"] = d.upgrade(f"/exec/{ex['Id']}/start", {"Tty": True},  # type: ignore[index]
                                                     sends=typed)[1]
        info = d.call("GET", f"/exec/{ex['Id']}/json")[1]  # type: ignore[index]
        out[f"exec {keys or 'default'} inspect"] = {k: info[k] for k in ("Running", "ExitCode", "DetachKeys")}  # type: ignore[index]
        d.call("DELETE", f"/containers/{cid}?force=1")
    return out


def top_and_logs(d: Daemon) -> dict:
    out: dict[str, object] = {}
    for tty in (False, True):
        cid = d.run({"Cmd": ["top"], "Tty": tty})
        deadline = time.monotonic() + 20
        while not (logs := d.logs(cid)) and time.monotonic() < deadline:
            time.sleep(0.1)
        screen = logs if tty else b"".join(_frames(logs))
        first = screen.split(b"\x1b[H\x1b[J")[1] if b"\x1b[H\x1b[J" in screen else screen
        lines = first.split(b"\n")
        out[f"top tty={tty} starts"] = screen[:10]
        out[f"top tty={tty} header"] = lines[3]
        out[f"top tty={tty} line labels"] = [line.split(b":")[0] for line in lines[:3]]
        assert d.call("POST", f"/containers/{cid}/stop?t=10")[0] == 204
        out[f"top tty={tty} stopped"] = d.state(cid)["ExitCode"]  # 143: top's handler, not the SIGKILL's 137
        d.call("DELETE", f"/containers/{cid}?force=1")
    cid = d.run({"Cmd": ["echo", "hello"]})
    d.call("POST", f"/containers/{cid}/wait")
    out["attach logs no stream"] = d.upgrade(f"/containers/{cid}/attach?logs=1&stream=0&stdout=1&stderr=1")
    d.call("DELETE", f"/containers/{cid}")
    cid = d.run({"Cmd": ["id", "-G"], "HostConfig": {"GroupAdd": ["1000", "1001"]}})
    d.call("POST", f"/containers/{cid}/wait")
    out["id -G with GroupAdd"] = b"".join(_frames(d.logs(cid)))
    d.call("DELETE", f"/containers/{cid}")
    return out


def names(d: Daemon) -> dict:
    """busybox nslookup against the embedded DNS of a user network: a link alias, a network alias, a name it
    does not know (forwarded upstream, unreachable offline)."""
    assert d.call("POST", "/networks/create", {"Name": "dnsnet"})[0] == 201
    # As docker-py's test_create_with_links: the linking container first, the linked one after it.
    cid = d.run({"Cmd": ["cat"], "OpenStdin": True, "HostConfig": {"NetworkMode": "dnsnet"},
                 "NetworkingConfig": {"EndpointsConfig": {"dnsnet": {"Links": ["dns-upstream:bar"]}}}})
    status, answer = d.call("POST", "/containers/create?name=dns-upstream", {
        "Image": "busybox:latest", "Cmd": ["sleep", "60"], "HostConfig": {"NetworkMode": "dnsnet"},
        "NetworkingConfig": {"EndpointsConfig": {"dnsnet": {"Aliases": ["al1"]}}}})
    assert status == 201, answer
    up = answer["Id"]  # type: ignore[index]
    assert d.call("POST", f"/containers/{up}/start")[0] == 204
    ip = d.call("GET", f"/containers/{up}/json")[1]["NetworkSettings"]["Networks"]["dnsnet"]["IPAddress"]  # type: ignore[index]
    out = {}
    for asked in ("bar", "al1", "nosuch"):
        _, ex = d.call("POST", f"/containers/{cid}/exec", {"Cmd": ["busybox", "nslookup", asked],
                                                          "AttachStdout": True, "AttachStderr": True})
        _, data = d.upgrade(f"/exec/{ex['Id']}/start", {"Tty": False})  # type: ignore[index]
        text = b"".join(payload for _, payload in _merged(data)).decode().replace(ip, "IP")
        # The A and the AAAA answers come in the order the server sends them: the empty AAAA one last here.
        text = text.replace("Non-authoritative answer:\n\nNon-authoritative answer:\n", "Non-authoritative answer:\n")
        text = text.replace("\n\nNon-authoritative answer:\n\n", "\n\n")
        out[asked] = (text, d.call("GET", f"/exec/{ex['Id']}/json")[1]["ExitCode"])  # type: ignore[index]
    for c in (cid, up):
        d.call("DELETE", f"/containers/{c}?force=1")
    d.call("DELETE", "/networks/dnsnet")
    return out


def _merged(data: bytes) -> list[tuple[int, bytes]]:
    """The frames of a multiplexed stream, consecutive frames of one stream joined."""
    out: list[tuple[int, bytes]] = []
    pos = 0
    while pos + 8 <= len(data):
        stream, size = data[pos], int.from_bytes(data[pos + 4:pos + 8], "big")
        payload = data[pos + 8:pos + 8 + size]
        if out and out[-1][0] == stream:
            out[-1] = (stream, out[-1][1] + payload)
        else:
            out.append((stream, payload))
        pos += 8 + size
    assert pos == len(data), data
    return out


def _frames(data: bytes) -> list[bytes]:
    out, pos = [], 0
    while pos + 8 <= len(data):
        size = int.from_bytes(data[pos + 4:pos + 8], "big")
        out.append(data[pos + 8:pos + 8 + size])
        pos += 8 + size
    return out


SCENARIOS = [exec_streams, detach, top_and_logs, names]


@pytest.mark.realdaemon
@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.__name__ for s in SCENARIOS])
def test_streams_match_dockerd(real_dockerd, scenario):
    import_busybox(real_dockerd.socket)
    real = scenario(Daemon(real_dockerd.socket))
    with MockdServer(["--api-version", "1.41"]) as mock:
        import_busybox(mock.socket)
        fake = scenario(Daemon(mock.socket))
    assert fake == real
    assert real == EXPECTED[scenario.__name__]  # what dockerd said, so a change on either side shows


# What dockerd 20.10 answered to each scenario (the mockd-only test checks mockd against the same values).
FOUND = "Server:\t\t127.0.0.11\nAddress:\t127.0.0.11:53\n\nNon-authoritative answer:\n"
EXPECTED: dict[str, dict] = {
    "names": {
        "bar": (FOUND + "Name:\tbar\nAddress: IP\n\n", 0),
        "al1": (FOUND + "Name:\tal1\nAddress: IP\n\n", 0),
        "nosuch": (";; connection timed out; no servers could be reached\n\n", 1),
    },
    "exec_streams": {
        "create-tty=False,start-tty=False": ("application/vnd.docker.raw-stream", [(1, b"out\n"), (2, b"err\n")]),
        # Started with a TTY, an exec created without one loses its stderr (dockerd has no writer for it).
        "create-tty=False,start-tty=True": ("application/vnd.docker.raw-stream", b"out\n"),
        # Created with a TTY, started without: the terminal's output, in stdout frames.
        "create-tty=True,start-tty=False": ("application/vnd.docker.raw-stream", [(1, b"out\r\nerr\r\n")]),
        "create-tty=True,start-tty=True": ("application/vnd.docker.raw-stream", b"out\r\nerr\r\n"),
    },
    "detach": {
        "attach default": b"ab^Px", "attach default state": "running",
        "exec default": b"ab^Px" + EXEC_DETACH_MESSAGE,
        "exec default inspect": {"Running": False, "ExitCode": 126, "DetachKeys": ""},
        "attach ctrl-x": b"ab^P", "attach ctrl-x state": "running",
        "exec ctrl-x": b"ab^P" + EXEC_DETACH_MESSAGE,
        "exec ctrl-x inspect": {"Running": False, "ExitCode": 126, "DetachKeys": "GA=="},
        "attach ctrl-p": b"ab", "attach ctrl-p state": "running",
        "exec ctrl-p": b"ab" + EXEC_DETACH_MESSAGE,
        "exec ctrl-p inspect": {"Running": False, "ExitCode": 126, "DetachKeys": "EA=="},
    },
    "top_and_logs": {
        "top tty=False starts": b"\x1b[H\x1b[JMem:",
        "top tty=False header": b"\x1b[7m  PID  PPID USER     STAT   VSZ %VSZ %CPU COMMAND\x1b[m",
        "top tty=False line labels": [b"Mem", b"CPU", b"Load average"],
        "top tty=False stopped": 143,
        "top tty=True starts": b"\x1b[H\x1b[JMem:",
        "top tty=True header": b"\x1b[7m  PID  PPID USER     STAT   VSZ %VSZ %CPU COMMAND\x1b[m\r",
        "top tty=True line labels": [b"Mem", b"CPU", b"Load average"],
        "top tty=True stopped": 143,
        "attach logs no stream": ("application/vnd.docker.raw-stream", b"\x01\x00\x00\x00\x00\x00\x00\x06hello\n"),
        "id -G with GroupAdd": b"0 1000 1001\n",
    },
}


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.__name__ for s in SCENARIOS])
def test_streams_as_dockerd_gives_them(scenario):
    with MockdServer(["--api-version", "1.41"]) as mock:
        import_busybox(mock.socket)
        assert scenario(Daemon(mock.socket)) == EXPECTED[scenario.__name__]


@pytest.mark.parametrize(("text", "keys"), [("ctrl-p,ctrl-q", b"\x10\x11"), ("ctrl-@", b"\x00"), ("a,b", b"ab"),
                                            ("ctrl-_", b"\x1f"), ("DEL", b"\x7f"), ("ctrl-[", b"\x1b")])
def test_detach_keys_parse_as_moby_term(text, keys):
    assert to_bytes(text) == keys
    assert inspect_value(keys) == __import__("base64").b64encode(keys).decode()


@pytest.mark.parametrize("text", ["ctrl-1", "ctrl-", "ab", "ctrl-ab", ""])
def test_unknown_detach_keys_are_refused(text):
    with pytest.raises(ValueError, match="Unknown character"):
        to_bytes(text)


@pytest.mark.parametrize(("reads", "passed", "detached"), [
    ([b"\x10", b"\x11"], b"", True),
    ([b"\x10\x11"], b"\x10\x11", False),  # keys inside one read are text
    ([b"\x10", b"x", b"\x10", b"\x11"], b"\x10x", True),  # a broken sequence is passed on with the byte that broke it
    ([b"\x10", b"ab"], b"\x10ab", False),
    ([b"a", b"\x11"], b"a\x11", False),
])
def test_escape_proxy_reads(reads, passed, detached):
    proxy = EscapeProxy()
    got, done = b"", False
    for data in reads:
        out, done = proxy.feed(data)
        got += out
        if done:
            break
    assert (got, done) == (passed, detached)
