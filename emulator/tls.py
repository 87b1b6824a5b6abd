"""A certificate authority of one run, so handlers can call ``https://{domainName}/{stage}``.

AWS's examples build the `@connections` client from the event, for instance
``boto3.client("apigatewaymanagementapi", endpoint_url=f"https://{domain}/{stage}")``.
The emulator's port answers TLS as well as plain HTTP (it looks at the first byte), with
a server certificate for ``localhost``, ``127.0.0.1``, ``::1`` and the bound host,
signed by a CA created for this run alone; handlers trust it through botocore's
``AWS_CA_BUNDLE``. Nothing is written outside the run's temporary directory, and the
CA's key never leaves this process.
"""

from __future__ import annotations

import datetime
import ipaddress
import ssl
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class RunCertificates:
    """The CA bundle handlers trust, and the server context the emulator serves TLS with."""

    ca_bundle: Path
    context: ssl.SSLContext


def _names(host: str) -> list[str]:
    names = ["localhost", "127.0.0.1", "::1"]
    if host and host not in names and host not in ("0.0.0.0", "::"):
        names.append(host)
    return names


def create(directory: Path, host: str, *, trust_also: Path | None = None) -> RunCertificates:
    """A new CA and a server certificate for `host` (and loopback), valid for a day.
    ``directory/ca.pem`` holds the CA certificate followed by `trust_also` (a PEM bundle:
    botocore's default, or the ``AWS_CA_BUNDLE`` already set), so that pointing
    ``AWS_CA_BUNDLE`` at it still trusts every other endpoint."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = datetime.datetime.now(datetime.UTC)
    valid = (now - datetime.timedelta(minutes=5), now + datetime.timedelta(days=1))
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "emulator run CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(valid[0])
        .not_valid_after(valid[1])
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    alternatives: list[x509.GeneralName] = []
    for name in _names(host):
        try:
            alternatives.append(x509.IPAddress(ipaddress.ip_address(name)))
        except ValueError:
            alternatives.append(x509.DNSName(name))
    certificate = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(valid[0])
        .not_valid_after(valid[1])
        .add_extension(x509.SubjectAlternativeName(alternatives), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    directory.mkdir(parents=True, exist_ok=True)
    ca_bundle = directory / "ca.pem"
    others = trust_also.read_bytes() if trust_also is not None else b""
    ca_bundle.write_bytes(ca.public_bytes(serialization.Encoding.PEM) + b"\n" + others)
    chain = directory / "server.pem"
    chain.write_bytes(
        certificate.public_bytes(serialization.Encoding.PEM)
        + key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    chain.chmod(0o600)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(chain)
    return RunCertificates(ca_bundle=ca_bundle, context=context)


def default_bundle() -> Path | None:
    """The bundle botocore would trust without ``AWS_CA_BUNDLE`` (or the one set)."""
    import os

    configured = os.environ.get("AWS_CA_BUNDLE")
    if configured:
        return Path(configured)
    try:
        from botocore.httpsession import get_cert_path

        path = get_cert_path(True)
    except (ImportError, OSError, TypeError):  # pragma: no cover - another botocore
        return None
    return Path(path) if path else None
