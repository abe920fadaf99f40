"""The S3 port's socket: workers share it, other servers never do."""

from __future__ import annotations

import socket

import pytest

from weighthouse.config import S3Settings, ServerSettings, Settings
from weighthouse.s3_listener import hold

pytestmark = pytest.mark.unit


def settings(port: int) -> Settings:
    return Settings(server=ServerSettings(host="127.0.0.1"), s3=S3Settings(port=port))


def test_a_port_another_server_shares_out_is_refused() -> None:
    # Another server of the same user, holding the port for its own workers.
    with socket.socket() as other:
        other.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        other.bind(("127.0.0.1", 0))
        other.listen()
        port = other.getsockname()[1]
        with pytest.raises(OSError):
            hold(settings(port)).close()


def test_a_free_port_is_held_for_the_workers_to_bind_beside() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    held = hold(settings(port))
    try:
        with socket.socket() as worker:
            worker.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
            worker.bind(("127.0.0.1", port))
    finally:
        held.close()
