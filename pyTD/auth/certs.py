"""TLS for ``https://`` callback URLs: the user's certificate, or a self-signed one for localhost."""

from __future__ import annotations

import datetime
import ipaddress
import os
import ssl
from typing import Optional, Tuple

from pyTD.exceptions import ConfigurationError
from pyTD.private import tighten

CERT_FILE = "localhost-cert.pem"
KEY_FILE = "localhost-key.pem"
_VALID_DAYS = 825  # the longest lifetime browsers accept for a server certificate


def server_context(cert: Optional[str], key: Optional[str], config_dir: str) -> ssl.SSLContext:
    """Return a server-side SSL context for the callback server.

    Parameters
    ----------
    cert, key : str or None
        The user's PEM certificate and private key. When neither is given, a
        self-signed certificate for localhost is created once in
        ``config_dir`` and reused.
    config_dir : str
        Where the self-signed certificate lives.
    """
    if bool(cert) != bool(key):
        raise ConfigurationError("Give both ssl_cert and ssl_key (TD_SSL_CERT and TD_SSL_KEY), or neither")
    if not cert:
        cert, key = self_signed_certificate(config_dir)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    try:
        context.load_cert_chain(cert, key)
    except (OSError, ssl.SSLError) as exc:
        raise ConfigurationError(f"Cannot load the TLS certificate {cert} and key {key}: {exc}") from None
    return context


def self_signed_certificate(config_dir: str) -> Tuple[str, str]:
    """Return ``(cert_path, key_path)`` of the localhost certificate, creating it if needed.

    The certificate covers ``localhost``, ``127.0.0.1`` and ``::1``; the key
    file is readable by its owner only. Browsers warn about a self-signed
    certificate once; accept it to finish the login.
    """
    cert_path = os.path.join(config_dir, CERT_FILE)
    key_path = os.path.join(config_dir, KEY_FILE)
    if os.path.exists(cert_path) and os.path.exists(key_path) and not _expired(cert_path):
        tighten(key_path, "certificate key")
        return cert_path, key_path
    try:
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import NameOID
    except ImportError:
        raise ConfigurationError(
            "An https callback URL needs a certificate: pip install cryptography, "
            "or pass ssl_cert= and ssl_key= (TD_SSL_CERT, TD_SSL_KEY)"
        ) from None
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=_VALID_DAYS))
        .add_extension(x509.SubjectAlternativeName([
            x509.DNSName("localhost"),
            x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
            x509.IPAddress(ipaddress.ip_address("::1")),
        ]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    os.makedirs(config_dir, mode=0o700, exist_ok=True)
    _write_private(key_path, key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ), 0o600)
    _write_private(cert_path, cert.public_bytes(serialization.Encoding.PEM), 0o644)
    return cert_path, key_path


def _expired(cert_path: str) -> bool:
    """True if the certificate is unreadable or expires within a day."""
    try:
        from cryptography import x509
    except ImportError:
        return False  # cannot check, and cannot make a new one either: use it
    try:
        with open(cert_path, "rb") as f:
            cert = x509.load_pem_x509_certificate(f.read())
    except (OSError, ValueError):
        return True
    soon = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=1)
    return cert.not_valid_after_utc < soon


def _write_private(path: str, data: bytes, mode: int) -> None:
    # Created with its final mode, then renamed in place: never briefly world-readable.
    tmp = f"{path}.{os.getpid()}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
