"""``weighthouse serve`` with no gRPC settings: the gRPC port is on, over TLS with a certificate
the server made for itself, the same one after a restart; plaintext only when asked for on
loopback; a port that is taken is one clear error."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
from pathlib import Path

import grpc
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from grpc_health.v1 import health_pb2, health_pb2_grpc

from tests.acceptance.live import LiveServer

pytestmark = pytest.mark.acceptance

FINGERPRINT = re.compile(r"SHA-256 fingerprint ((?:[0-9A-F]{2}:){31}[0-9A-F]{2})")


def health(channel: grpc.Channel) -> int:
    stub = health_pb2_grpc.HealthStub(channel)
    return int(stub.Check(health_pb2.HealthCheckRequest(), timeout=10).status)


def tls_channel(server: LiveServer, cert: bytes, host: str = "localhost") -> grpc.Channel:
    credentials = grpc.ssl_channel_credentials(root_certificates=cert)
    return grpc.secure_channel(f"{host}:{server.grpc_port}", credentials)


def test_default_start_serves_tls_with_its_own_certificate_and_reuses_it(
    tmp_path: Path, server_workers: int
) -> None:
    server = LiveServer(data_dir=tmp_path / "data", workers=server_workers).start()
    try:
        cert_file = tmp_path / "data" / "secrets" / "grpc-cert.pem"
        key_file = cert_file.with_name("grpc-key.pem")
        cert = cert_file.read_bytes()
        assert (key_file.stat().st_mode & 0o777) == 0o600
        printed = FINGERPRINT.findall(server.log())
        expected = x509.load_pem_x509_certificate(cert).fingerprint(hashes.SHA256())
        assert printed == [expected.hex(":").upper()]
        assert str(cert_file) in server.log()
        for host in ("localhost", "127.0.0.1"):  # both are names of the certificate
            with tls_channel(server, cert, host) as channel:
                assert health(channel) == health_pb2.HealthCheckResponse.SERVING
        # A client that does not trust it, or speaks plaintext, gets nowhere.
        with grpc.insecure_channel(f"127.0.0.1:{server.grpc_port}") as plain:
            with pytest.raises(grpc.RpcError) as refused:
                health(plain)
            assert refused.value.code() == grpc.StatusCode.UNAVAILABLE
        with tls_channel(server, other_certificate(tmp_path)) as untrusting:
            with pytest.raises(grpc.RpcError) as untrusted:
                health(untrusting)
            assert untrusted.value.code() == grpc.StatusCode.UNAVAILABLE

        server.stop()
        server.start()
        assert cert_file.read_bytes() == cert
        assert FINGERPRINT.findall(server.log()) == printed * 2
        with tls_channel(server, cert) as channel:
            assert health(channel) == health_pb2.HealthCheckResponse.SERVING
    finally:
        server.stop()


def other_certificate(tmp_path: Path) -> bytes:
    from tests.acceptance.certificates import self_signed

    folder = tmp_path / "other-ca"
    folder.mkdir()
    return self_signed(folder)[0].read_bytes()


def serve(tmp_path: Path, workers: int, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """``serve`` that is expected to refuse at once."""
    live = LiveServer(data_dir=tmp_path / "data", workers=workers, extra_env=env)
    argv = [sys.executable, "-m", "weighthouse", "serve", "--port", str(live.port)]
    argv += ["--workers", str(workers), "--log-level", "warning"]
    return subprocess.run(argv, env=live.env, capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("workers", [1, 2])
def test_a_taken_port_is_one_clear_error(tmp_path: Path, workers: int) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = serve(tmp_path, workers, {"WEIGHTHOUSE_GRPC__PORT": str(port)})
    assert result.returncode == 1, result.stderr
    assert f"cannot listen for gRPC on 127.0.0.1:{port}" in result.stderr
    assert "WEIGHTHOUSE_GRPC__ENABLED=false" in result.stderr
    assert "Traceback" not in result.stderr


def test_plaintext_only_on_loopback_and_only_when_asked(
    tmp_path: Path, server_workers: int
) -> None:
    wide = {"WEIGHTHOUSE_GRPC__PLAINTEXT": "true", "WEIGHTHOUSE_GRPC__HOST": "0.0.0.0"}
    result = serve(tmp_path, 1, wide)
    assert result.returncode == 1
    assert "only allowed on a loopback address" in result.stderr
    assert "Traceback" not in result.stderr
    # Off: nothing listens, and no certificate is made.
    off = LiveServer(
        data_dir=tmp_path / "off",
        extra_env={"WEIGHTHOUSE_GRPC__ENABLED": "false"},
        workers=server_workers,
    ).start()
    try:
        with socket.socket() as probe:
            assert probe.connect_ex(("127.0.0.1", off.grpc_port)) != 0
        assert not (tmp_path / "off" / "secrets" / "grpc-cert.pem").exists()
    finally:
        off.stop()


def test_an_operators_certificate_is_used_as_given(tmp_path: Path, server_workers: int) -> None:
    from tests.acceptance.certificates import self_signed

    (tmp_path / "tls").mkdir()
    cert, key = self_signed(tmp_path / "tls")
    env = {"WEIGHTHOUSE_GRPC__TLS_CERT": str(cert), "WEIGHTHOUSE_GRPC__TLS_KEY": str(key)}
    server = LiveServer(data_dir=tmp_path / "data", extra_env=env, workers=server_workers).start()
    try:
        with tls_channel(server, cert.read_bytes()) as channel:
            assert health(channel) == health_pb2.HealthCheckResponse.SERVING
        assert not (tmp_path / "data" / "secrets" / "grpc-cert.pem").exists()
        assert FINGERPRINT.search(server.log()) is None
    finally:
        server.stop()
