"""TLS on TCP listeners, like dockerd's ``--tls``/``--tlsverify``/``--tlscacert``/``--tlscert``/``--tlskey``.

What dockerd does, and so mockd (moby ``daemon/command/options.go``, ``daemon.go``; docker/go-connections
``tlsconfig``; measured on dockerd 20.10):

- ``--tlsverify`` implies ``--tls``; ``--tls`` alone also verifies client certificates unless ``--tlsverify=false``
  is given. Verification requires a client certificate signed by the ``--tlscacert`` CA, and only by it (the
  system roots are not trusted for clients).
- Certificate files default to ``ca.pem``, ``cert.pem``, ``key.pem`` in ``$DOCKER_CERT_PATH``, else
  ``$DOCKER_CONFIG``, else ``~/.docker``. A default server certificate or key that does not exist becomes "" (and
  the load fails with go-connections' text for it).
- TLS 1.2 at least; for TLS 1.2 only ECDHE key exchange with AES-GCM or ChaCha20-Poly1305.
- Without ``-H``, TLS means ``tcp://localhost:2376``; ``-H tcp://host`` without a port is 2375 even with TLS
  (dockerd's ``ParseTCPAddr`` always defaults to 2375; only clients default to 2376 with TLS).
- Plain HTTP sent to a TLS port gets Go's ``400 Client sent an HTTP request to an HTTPS server.``.

Deliberate difference: dockerd also takes ``DOCKER_TLS_VERIFY`` from its environment as the default of
``--tlsverify``. mockd is usually started from the shell or CI job that configures the client under test, where
that variable is meant for the client, so mockd ignores it.

The TLS connections themselves (half-close for hijacked streams, refused handshakes, plain HTTP on the TLS
port): ``mockd.tls_site``.
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import os
import socket
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

DEFAULT_CA_FILE = "ca.pem"
DEFAULT_CERT_FILE = "cert.pem"
DEFAULT_KEY_FILE = "key.pem"
DEFAULT_TLS_HOST = "tcp://localhost:2376"
# Go's crypto/tls cipher suites kept by go-connections for TLS 1.2 (TLS 1.3 suites are not configurable there).
GO_TLS12_CIPHERS = "ECDHE+AESGCM:ECDHE+CHACHA20"
# dockerd's warnings for a TCP listener without client verification (logged with host=...).
INSECURE_WARNINGS = (
    "Binding to IP address without --tlsverify is insecure and gives root access on this machine to everyone "
    "who has access to your network.",
    "Binding to an IP address, even on localhost, can also give access to scripts run in a browser. Be safe out there!",
)


class TLSConfigError(Exception):
    """Certificates that cannot be used: go-connections' texts, behind dockerd's "invalid TLS configuration: "."""


@dataclass(frozen=True)
class TLSOptions:
    verify: bool  # require client certificates signed by ca_file
    ca_file: str
    cert_file: str
    key_file: str


def default_cert_dir(environ: Mapping[str, str]) -> str:
    """dockerd's default certificate directory: $DOCKER_CERT_PATH, else $DOCKER_CONFIG, else ~/.docker.

    ``environ`` is the CLI's (only the CLI reads the environment)."""
    home = environ.get("HOME") or os.path.expanduser("~")
    return environ.get("DOCKER_CERT_PATH") or environ.get("DOCKER_CONFIG") or os.path.join(home, ".docker")


def parse_go_bool(text: str) -> bool:
    """A Go ``strconv.ParseBool`` value, as pflag takes for ``--tls=false``."""
    if text in ("1", "t", "T", "true", "TRUE", "True"):
        return True
    if text in ("0", "f", "F", "false", "FALSE", "False"):
        return False
    raise argparse.ArgumentTypeError(f'invalid argument "{text}": parse error')


def add_flags(parser: argparse.ArgumentParser) -> None:
    """dockerd's TLS flags. The booleans take an optional value (``--tlsverify=false``), as Go's flags do."""
    group = parser.add_argument_group("TLS (TCP listeners)")
    group.add_argument("--tls", nargs="?", const=True, default=None, type=parse_go_bool, metavar="BOOL",
                       help="serve TCP listeners over TLS; implied by --tlsverify")
    group.add_argument("--tlsverify", nargs="?", const=True, default=None, type=parse_go_bool, metavar="BOOL",
                       help="TLS, and require client certificates signed by --tlscacert "
                            "(the default with --tls; --tlsverify=false turns it off)")
    group.add_argument("--tlscacert", metavar="FILE",
                       help=f"CA that client certificates must be signed by (default {DEFAULT_CA_FILE} in the "
                            "certificate directory: $DOCKER_CERT_PATH, $DOCKER_CONFIG or ~/.docker)")
    group.add_argument("--tlscert", metavar="FILE", help=f"server certificate (default {DEFAULT_CERT_FILE} there)")
    group.add_argument("--tlskey", metavar="FILE", help=f"server key (default {DEFAULT_KEY_FILE} there)")


def options_from_args(args: argparse.Namespace, directory: str) -> TLSOptions | None:
    """dockerd's rules: --tlsverify (even =false) turns TLS on; TLS verifies unless --tlsverify=false.

    ``directory`` holds the default files (:func:`default_cert_dir`)."""
    tls = bool(args.tls) or args.tlsverify is not None
    if not tls:
        return None
    cert, key = args.tlscert, args.tlskey
    # Defaults that do not exist become "" (dockerd does so; the load then fails with "open : ...").
    if cert is None:
        cert = os.path.join(directory, DEFAULT_CERT_FILE)
        cert = cert if os.path.exists(cert) else ""
    if key is None:
        key = os.path.join(directory, DEFAULT_KEY_FILE)
        key = key if os.path.exists(key) else ""
    ca = args.tlscacert if args.tlscacert is not None else os.path.join(directory, DEFAULT_CA_FILE)
    return TLSOptions(verify=args.tlsverify is not False, ca_file=ca, cert_file=cert, key_file=key)


def _q(text: str) -> str:
    return json.dumps(text)  # Go's %q for the file names in go-connections' messages


def _open_error(path: str, exc: OSError) -> str:
    """Go's os.Open error text: ``open PATH: no such file or directory``."""
    return f"open {path}: {(exc.strerror or str(exc)).lower()}"


class _EncryptedKey(Exception):
    pass


def _refuse_password() -> bytes:
    raise _EncryptedKey  # never prompt on the terminal as OpenSSL would; go-connections refuses such keys too


def server_context(opts: TLSOptions) -> ssl.SSLContext:
    """The listener's SSLContext (go-connections' ``tlsconfig.Server`` defaults); TLSConfigError when unusable."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.set_ciphers(GO_TLS12_CIPHERS)
    ctx.set_alpn_protocols(["http/1.1"])  # mockd speaks HTTP/1.1 only (moby after 29.1 also offers h2)
    pair = f"(cert: {_q(opts.cert_file)}, key: {_q(opts.key_file)})"
    for path in (opts.cert_file, opts.key_file):
        try:
            with open(path, "rb"):
                pass
        except OSError as exc:
            raise TLSConfigError(f"invalid TLS configuration: could not load X509 key pair {pair}: "
                                 f"{_open_error(path, exc)}") from None
    try:
        ctx.load_cert_chain(opts.cert_file, opts.key_file, password=_refuse_password)
    except _EncryptedKey:
        raise TLSConfigError(f"invalid TLS configuration: error reading X509 key pair - make sure the key is not "
                             f"encrypted {pair}: private key is encrypted; encrypted private keys are obsolete, "
                             "and not supported") from None
    except (ssl.SSLError, ValueError) as exc:
        raise TLSConfigError(f"invalid TLS configuration: error reading X509 key pair - make sure the key is not "
                             f"encrypted {pair}: {getattr(exc, 'reason', None) or exc}") from None
    if opts.verify:
        ctx.verify_mode = ssl.CERT_REQUIRED  # and only this CA: no system roots for client certificates
        try:
            pem = Path(opts.ca_file).read_text(errors="replace")
        except OSError as exc:
            raise TLSConfigError(f"invalid TLS configuration: could not read CA certificate {_q(opts.ca_file)}: "
                                 f"{_open_error(opts.ca_file, exc)}") from None
        try:
            ctx.load_verify_locations(cadata=pem)
        except (ssl.SSLError, ValueError):
            raise TLSConfigError("invalid TLS configuration: failed to append certificates from PEM file: "
                                 f"{_q(opts.ca_file)}") from None
    return ctx


def is_loopback(host: str) -> bool:
    """Whether a listener's host only reaches this machine (dockerd: "localhost", or loopback addresses)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except OSError:
        return False
    return bool(infos) and all(ipaddress.ip_address(info[4][0]).is_loopback for info in infos)


def insecure_warnings(host: str, opts: TLSOptions | None) -> tuple[str, ...]:
    """dockerd's warnings for a TCP listener reachable beyond this machine without client verification.

    dockerd logs them for loopback listeners too and then sleeps (1 s, 15 s beyond loopback) so that they are
    seen; mockd warns only beyond loopback and never delays its start (plain TCP on loopback is its CI default).
    """
    if (opts is not None and opts.verify) or is_loopback(host):
        return ()
    return INSECURE_WARNINGS
