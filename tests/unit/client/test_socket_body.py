"""Large downloads read straight from the socket: byte-exact, checked, and failing cleanly
when the connection breaks off or the disk fills; against a real HTTP server on loopback."""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import pytest

from weighthouse.client import ServerUnreachableError, WeighthouseClient, socket_body
from weighthouse.client.downloads import partial_path_for

pytestmark = pytest.mark.unit

URL = "/api/models/alice/bert/resolve/main/w.bin"
DATA = os.urandom(3 << 20)
SHA = hashlib.sha256(DATA).hexdigest()


class RawServer:
    """An HTTP/1.1 server on loopback that answers every GET with ``DATA``, keeps the
    connection open, and, with ``cut_at``, sends only that many body bytes and closes."""

    def __init__(self, cut_at: int | None = None, extra: str = "") -> None:
        self.cut_at = cut_at
        self.extra = extra
        self.connections = 0
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._answer, args=(conn,), daemon=True).start()

    def _answer(self, conn: socket.socket) -> None:
        # OSError: the client went away, as some of the tests make it.
        with conn, contextlib.suppress(OSError):
            self._converse(conn)

    def _converse(self, conn: socket.socket) -> None:
        pending = b""
        while True:
            while b"\r\n\r\n" not in pending:
                got = conn.recv(65536)
                if not got:
                    return
                pending += got
            _, _, pending = pending.partition(b"\r\n\r\n")
            head = (
                f"HTTP/1.1 200 OK\r\nContent-Length: {len(DATA)}\r\n"
                f"X-Content-SHA256: {SHA}\r\n{self.extra}\r\n"
            )
            conn.sendall(head.encode() + (DATA if self.cut_at is None else DATA[: self.cut_at]))
            if self.cut_at is not None:
                return

    def close(self) -> None:
        self.listener.close()


@pytest.fixture
def small_buffers(monkeypatch: pytest.MonkeyPatch) -> None:
    # Many buffers, few of them, reused many times over; any body above 1 MiB goes direct.
    monkeypatch.setattr(socket_body, "MIN_BYTES", 1 << 20)
    monkeypatch.setattr(socket_body, "BUFFER_BYTES", 100_003)
    monkeypatch.setattr(socket_body, "BUFFERS", 2)
    monkeypatch.setattr(socket_body, "WRITEBACK_BYTES", 300_007)


def _served(**options: object) -> Iterator[RawServer]:
    server = RawServer(**options)  # type: ignore[arg-type]
    yield server
    server.close()


@pytest.fixture
def server() -> Iterator[RawServer]:
    yield from _served()


def test_a_large_body_arrives_byte_exact_through_reused_buffers(
    server: RawServer, small_buffers: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    taken: list[int] = []
    real = socket_body.receive_body

    def receive(*args: Any, **kwargs: Any) -> None:
        taken.append(1)
        real(*args, **kwargs)

    monkeypatch.setattr("weighthouse.client.downloads.receive_body", receive)
    seen: list[int] = []
    dest = tmp_path / "w.bin"
    with WeighthouseClient(f"http://127.0.0.1:{server.port}", "tok") as client:
        client.download_url(URL, dest, on_bytes=seen.append)
        # The connection read past httpx is not reused; the next request gets a new one.
        client.download_url(URL, tmp_path / "again.bin")
    assert taken == [1, 1]
    assert dest.read_bytes() == DATA
    assert (tmp_path / "again.bin").read_bytes() == DATA
    assert sum(seen) == len(DATA)
    assert server.connections == 2


def test_small_bodies_keep_the_httpx_path_and_the_connection(
    server: RawServer, tmp_path: Path
) -> None:
    with WeighthouseClient(f"http://127.0.0.1:{server.port}", "tok") as client:
        client.download_url(URL, tmp_path / "one.bin")
        client.download_url(URL, tmp_path / "two.bin")
    assert (tmp_path / "two.bin").read_bytes() == DATA
    assert server.connections == 1


def test_a_connection_cut_mid_body_is_reported_and_resumable(
    small_buffers: None, tmp_path: Path
) -> None:
    cut = RawServer(cut_at=len(DATA) // 2 + 12_345)
    dest = tmp_path / "w.bin"
    try:
        client = WeighthouseClient(f"http://127.0.0.1:{cut.port}", "tok", timeout=5)
        with client, pytest.raises(ServerUnreachableError, match="broke off"):
            client.download_url(URL, dest, sha256=SHA, size=len(DATA))
    finally:
        cut.close()
    assert not dest.exists()
    part = partial_path_for(dest)
    kept = part.read_bytes() if part.exists() else b""
    assert DATA.startswith(kept)  # whatever was kept is a true prefix, for a resume


def test_a_full_disk_stops_the_download_with_its_error(
    server: RawServer, small_buffers: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    written = 0

    def write(fd: int, data: memoryview) -> int:
        nonlocal written
        if written > 1 << 20:
            raise OSError(errno.ENOSPC, "No space left on device")
        written += len(data)
        return os.write(fd, data)

    monkeypatch.setattr(socket_body, "os", SimpleNamespace(**{**vars(os), "write": write}))
    client = WeighthouseClient(f"http://127.0.0.1:{server.port}", "tok")
    with client, pytest.raises(OSError) as raised:
        client.download_url(URL, tmp_path / "w.bin")
    assert raised.value.errno == errno.ENOSPC
    assert not (tmp_path / "w.bin").exists()


def test_only_plain_identity_bodies_are_read_directly(small_buffers: None) -> None:
    gzip = RawServer(extra="Content-Encoding: gzip\r\n")
    try:
        client = httpx.Client()
        with client, client.stream("GET", f"http://127.0.0.1:{gzip.port}{URL}") as response:
            assert socket_body.direct_socket(response) is None
    finally:
        gzip.close()
    mocked = httpx.Client(
        transport=httpx.MockTransport(lambda r: httpx.Response(200, content=DATA))
    )
    with mocked, mocked.stream("GET", f"http://hub.test{URL}") as response:
        assert socket_body.direct_socket(response) is None
