"""mockd with --tls/--tlsverify: certificates made here; the docker CLIs, docker-py, aiodocker, compose, raw TLS.

Refusals as the CLIs print them. Measured once against dockerd 20.10 (Debian, Go 1.19) started here with
``--tlsverify`` on a loopback port and the same kind of certificates (CLI 28.2 first, CLI 20.10 asks /v1.24/):

- no client certificate, and a client certificate from another CA:
  ``the server probably has client authentication (--tlsverify) enabled; check your TLS client certification
  settings: Get "https://127.0.0.1:PORT/v1.50/version": remote error: tls: bad certificate``
- plain HTTP: ``Error response from daemon: Client sent an HTTP request to an HTTPS server.``
- the commands of ``test_cli_daily_commands_over_tls`` (run, run -i, exec -i, attach with and without stdin,
  start -ai), both CLIs: the same output and exit codes as from mockd.
- a client that does not trust the server's CA: ``error during connect: Get "https://...": tls: failed to verify
  certificate: x509: certificate signed by unknown authority`` (20.10: without "tls: failed to verify certificate: ")

The alert is what the daemon controls. Go 1.19 sent ``bad_certificate`` for both refusals; Go 1.26 sends
``certificate_required`` (TLS 1.3, no certificate) and ``unknown_ca`` (another CA), and so does OpenSSL, hence
mockd: the CLI prints "remote error: tls: certificate required" / "remote error: tls: unknown certificate
authority" (without the "probably has client authentication" hint, which the CLI adds for "bad certificate" only).
The rest of each message is the client's own.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import socket
import ssl
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from mockd import tls
from mockd.cli import Server, build_parser, config_from_args
from mockd.pytest_plugin import MockdServer
from mockd.tls_site import HTTP_ON_TLS_PORT
from tests.clients_support import CLIS, DockerCLI, cli_params
from tests.tlscerts import CertSet, make_certs


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass(frozen=True)
class Certs:
    good: CertSet
    other: CertSet  # another CA with its own server and client certificates
    no_cert: Path  # trusts the good CA, has no client certificate
    foreign: Path  # trusts the good CA, client certificate from the other CA


@pytest.fixture(scope="module")
def certs(tmp_path_factory) -> Certs:
    base = tmp_path_factory.mktemp("certs")
    good, other = make_certs(base / "good"), make_certs(base / "other", "other")
    no_cert, foreign = base / "no-cert", base / "foreign"
    for d in (no_cert, foreign):
        d.mkdir()
        (d / "ca.pem").write_bytes(good.ca.read_bytes())
    (foreign / "cert.pem").write_bytes(other.client_cert.read_bytes())
    (foreign / "key.pem").write_bytes(other.client_key.read_bytes())
    return Certs(good, other, no_cert, foreign)


def tls_flags(c: CertSet) -> list[str]:
    return ["--tlscacert", str(c.ca), "--tlscert", str(c.server_cert), "--tlskey", str(c.server_key)]


@dataclass
class TLSServer:
    server: MockdServer
    port: int


@pytest.fixture(scope="module")
def tls_server(certs) -> Iterator[TLSServer]:
    port = free_port()
    server = MockdServer(["-H", f"tcp://127.0.0.1:{port}", "--tlsverify", *tls_flags(certs.good)]).start()
    try:
        yield TLSServer(server, port)
    finally:
        server.stop()


@dataclass
class TLSDockerCLI(DockerCLI):
    port: int = 0
    cert_path: Path | None = None  # DOCKER_CERT_PATH with DOCKER_TLS_VERIFY=1; None: plain HTTP

    def env(self) -> dict[str, str]:
        env = super().env()
        env["DOCKER_HOST"] = f"tcp://127.0.0.1:{self.port}"
        if self.cert_path is not None:
            env["DOCKER_TLS_VERIFY"] = "1"
            env["DOCKER_CERT_PATH"] = str(self.cert_path)
        return env


@pytest.fixture(params=cli_params())
def cli(request, tls_server, certs):
    tls_server.server.reset()
    name = next(n for n, p in CLIS.items() if p == request.param)

    def make(cert_path: Path | None = certs.good.client_dir) -> TLSDockerCLI:
        return TLSDockerCLI(name, request.param, tls_server.server, port=tls_server.port, cert_path=cert_path)

    return make


# --------------------------------------------------------------------------------------------------------------
# Flags and defaults, as dockerd's


def tls_options(*argv: str) -> tls.TLSOptions | None:
    return config_from_args(build_parser().parse_args(list(argv))).tls


def test_flags_follow_dockerd(tmp_path, monkeypatch):
    monkeypatch.delenv("DOCKER_CERT_PATH", raising=False)
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path))
    assert tls_options() is None and tls_options("--tls=false") is None
    # --tls alone verifies clients (dockerd: TLSVerify defaults to TLS); --tlsverify=false still means TLS.
    assert tls_options("--tls").verify is True
    assert tls_options("--tlsverify").verify is True
    off = tls_options("--tlsverify=false")
    assert off is not None and off.verify is False
    assert tls_options("--tls", "--tlsverify=0").verify is False
    # Default files in $DOCKER_CONFIG (no $DOCKER_CERT_PATH); a missing default cert or key becomes "".
    opts = tls_options("--tlsverify")
    assert (opts.ca_file, opts.cert_file, opts.key_file) == (str(tmp_path / "ca.pem"), "", "")
    (tmp_path / "cert.pem").write_text("x")
    (tmp_path / "key.pem").write_text("x")
    opts = tls_options("--tls")
    assert (opts.cert_file, opts.key_file) == (str(tmp_path / "cert.pem"), str(tmp_path / "key.pem"))
    monkeypatch.setenv("DOCKER_CERT_PATH", str(tmp_path / "certs"))  # takes precedence over DOCKER_CONFIG
    assert tls_options("--tls").ca_file == str(tmp_path / "certs" / "ca.pem")
    assert tls_options("--tls", "--tlscacert", "/x/ca.pem").ca_file == "/x/ca.pem"
    # DOCKER_TLS_VERIFY is the client's: mockd ignores it (dockerd would turn TLS on).
    monkeypatch.setenv("DOCKER_TLS_VERIFY", "1")
    assert tls_options() is None
    with pytest.raises(SystemExit):
        build_parser().parse_args(["--tls=maybe"])


def test_listener_defaults_follow_dockerd():
    # No -H with TLS: tcp://localhost:2376. -H tcp://host without a port: 2375 even with TLS (measured on
    # dockerd 20.10: `dockerd --tlsverify -H tcp://127.0.0.1` listens on 127.0.0.1:2375).
    assert [li.url for li in Server(config_from_args(build_parser().parse_args(["--tls"]))).listeners] == [
        "tcp://localhost:2376"]
    args = build_parser().parse_args(["--tlsverify", "-H", "tcp://127.0.0.1"])
    assert [li.url for li in Server(config_from_args(args)).listeners] == ["tcp://127.0.0.1:2375"]
    assert Server(config_from_args(build_parser().parse_args([]))).listeners[0].kind == "unix"


def test_server_context_defaults(certs):
    ctx = tls.server_context(tls.TLSOptions(True, str(certs.good.ca), str(certs.good.server_cert),
                                            str(certs.good.server_key)))
    assert ctx.minimum_version == ssl.TLSVersion.TLSv1_2 and ctx.verify_mode == ssl.CERT_REQUIRED
    tls12 = {c["name"] for c in ctx.get_ciphers() if c["protocol"] == "TLSv1.2"}
    assert tls12 and all(n.startswith("ECDHE-") and ("GCM" in n or "CHACHA20" in n) for n in tls12), tls12
    assert ctx.get_ca_certs() and len(ctx.get_ca_certs()) == 1  # only --tlscacert, no system roots
    no_verify = tls.server_context(tls.TLSOptions(False, "/nonexistent/ca.pem", str(certs.good.server_cert),
                                                  str(certs.good.server_key)))
    assert no_verify.verify_mode == ssl.CERT_NONE  # --tlsverify=false: the CA is not even read


def test_unusable_certificates_give_go_connections_texts(certs, tmp_path):
    g = certs.good

    def error(ca: Path | str, cert: Path | str, key: Path | str) -> str:
        with pytest.raises(tls.TLSConfigError) as exc:
            tls.server_context(tls.TLSOptions(True, str(ca), str(cert), str(key)))
        return str(exc.value)

    assert error(g.ca, "", "") == ('invalid TLS configuration: could not load X509 key pair (cert: "", key: ""): '
                                   "open : no such file or directory")
    assert error(g.ca, g.server_cert, g.ca).startswith(
        f'invalid TLS configuration: error reading X509 key pair - make sure the key is not encrypted (cert: '
        f'"{g.server_cert}", key: "{g.ca}"): ')
    missing = tmp_path / "ca.pem"
    assert error(missing, g.server_cert, g.server_key) == (
        f'invalid TLS configuration: could not read CA certificate "{missing}": open {missing}: '
        "no such file or directory")
    assert error(g.server_key, g.server_cert, g.server_key) == (
        f'invalid TLS configuration: failed to append certificates from PEM file: "{g.server_key}"')
    # An encrypted key is refused (go-connections' text) instead of OpenSSL prompting on the terminal.
    from cryptography.hazmat.primitives import serialization
    key = serialization.load_pem_private_key(g.server_key.read_bytes(), None)
    encrypted = tmp_path / "enc.pem"
    encrypted.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                            serialization.BestAvailableEncryption(b"secret")))
    assert error(g.ca, g.server_cert, encrypted).endswith(
        "private key is encrypted; encrypted private keys are obsolete, and not supported")


def test_bad_certificates_exit_1_before_binding(tmp_path):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOCKER_")}
    env["DOCKER_CERT_PATH"] = str(tmp_path)  # empty: no ca.pem, cert.pem, key.pem
    proc = subprocess.run([sys.executable, "-m", "mockd.cli", "-H", f"tcp://127.0.0.1:{port}", "--tlsverify"],
                          capture_output=True, text=True, timeout=60, env=env)
    assert proc.returncode == 1, proc
    assert proc.stderr.strip() == ('mockd: invalid TLS configuration: could not load X509 key pair (cert: "", '
                                   'key: ""): open : no such file or directory')
    # As dockerd: refused even when only a unix socket would listen, and before that socket is created.
    sock = tmp_path / "d.sock"
    proc = subprocess.run([sys.executable, "-m", "mockd.cli", "-H", f"unix://{sock}", "--tls"],
                          capture_output=True, text=True, timeout=60, env=env)
    assert proc.returncode == 1 and "invalid TLS configuration" in proc.stderr and not sock.exists(), proc


def test_warning_beyond_loopback_without_tlsverify(certs, monkeypatch, caplog):
    assert tls.insecure_warnings("0.0.0.0", None) == tls.INSECURE_WARNINGS
    assert tls.insecure_warnings("::", tls.TLSOptions(False, "", "", "")) == tls.INSECURE_WARNINGS
    assert tls.insecure_warnings("0.0.0.0", tls.TLSOptions(True, "", "", "")) == ()
    for host in ("127.0.0.1", "::1", "localhost", "127.0.0.2"):
        assert tls.insecure_warnings(host, None) == ()  # plain TCP on loopback stays quiet
    assert tls.INSECURE_WARNINGS[0].startswith("Binding to IP address without --tlsverify is insecure")
    # The server logs them per listener, with dockerd's host= field. (A real bind beyond loopback is not made
    # in tests: the loopback check is what decides.)
    monkeypatch.setattr(tls, "is_loopback", lambda host: False)
    caplog.set_level(logging.WARNING, logger="mockd")
    port = free_port()
    with MockdServer(["-H", f"tcp://127.0.0.1:{port}", "--tls", "--tlsverify=false", *tls_flags(certs.good)]):
        pass
    warned = [r.getMessage() for r in caplog.records if r.name == "mockd"]
    assert warned == [f'{w} host="tcp://127.0.0.1:{port}"' for w in tls.INSECURE_WARNINGS]
    caplog.clear()
    with MockdServer(["-H", f"tcp://127.0.0.1:{free_port()}", "--tlsverify", *tls_flags(certs.good)]):
        pass
    assert [r for r in caplog.records if r.name == "mockd"] == []


# --------------------------------------------------------------------------------------------------------------
# The docker CLIs over TLS


def wait_for_attach(server: MockdServer, name: str) -> None:
    """Until the daemon has the container's attach event (the attach stream is subscribed by then)."""
    query = urllib.parse.quote(json.dumps({"event": ["attach"], "container": [name]}))
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        status, _, body = server.request("GET", f"/events?since=0&until={int(time.time())}&filters={query}")
        if status == 200 and body.strip():
            return
        time.sleep(0.05)
    raise TimeoutError(f"no attach event for {name}")


def test_cli_daily_commands_over_tls(cli):
    docker = cli()
    assert docker("version", "--format", "{{.Server.APIVersion}}").strip() == "1.56"
    assert docker("run", "--rm", "busybox", "echo", "hi") == "hi\n"
    # stdin, then the CLI's CloseWrite (a close_notify over TLS), then the output: nothing may be lost.
    assert docker("run", "-i", "--rm", "busybox", "cat", input="hi\n") == "hi\n"
    assert docker("run", "--rm", "-t", "busybox", "echo", "tty") == "tty\r\n"  # raw stream, no framing
    docker("run", "-d", "--name", "box", "busybox", "sleep", "100")
    assert docker("exec", "-i", "box", "cat", input="one\ntwo\n") == "one\ntwo\n"
    assert docker("exec", "box", "echo", "plain") == "plain\n"
    # docker attach without stdin half-closes right after the upgrade and then reads all the output: the
    # container prints only once the attach is in (its event seen) and the test has released it.
    docker("run", "-d", "--name", "later", "busybox", "sh", "-c",
           "while [ ! -e /go ]; do sleep 0.1; done; echo late; exit 3")
    attach = subprocess.Popen([docker.path, "attach", "later"], env=docker.env(), stdin=subprocess.DEVNULL,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        wait_for_attach(docker.server, "later")
        docker("exec", "later", "touch", "/go")
        out, err = attach.communicate(timeout=30)
    finally:
        attach.kill()
    assert (attach.returncode, out) == (3, b"late\n"), err
    # Attaching stdin: `create -i` sets StdinOnce, so the CLI's half-close ends the container's input and its
    # output still comes back, with `start -ai` and with `attach` to a started container alike.
    docker("create", "-i", "--name", "reader", "busybox", "sh", "-c", "read l; echo got $l")
    assert docker("start", "-ai", "reader", input="hi\n") == "got hi\n"
    docker("create", "-i", "--name", "reader2", "busybox", "sh", "-c", "read l; echo got $l; exit 4")
    docker("start", "reader2")
    proc = docker.run("attach", "reader2", input="there\n", check=False)
    assert (proc.returncode, proc.out) == (4, "got there\n")


def handshake_errors(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.getMessage().startswith("TLS handshake error from 127.0.0.1:")]


def test_cli_streams_megabytes_both_ways_over_tls(cli):
    # Flow control through the TLS layer in both directions, and the half-close after 4 MB of stdin.
    docker = cli()
    docker("run", "-d", "--name", "box", "busybox", "sleep", "100")
    data = b"".join(b"%07d %s\n" % (i, b"x" * 92) for i in range(40_000))
    proc = docker.run("exec", "-i", "box", "cat", input=data, timeout=60)
    assert proc.stdout == data
    assert docker("run", "--rm", "busybox", "seq", "1", "200000").splitlines()[-1] == "200000"


def test_cli_without_client_certificate_is_refused(cli, certs, caplog):
    caplog.set_level(logging.INFO, logger="mockd")
    proc = cli(certs.no_cert).run("version", "--format", "{{.Server.APIVersion}}", check=False)
    assert proc.returncode == 1
    assert "remote error: tls: certificate required" in proc.err, proc.err
    assert any(m.endswith(": PEER_DID_NOT_RETURN_A_CERTIFICATE") for m in handshake_errors(caplog)), caplog.text


def test_cli_with_certificate_from_another_ca_is_refused(cli, certs, caplog):
    caplog.set_level(logging.INFO, logger="mockd")
    proc = cli(certs.foreign).run("version", "--format", "{{.Server.APIVersion}}", check=False)
    assert proc.returncode == 1
    assert "remote error: tls: unknown certificate authority" in proc.err, proc.err
    assert any(m.endswith(": CERTIFICATE_VERIFY_FAILED") for m in handshake_errors(caplog)), caplog.text


def test_cli_that_does_not_trust_the_server_refuses_it(cli, certs):
    # The other CA's client directory: the CLI rejects mockd's certificate itself (Go's text, not mockd's).
    proc = cli(certs.other.client_dir).run("version", "--format", "{{.Server.APIVersion}}", check=False)
    assert proc.returncode == 1 and "x509: certificate signed by unknown authority" in proc.err, proc.err


def test_plain_http_to_the_tls_port(cli, tls_server, caplog):
    caplog.set_level(logging.INFO, logger="mockd")
    proc = cli(None).run("version", "--format", "{{.Server.APIVersion}}", check=False)
    assert proc.returncode == 1
    assert proc.err.strip().splitlines()[-1] == "Error response from daemon: Client sent an HTTP request to an HTTPS server."
    assert any(m.endswith(": client sent an HTTP request to an HTTPS server") for m in handshake_errors(caplog))
    with socket.create_connection(("127.0.0.1", tls_server.port), timeout=10) as conn:
        conn.sendall(b"GET /_ping HTTP/1.1\r\nHost: x\r\n\r\n")
        data = b""
        while chunk := conn.recv(4096):
            data += chunk
    assert data == HTTP_ON_TLS_PORT


def test_tlsverify_false_accepts_clients_without_certificates(certs):
    port = free_port()
    with MockdServer(["-H", f"tcp://127.0.0.1:{port}", "--tls", "--tlsverify=false", *tls_flags(certs.good)]) as s:
        docker = TLSDockerCLI("cli28", CLIS["cli28"], s, port=port, cert_path=certs.no_cert)
        if not os.path.exists(docker.path):
            pytest.skip(f"{docker.path} is not installed")
        assert docker("version", "--format", "{{.Server.APIVersion}}").strip() == "1.56"


# --------------------------------------------------------------------------------------------------------------
# Raw TLS: both ways of half-closing, TLS versions and ciphers


class RawTLSClient:
    """A TLS client over a blocking socket with memory BIOs, so that it can half-close either way."""

    def __init__(self, port: int, certs: CertSet, context: ssl.SSLContext | None = None) -> None:
        ctx = context or ssl.create_default_context(cafile=str(certs.ca))
        ctx.load_cert_chain(str(certs.client_cert), str(certs.client_key))
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.incoming, self.outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
        self.tls = ctx.wrap_bio(self.incoming, self.outgoing, server_hostname="localhost")
        while True:
            try:
                self.tls.do_handshake()
                break
            except ssl.SSLWantReadError:
                self._flush()
                self._fill()
        self._flush()

    def _flush(self) -> None:
        if data := self.outgoing.read():
            self.sock.sendall(data)

    def _fill(self) -> None:
        data = self.sock.recv(65536)
        if data:
            self.incoming.write(data)
        else:
            self.incoming.write_eof()

    def send(self, data: bytes) -> None:
        self.tls.write(data)
        self._flush()

    def close_notify(self) -> None:
        """What Go's tls.Conn.CloseWrite does: a close_notify alert, the socket stays open both ways."""
        try:
            self.tls.unwrap()
        except ssl.SSLWantReadError:
            pass
        self._flush()

    def fin(self) -> None:
        """A TCP half-close below TLS (no close_notify)."""
        self.sock.shutdown(socket.SHUT_WR)

    def read_some(self) -> bytes | None:
        """The next decrypted bytes; b"" at the server's close_notify, None at a bare TCP close."""
        while True:
            try:
                return self.tls.read(65536)
            except ssl.SSLWantReadError:
                self._fill()
            except ssl.SSLZeroReturnError:  # close_notify, after ours was sent
                return b""
            except ssl.SSLEOFError:
                return None

    def read_until(self, marker: bytes) -> bytes:
        data = b""
        while marker not in data:
            chunk = self.read_some()
            assert chunk, f"connection ended before {marker!r}: {data!r}"
            data += chunk
        return data

    def read_to_end(self) -> tuple[bytes, bool]:
        """Everything the server sends, and whether it ended with its close_notify (not a bare TCP close)."""
        data = b""
        while chunk := self.read_some():
            data += chunk
        return data, chunk is not None

    def close(self) -> None:
        self.sock.close()


def _exec_with_stdin(server: MockdServer) -> str:
    assert server.request("POST", "/images/create?fromImage=busybox&tag=latest")[0] == 200
    status, _, body = server.request("POST", "/containers/create", {"Image": "busybox", "Cmd": ["sleep", "100"]})
    assert status == 201, body
    cid = json.loads(body)["Id"]
    assert server.request("POST", f"/containers/{cid}/start")[0] == 204
    status, _, body = server.request("POST", f"/containers/{cid}/exec", {
        "AttachStdin": True, "AttachStdout": True, "AttachStderr": True, "Cmd": ["sh", "-c", "cat; echo done"]})
    assert status == 201, body
    return json.loads(body)["Id"]


@pytest.mark.parametrize("version", [ssl.TLSVersion.TLSv1_3, ssl.TLSVersion.TLSv1_2], ids=["tls1.3", "tls1.2"])
@pytest.mark.parametrize("half_close", ["close_notify", "fin", "close_notify+fin"])
def test_hijacked_exec_survives_either_half_close(tls_server, certs, half_close, version, caplog):
    caplog.set_level(logging.WARNING, logger="asyncio")
    server = tls_server.server
    server.reset()
    exec_id = _exec_with_stdin(server)
    body = b'{"Detach":false,"Tty":false}'
    context = ssl.create_default_context(cafile=str(certs.good.ca))
    context.maximum_version = version
    client = RawTLSClient(tls_server.port, certs.good, context)
    assert client.tls.version() == {ssl.TLSVersion.TLSv1_3: "TLSv1.3", ssl.TLSVersion.TLSv1_2: "TLSv1.2"}[version]
    try:
        client.send(b"POST /v1.44/exec/%s/start HTTP/1.1\r\nHost: docker\r\nContent-Type: application/json\r\n"
                    b"Connection: Upgrade\r\nUpgrade: tcp\r\nContent-Length: %d\r\n\r\n%s"
                    % (exec_id.encode(), len(body), body))
        # As clients do: stdin and the half-close only once the 101 is in (before it, a half-close ends the
        # request, over plain TCP as well).
        head, _, early = client.read_until(b"\r\n\r\n").partition(b"\r\n\r\n")
        client.send(b"in\n")
        if "close_notify" in half_close:
            client.close_notify()
        if "fin" in half_close:
            client.fin()
        data, clean = client.read_to_end()
    finally:
        client.close()
    stream = early + data
    assert head.startswith(b"HTTP/1.1 101 UPGRADED"), head
    assert stream == b"\x01\x00\x00\x00\x00\x00\x00\x03in\n" + b"\x01\x00\x00\x00\x00\x00\x00\x05done\n"
    assert clean  # ended with mockd's close_notify, after the peer's close_notify or FIN alike
    status, _, info = server.request("GET", f"/exec/{exec_id}/json")
    assert json.loads(info)["ExitCode"] == 0
    # asyncio's own SSL layer would have said "returning true from eof_received() has no effect when using ssl".
    assert [r.getMessage() for r in caplog.records if r.name == "asyncio"] == []


def test_tls_versions_and_ciphers_as_go_connections(tls_server, certs):
    ok = ssl.create_default_context(cafile=str(certs.good.ca))
    ok.maximum_version = ssl.TLSVersion.TLSv1_2
    client = RawTLSClient(tls_server.port, certs.good, ok)
    try:
        assert client.tls.version() == "TLSv1.2" and client.tls.cipher()[0] == "ECDHE-ECDSA-AES256-GCM-SHA384"
    finally:
        client.close()
    cbc = ssl.create_default_context(cafile=str(certs.good.ca))
    cbc.maximum_version = ssl.TLSVersion.TLSv1_2
    cbc.set_ciphers("ECDHE-ECDSA-AES128-SHA")  # a CBC suite Go's defaults leave out
    with pytest.raises(ssl.SSLError, match="HANDSHAKE_FAILURE|handshake failure"):
        RawTLSClient(tls_server.port, certs.good, cbc)
    # The refused handshakes left mockd serving.
    assert tls_server.server.request("GET", "/_ping")[2] == b"OK"


# --------------------------------------------------------------------------------------------------------------
# docker-py and aiodocker


def test_docker_py_over_tls(tls_server, certs, monkeypatch):
    import docker

    # requests prefers these to the session's CA file (a requests behaviour, psf/requests#3829).
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    tls_server.server.reset()
    good = certs.good
    config = docker.tls.TLSConfig(client_cert=(str(good.client_cert), str(good.client_key)), ca_cert=str(good.ca),
                                  verify=True)
    client = docker.DockerClient(base_url=f"https://127.0.0.1:{tls_server.port}", tls=config)
    try:
        assert client.ping() is True and client.version()["ApiVersion"] == "1.56"
        assert client.containers.run("busybox", ["echo", "hi"], remove=True) == b"hi\n"
        box = client.containers.run("busybox", ["sleep", "100"], detach=True)
        assert box.exec_run(["echo", "in exec"]).output == b"in exec\n"
        # A hijacked exec with stdin over TLS: docker-py's socket is the TLS socket itself.
        exec_id = client.api.exec_create(box.id, ["sh", "-c", "read l; echo got $l"], stdin=True)["Id"]
        raw = client.api.exec_start(exec_id, socket=True)
        assert isinstance(raw, ssl.SSLSocket)
        raw.sendall(b"hi\n")
        data = b""
        while chunk := raw.recv(4096):
            data += chunk
        raw.close()
        assert data == b"\x01\x00\x00\x00\x00\x00\x00\x07got hi\n"
    finally:
        client.close()
    # Without a client certificate: refused during the version look-up docker-py makes on creation.
    with pytest.raises(docker.errors.DockerException, match="alert certificate required"):
        docker.DockerClient(base_url=f"https://127.0.0.1:{tls_server.port}",
                            tls=docker.tls.TLSConfig(ca_cert=str(good.ca), verify=True))
    foreign = (str(certs.foreign / "cert.pem"), str(certs.foreign / "key.pem"))
    with pytest.raises(docker.errors.DockerException, match="alert unknown ca"):
        docker.DockerClient(base_url=f"https://127.0.0.1:{tls_server.port}",
                            tls=docker.tls.TLSConfig(client_cert=foreign, ca_cert=str(good.ca), verify=True))


async def test_aiodocker_over_tls(tls_server, certs):
    aiodocker = pytest.importorskip("aiodocker")
    tls_server.server.reset()
    good = certs.good
    ctx = ssl.create_default_context(cafile=str(good.ca))
    ctx.load_cert_chain(str(good.client_cert), str(good.client_key))
    client = aiodocker.Docker(url=f"https://127.0.0.1:{tls_server.port}", ssl_context=ctx)
    try:
        assert (await client.version())["ApiVersion"] == "1.56"
        await client.images.pull("busybox:latest")
        c = await client.containers.run({"Image": "busybox", "Cmd": ["sh", "-c", "echo out"]})
        assert (await c.wait())["StatusCode"] == 0
        assert await c.log(stdout=True) == ["out\n"]
        box = await client.containers.run({"Image": "busybox", "Cmd": ["sleep", "100"]})
        ex = await box.exec(["sh", "-c", "read x; echo got $x"], stdin=True)
        async with ex.start(detach=False) as stream:
            await stream.write_in(b"value\n")
            frames = []
            while (msg := await stream.read_out()) is not None:
                frames.append((msg.stream, msg.data))
        assert frames == [(1, b"got value\n")]
    finally:
        await client.close()


COMPOSE = "/usr/bin/docker-compose"


@pytest.mark.slow
@pytest.mark.skipif(not os.path.exists(COMPOSE), reason=f"{COMPOSE} is not installed")
def test_docker_compose_over_tls(tls_server, certs, tmp_path):
    tls_server.server.reset()
    (tmp_path / "docker-compose.yml").write_text(
        'version: "3.7"\nservices:\n  web:\n    image: busybox\n    command: ["sh", "-c", "echo web up; sleep 1000"]\n')
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("DOCKER_") and k not in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")}
    env.update(DOCKER_HOST=f"tcp://127.0.0.1:{tls_server.port}", DOCKER_TLS_VERIFY="1",
               DOCKER_CERT_PATH=str(certs.good.client_dir), DOCKER_CONFIG=str(tmp_path / "config"))

    def compose(*args: str, input: bytes | None = None) -> str:
        proc = subprocess.run([COMPOSE, *args], cwd=tmp_path, env=env, capture_output=True, input=input, timeout=60)
        assert proc.returncode == 0, (args, proc.stdout, proc.stderr)
        return proc.stdout.decode()

    compose("up", "-d")  # pulls busybox first
    assert compose("exec", "-T", "web", "cat", input=b"through compose\n") == "through compose\n"  # hijacked, stdin
    assert compose("run", "--rm", "-T", "web", "echo", "from run") == "from run\n"
    compose("down")


def test_argparse_value_errors_read_like_go():
    with pytest.raises(argparse.ArgumentTypeError, match='invalid argument "yes": parse error'):
        tls.parse_go_bool("yes")
