"""A self-signed TLS certificate that a server makes for itself on its first start, so that a
port that needs TLS can be served before an operator has a real certificate.

The key and the certificate are made once, under an exclusive lock on a lock file beside them
(server processes that start together agree on one pair), written to temporary files,
flushed, and renamed into place: the key (mode 0600) first, then the certificate, so a crash
leaves either the whole old pair, or a key without a certificate, which the next start
replaces. Later starts reuse the pair, so a client that trusts the certificate (or pins its
fingerprint) keeps trusting the server; a new pair is made only when the certificate has
expired or does not name a host it must now answer for.

``cryptography`` is imported by the functions that read or make a pair, not with the module:
``weighthouse serve`` checks its pair in a forked child (see
:func:`weighthouse.cli.commands.serve.prepare_grpc_certificate`), so that the server's
processes do not carry it (8 MB each) unless something else needs it.
"""

from __future__ import annotations

import contextlib
import datetime
import fcntl
import ipaddress
import os
import secrets
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cryptography import x509

VALID_DAYS = 3650
"""A server's own certificate is trusted by being handed out, not by expiry: ten years."""


class CertificateError(OSError):
    """The pair cannot be read, made or written; the message names the file."""


@dataclass(frozen=True)
class Certificate:
    cert_file: Path
    key_file: Path
    fingerprint: str
    """SHA-256 of the certificate (DER), as colon-separated hex pairs, as ``openssl`` prints."""
    created: bool
    """Made by this call, rather than reused."""


def ensure(cert_file: Path, key_file: Path, hosts: Iterable[str]) -> Certificate:
    """The certificate at ``cert_file`` and its key at ``key_file``, made first when either is
    missing, the certificate has expired, or its names do not cover ``hosts`` (host names or
    IP addresses). Raises :class:`CertificateError`."""
    names = sorted(set(hosts))
    folder = key_file.parent
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError as exc:
        raise CertificateError(f"cannot create {folder}: {exc.strerror}") from None
    with _locked(folder / f"{key_file.name}.lock"):
        existing = _usable(cert_file, key_file, names)
        if existing is not None:
            return Certificate(cert_file, key_file, fingerprint(existing), created=False)
        cert_pem, key_pem, cert = _make(names)
        # The key first: a certificate is never in place without the key that matches it.
        _write_atomically(key_file, key_pem, 0o600)
        _write_atomically(cert_file, cert_pem, 0o644)
        return Certificate(cert_file, key_file, fingerprint(cert), created=True)


def fingerprint(cert: x509.Certificate) -> str:
    from cryptography.hazmat.primitives import hashes

    return cert.fingerprint(hashes.SHA256()).hex(":").upper()


def _usable(cert_file: Path, key_file: Path, names: list[str]) -> x509.Certificate | None:
    """The certificate at ``cert_file`` if it and its key are there, match, are current and
    cover ``names``; ``None`` when a new pair is needed."""
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    try:
        cert = x509.load_pem_x509_certificate(cert_file.read_bytes())
        key = serialization.load_pem_private_key(key_file.read_bytes(), password=None)
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise CertificateError(
            f"cannot read the certificate {cert_file} or its key {key_file} ({exc}); "
            "remove both to have new ones made"
        ) from None
    if key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    ) != cert.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    ):
        raise CertificateError(
            f"the key {key_file} is not the key of {cert_file}; remove both to have new ones made"
        )
    now = datetime.datetime.now(datetime.UTC)
    if cert.not_valid_after_utc <= now:
        return None
    try:
        alternative = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return None
    covered = {str(n) for n in alternative.get_values_for_type(x509.DNSName)}
    covered |= {str(a) for a in alternative.get_values_for_type(x509.IPAddress)}
    if not set(map(_canonical, names)) <= covered:
        return None
    return cert


def _canonical(host: str) -> str:
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        return host.lower()


def _make(names: list[str]) -> tuple[bytes, bytes, x509.Certificate]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "weighthouse self-signed")])
    alternative: list[x509.GeneralName] = []
    for host in names:
        try:
            alternative.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            alternative.append(x509.DNSName(host.lower()))
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))  # clocks a little behind
        .not_valid_after(now + datetime.timedelta(days=VALID_DAYS))
        .add_extension(x509.SubjectAlternativeName(alternative), critical=False)
        # Its own CA: a client trusts it by being given this file as its root.
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return cert.public_bytes(serialization.Encoding.PEM), key_pem, cert


@contextlib.contextmanager
def _locked(lock_file: Path) -> Iterator[None]:
    try:
        fd = os.open(lock_file, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    except OSError as exc:
        raise CertificateError(f"cannot lock {lock_file}: {exc.strerror}") from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def _write_atomically(path: Path, data: bytes, mode: int) -> None:
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    try:
        # Created with its final mode: the key is never readable by others, not even briefly.
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, mode)
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        tmp.replace(path)
        directory = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise CertificateError(f"cannot write {path}: {exc.strerror}") from None
