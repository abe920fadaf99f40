"""The self-signed certificate a server makes for itself: made once, atomically, with a key
nobody else reads, reused after, and replaced only when it no longer serves."""

from __future__ import annotations

import datetime
import ipaddress
import threading
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from weighthouse.security import self_signed

pytestmark = pytest.mark.unit

HOSTS = {"localhost", "127.0.0.1", "::1", "hub.internal"}


def paths(tmp_path: Path) -> tuple[Path, Path]:
    return tmp_path / "secrets" / "cert.pem", tmp_path / "secrets" / "key.pem"


def names(cert_file: Path) -> set[str]:
    cert = x509.load_pem_x509_certificate(cert_file.read_bytes())
    alternative = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    return {str(n) for n in alternative.get_values_for_type(x509.DNSName)} | {
        str(a) for a in alternative.get_values_for_type(x509.IPAddress)
    }


def test_made_once_then_reused(tmp_path: Path) -> None:
    cert_file, key_file = paths(tmp_path)
    made = self_signed.ensure(cert_file, key_file, HOSTS)
    assert made.created and names(cert_file) == HOSTS
    assert (key_file.stat().st_mode & 0o777) == 0o600
    assert (key_file.parent.stat().st_mode & 0o077) == 0
    cert = x509.load_pem_x509_certificate(cert_file.read_bytes())
    assert made.fingerprint == cert.fingerprint(hashes.SHA256()).hex(":").upper()
    before = (cert_file.read_bytes(), key_file.read_bytes())
    again = self_signed.ensure(cert_file, key_file, {"localhost", "127.0.0.1"})
    assert not again.created and again.fingerprint == made.fingerprint
    assert (cert_file.read_bytes(), key_file.read_bytes()) == before
    # No temporary file is left beside them.
    assert sorted(p.name for p in key_file.parent.iterdir()) == [
        "cert.pem",
        "key.pem",
        "key.pem.lock",
    ]


def test_processes_starting_together_agree_on_one_pair(tmp_path: Path) -> None:
    cert_file, key_file = paths(tmp_path)
    found: list[str] = []

    def start() -> None:
        found.append(self_signed.ensure(cert_file, key_file, HOSTS).fingerprint)

    threads = [threading.Thread(target=start) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(found)) == 1 and len(found) == 8


def test_a_new_host_or_an_expired_certificate_gets_a_new_pair(tmp_path: Path) -> None:
    cert_file, key_file = paths(tmp_path)
    first = self_signed.ensure(cert_file, key_file, {"localhost"})
    wider = self_signed.ensure(cert_file, key_file, {"localhost", "10.0.0.7"})
    assert wider.created and wider.fingerprint != first.fingerprint
    assert "10.0.0.7" in names(cert_file)
    # An expired certificate of the same key.
    key = serialization.load_pem_private_key(key_file.read_bytes(), password=None)
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    subject = x509.Name([])
    past = datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=30)
    expired = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(past - datetime.timedelta(days=1))
        .not_valid_after(past)
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("10.0.0.7"))]
            ),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    cert_file.write_bytes(expired.public_bytes(serialization.Encoding.PEM))
    renewed = self_signed.ensure(cert_file, key_file, {"localhost"})
    assert renewed.created
    cert = x509.load_pem_x509_certificate(cert_file.read_bytes())
    assert cert.not_valid_after_utc > datetime.datetime.now(datetime.UTC)


def test_a_crash_between_the_two_files_leaves_a_pair_the_next_start_replaces(
    tmp_path: Path,
) -> None:
    cert_file, key_file = paths(tmp_path)
    self_signed.ensure(cert_file, key_file, HOSTS)
    cert_file.unlink()  # the key was renamed into place, the certificate never was
    made = self_signed.ensure(cert_file, key_file, HOSTS)
    assert made.created and cert_file.exists()


def test_a_key_that_is_not_the_certificates_is_refused_not_replaced(tmp_path: Path) -> None:
    cert_file, key_file = paths(tmp_path)
    self_signed.ensure(cert_file, key_file, HOSTS)
    other = ec.generate_private_key(ec.SECP256R1())
    foreign = other.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    key_file.write_bytes(foreign)
    with pytest.raises(self_signed.CertificateError, match="is not the key of"):
        self_signed.ensure(cert_file, key_file, HOSTS)
    key_file.write_bytes(b"garbage")
    with pytest.raises(self_signed.CertificateError, match="remove both"):
        self_signed.ensure(cert_file, key_file, HOSTS)
    assert key_file.read_bytes() == b"garbage"  # an operator's file is never overwritten


def test_an_unusable_folder_is_one_clear_error(tmp_path: Path) -> None:
    cert_file, key_file = paths(tmp_path)
    key_file.parent.write_bytes(b"a file where the folder should be")
    with pytest.raises(self_signed.CertificateError, match="cannot create"):
        self_signed.ensure(cert_file, key_file, HOSTS)
