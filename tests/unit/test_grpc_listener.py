"""The gRPC listener's settings: tokens never cross a network in the clear."""

from __future__ import annotations

from pathlib import Path

import pytest

from weighthouse.config import ConfigError, GrpcSettings, ServerSettings, Settings
from weighthouse.grpc_listener import check

pytestmark = pytest.mark.unit


def settings(host: str = "127.0.0.1", **grpc: object) -> Settings:
    return Settings(server=ServerSettings(host=host), grpc=GrpcSettings(enabled=True, **grpc))  # type: ignore[arg-type]


def test_tls_is_needed_unless_plaintext_is_chosen_on_loopback(tmp_path: Path) -> None:
    pair = {"tls_cert": tmp_path / "c.pem", "tls_key": tmp_path / "k.pem"}
    check(settings(host="0.0.0.0", **pair))
    for host in ("127.0.0.1", "::1", "localhost"):
        check(settings(host=host, plaintext=True))
    with pytest.raises(ConfigError, match="tls_cert"):
        check(settings())
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
