"""The gRPC listener's settings: tokens never cross a network in the clear, and the port
serves TLS with no certificate given."""

from __future__ import annotations

from pathlib import Path

import pytest

from weighthouse.config import ConfigError, GrpcSettings, ServerSettings, Settings
from weighthouse.grpc_listener import certificate, certificate_hosts, check, is_plaintext

pytestmark = pytest.mark.unit


def settings(host: str = "127.0.0.1", **grpc: object) -> Settings:
    return Settings(server=ServerSettings(host=host), grpc=GrpcSettings(enabled=True, **grpc))  # type: ignore[arg-type]


def test_plaintext_only_when_chosen_on_loopback(tmp_path: Path) -> None:
    pair = {"tls_cert": tmp_path / "c.pem", "tls_key": tmp_path / "k.pem"}
    check(settings(host="0.0.0.0", **pair))
    # A given certificate wins over plaintext, wherever the port is.
    check(settings(host="0.0.0.0", plaintext=True, **pair))
    assert not is_plaintext(settings(host="0.0.0.0", plaintext=True, **pair))
    for host in ("127.0.0.1", "::1", "localhost"):
        check(settings(host=host, plaintext=True))
        assert is_plaintext(settings(host=host, plaintext=True))
    # Neither given: TLS with the server's own certificate, on any address.
    check(settings(host="0.0.0.0"))
    assert not is_plaintext(settings(host="0.0.0.0"))
    for host in ("0.0.0.0", "10.1.2.3", "example.org"):
        with pytest.raises(ConfigError, match="loopback"):
            check(settings(host=host, plaintext=True))
    # The gRPC port's own address counts, not the REST API's.
    wide = GrpcSettings(enabled=True, plaintext=True, host="0.0.0.0")
    with pytest.raises(ConfigError, match="loopback"):
        check(Settings(grpc=wide))


def test_a_certificate_needs_its_key_and_chunks_fit_in_a_message(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="together"):
        GrpcSettings(tls_cert=tmp_path / "c.pem")
    with pytest.raises(ValueError, match="chunk_bytes"):
        GrpcSettings(chunk_bytes=4 * 2**20, max_message_bytes=4 * 2**20)


def test_on_by_default_with_a_certificate_of_its_own(tmp_path: Path) -> None:
    assert Settings().grpc.enabled
    made = certificate(Settings(data_dir=tmp_path))
    assert made is not None and made.created
    assert made.cert_file == (tmp_path / "secrets" / "grpc-cert.pem").resolve()
    assert (made.key_file.stat().st_mode & 0o777) == 0o600
    again = certificate(Settings(data_dir=tmp_path))
    assert again is not None and not again.created and again.fingerprint == made.fingerprint
    # Plaintext asks for no certificate; a given one is used as it is, never replaced.
    assert certificate(Settings(data_dir=tmp_path, grpc=GrpcSettings(plaintext=True))) is None
    given = GrpcSettings(tls_cert=tmp_path / "c.pem", tls_key=tmp_path / "k.pem")
    chosen = certificate(Settings(data_dir=tmp_path / "other", grpc=given))
    assert chosen is not None and chosen.cert_file == tmp_path / "c.pem"
    assert not (tmp_path / "other").exists()


def test_a_wildcard_bind_names_this_host() -> None:
    assert certificate_hosts("10.1.2.3") == {"10.1.2.3", "localhost", "127.0.0.1", "::1"}
    assert "0.0.0.0" not in certificate_hosts("0.0.0.0")
    assert len(certificate_hosts("0.0.0.0")) == 4
