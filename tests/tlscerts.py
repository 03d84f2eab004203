"""Certificates for the TLS tests: a CA, a server certificate for 127.0.0.1/localhost and a client certificate.

The layout is the one Docker's documentation uses: the client directory holds ``ca.pem``, ``cert.pem`` and
``key.pem`` (what ``DOCKER_CERT_PATH`` points at); the server files are ``server-cert.pem`` and
``server-key.pem`` next to the CA. ECDSA P-256 keys: quick to make, accepted by Go's TLS stack and OpenSSL.
"""

from __future__ import annotations

import datetime
import ipaddress
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


@dataclass(frozen=True)
class CertSet:
    """Files of one CA: ``ca`` (ca.pem), the server pair, and ``client_dir`` (ca.pem, cert.pem, key.pem)."""

    ca: Path
    server_cert: Path
    server_key: Path
    client_dir: Path

    @property
    def client_cert(self) -> Path:
        return self.client_dir / "cert.pem"

    @property
    def client_key(self) -> Path:
        return self.client_dir / "key.pem"


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _write_key(key: ec.EllipticCurvePrivateKey, path: Path) -> None:
    path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))
    path.chmod(0o600)


def _write_cert(cert: x509.Certificate, path: Path) -> None:
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))


def _issue(subject: str, key: ec.EllipticCurvePrivateKey, issuer: x509.Certificate | None,
           issuer_key: ec.EllipticCurvePrivateKey, extensions: list[tuple[x509.ExtensionType, bool]]) -> x509.Certificate:
    now = datetime.datetime.now(datetime.UTC)
    builder = (x509.CertificateBuilder()
               .subject_name(_name(subject))
               .issuer_name(issuer.subject if issuer is not None else _name(subject))
               .public_key(key.public_key())
               .serial_number(x509.random_serial_number())
               .not_valid_before(now - datetime.timedelta(minutes=5))
               .not_valid_after(now + datetime.timedelta(days=2)))
    for ext, critical in extensions:
        builder = builder.add_extension(ext, critical=critical)
    return builder.sign(issuer_key, hashes.SHA256())


def make_certs(directory: Path, name: str = "mockd-test") -> CertSet:
    """A fresh CA under ``directory`` with a server certificate (SAN 127.0.0.1, ::1, localhost) and a client one."""
    directory.mkdir(parents=True, exist_ok=True)
    client_dir = directory / "client"
    client_dir.mkdir(exist_ok=True)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = _issue(f"{name} CA", ca_key, None, ca_key, [
        (x509.BasicConstraints(ca=True, path_length=None), True),
        (x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True, content_commitment=False,
                       key_encipherment=False, data_encipherment=False, key_agreement=False,
                       encipher_only=False, decipher_only=False), True),
    ])
    server_key = ec.generate_private_key(ec.SECP256R1())
    server = _issue("localhost", server_key, ca, ca_key, [
        (x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                                      x509.IPAddress(ipaddress.ip_address("::1"))]), False),
        (x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), False),
    ])
    client_key = ec.generate_private_key(ec.SECP256R1())
    client = _issue(f"{name} client", client_key, ca, ca_key, [
        (x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), False),
    ])
    certs = CertSet(ca=directory / "ca.pem", server_cert=directory / "server-cert.pem",
                    server_key=directory / "server-key.pem", client_dir=client_dir)
    _write_cert(ca, certs.ca)
    _write_cert(server, certs.server_cert)
    _write_key(server_key, certs.server_key)
    _write_cert(ca, client_dir / "ca.pem")
    _write_cert(client, certs.client_cert)
    _write_key(client_key, certs.client_key)
    return certs
