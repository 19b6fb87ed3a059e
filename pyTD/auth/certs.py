"""TLS for ``https://`` callback URLs: the user's certificate, or a self-signed one for localhost."""

from __future__ import annotations

import datetime
import ipaddress
import os
import ssl
from typing import Optional, Tuple

from pyTD.exceptions import ConfigurationError
from pyTD.private import PrivateDir, make_private_dirs

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

    Raises
    ------
    ConfigurationError
        If only one of ``cert`` and ``key`` is given, or they cannot be loaded.
    CacheError
        If the self-signed certificate cannot be kept safely in ``config_dir``.
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
    certificate once; accept it to finish the login. Both files are read and
    written like the token cache: never through a link, never from another
    user's file.
    """
    cert_path = os.path.join(config_dir, CERT_FILE)
    key_path = os.path.join(config_dir, KEY_FILE)
    try:
        make_private_dirs(config_dir)
    except OSError as exc:
        raise ConfigurationError(f"Cannot create the config directory {config_dir}: {exc.strerror}") from None
    with PrivateDir(config_dir) as directory:
        cert_pem = directory.read(CERT_FILE, "certificate", secret=False)
        if directory.read(KEY_FILE, "certificate key") is not None and cert_pem and not _expired(cert_pem):
            return cert_path, key_path
        key_pem, cert_pem = _new_certificate()
        directory.write(KEY_FILE, key_pem, "certificate key", 0o600)
        directory.write(CERT_FILE, cert_pem, "certificate", 0o644)
    return cert_path, key_path


def _new_certificate() -> Tuple[bytes, bytes]:
    """A new key and a self-signed certificate for localhost, both PEM."""
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
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    return key_pem, cert.public_bytes(serialization.Encoding.PEM)


def _expired(cert_pem: bytes) -> bool:
    """True if the certificate is unreadable or expires within a day."""
    try:
        from cryptography import x509
    except ImportError:
        return False  # cannot check, and cannot make a new one either: use it
    try:
        cert = x509.load_pem_x509_certificate(cert_pem)
    except ValueError:
        return True
    soon = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=1)
    return cert.not_valid_after_utc < soon
