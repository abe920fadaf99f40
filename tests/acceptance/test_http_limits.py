"""The HTTP server's own limits against a live server, over raw sockets: oversized heads and
too many header fields get 431, slow heads 408, stalled bodies are cut off, and connections
beyond the cap get 503. Every socket has a timeout, so nothing here waits without bound.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.acceptance.live import LiveServer

HEADER_TIMEOUT = 1.0
BODY_IDLE_TIMEOUT = 2.0
WAIT = 20.0  # the longest any socket waits for the server; far above every timeout above


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, server_workers: int) -> Iterator[LiveServer]:
    live = LiveServer(
        data_dir=tmp_path_factory.mktemp("http-limits") / "data",
        workers=server_workers,
        extra_env={
            "WEIGHTHOUSE_SERVER__HEADER_TIMEOUT_SECONDS": str(HEADER_TIMEOUT),
            "WEIGHTHOUSE_SERVER__BODY_IDLE_TIMEOUT_SECONDS": str(BODY_IDLE_TIMEOUT),
        },
    ).start()
    yield live
    live.stop()


def connect(server: LiveServer) -> socket.socket:
    return socket.create_connection(("127.0.0.1", server.port), timeout=WAIT)


def read_until_closed(sock: socket.socket, answered: threading.Event | None = None) -> bytes:
    """Everything the server sends until it closes the connection; ``answered`` is set once
    the first bytes have been read."""
    received = b""
    with contextlib.suppress(ConnectionResetError):
        while chunk := sock.recv(65536):
            received += chunk
            if answered is not None:
                answered.set()
    return received


def status_of(response: bytes) -> int:
    assert response.startswith(b"HTTP/1.1 "), response[:200]
    return int(response.split(b" ", 2)[1])


# Past every head limit, and within what the server reads and drops after a refusal.
BEFORE_ANSWER = 256 * 1024


def send_in_background(
    sock: socket.socket, data: bytes, answered: threading.Event | None = None
) -> threading.Thread:
    """Send ``data`` while the test reads: the server answers before it has read it all.

    With ``answered``, the first :data:`BEFORE_ANSWER` bytes go at once and the rest only once
    the answer has been read. The server reads and drops a bounded amount after a refusal and
    then closes; bytes that still arrive make its kernel reset the connection, and a reset that
    reaches the client before the test has read the answer discards it (on a loaded machine
    the reading thread can be that late)."""

    def send() -> None:
        with contextlib.suppress(OSError):  # the server may close before the end; expected
            if answered is None:
                sock.sendall(data)
                return
            sock.sendall(data[:BEFORE_ANSWER])
            answered.wait(WAIT)
            sock.sendall(data[BEFORE_ANSWER:])

    thread = threading.Thread(target=send, daemon=True)
    thread.start()
    return thread


def refused(server: LiveServer, request: bytes) -> bytes:
    answered = threading.Event()
    with connect(server) as sock:
        sender = send_in_background(sock, request, answered)
        response = read_until_closed(sock, answered)
        sender.join(WAIT)
    return response


def test_a_32_mb_header_gets_431(server: LiveServer) -> None:
    request = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * (32 * 2**20) + b"\r\n\r\n"
    response = refused(server, request)
    assert status_of(response) == 431
    assert b'"headers_too_large"' in response
    assert httpx.get(f"{server.url}/healthz", timeout=WAIT).status_code == 200


def test_a_head_over_the_limit_that_arrives_whole_gets_431(server: LiveServer) -> None:
    fields = b"".join(b"X-F%d: %s\r\n" % (i, b"v" * 1000) for i in range(80))  # 80 KiB
    response = refused(server, b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + fields + b"\r\n")
    assert status_of(response) == 431


def test_100000_header_fields_get_431(server: LiveServer) -> None:
    fields = b"".join(b"X-%d: 1\r\n" % i for i in range(100_000))
    response = refused(server, b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + fields + b"\r\n")
    assert status_of(response) == 431
    assert b"too many header fields" in response


def test_an_ordinary_head_passes(server: LiveServer) -> None:
    headers = {f"X-Field-{i}": "v" * 100 for i in range(60)}
    assert httpx.get(f"{server.url}/healthz", headers=headers, timeout=WAIT).status_code == 200


def test_the_s3_port_has_the_same_limits_and_answers_in_s3_errors(server: LiveServer) -> None:
    with socket.create_connection(("127.0.0.1", server.s3_port), timeout=WAIT) as sock:
        request = b"GET /b/k HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * (32 * 2**20) + b"\r\n\r\n"
        answered = threading.Event()
        sender = send_in_background(sock, request, answered)
        response = read_until_closed(sock, answered)
        sender.join(WAIT)
    assert status_of(response) == 431
    assert b"<Code>RequestHeaderSectionTooLarge</Code>" in response
    assert b"content-type: application/xml" in response.lower()
    with socket.create_connection(("127.0.0.1", server.s3_port), timeout=WAIT) as sock:
        sock.sendall(b"GET /b/k HTTP/1.1\r\nHost: x\r\n")  # and nothing more
        response = read_until_closed(sock)
    assert status_of(response) == 408
    assert b"<Code>RequestTimeout</Code>" in response


def test_slowloris_is_answered_408_and_closed(server: LiveServer) -> None:
    with connect(server) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        # One more header byte at a time, for ever: only the head timeout ends this.
        sock.settimeout(HEADER_TIMEOUT / 4)
        response = b""
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            try:
                sock.sendall(b"X")
            except OSError:
                break
            try:
                chunk = sock.recv(65536)
            except TimeoutError:
                continue
            except ConnectionResetError:
                break
            if not chunk:
                break
            response += chunk
        else:
            pytest.fail("the server kept a slowloris connection open")
    assert status_of(response) == 408


def test_a_connection_that_never_asks_is_closed(server: LiveServer) -> None:
    with connect(server) as sock:
        assert read_until_closed(sock) == b""


def test_a_stalled_body_ends_the_request(server: LiveServer) -> None:
    with connect(server) as sock:
        sock.sendall(
            b"POST /api/signup HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b'Content-Length: 1000\r\n\r\n{"name": '
        )
        response = read_until_closed(sock)
    assert status_of(response) == 408


def test_a_slow_body_that_keeps_coming_is_not_cut(server: LiveServer) -> None:
    body = b'{"name": "", "password": "x"}'
    with connect(server) as sock:
        sock.sendall(
            b"POST /api/signup HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(body)
        )
        # Longer in total than the idle timeout, never idle for long.
        for byte in range(len(body)):
            sock.sendall(body[byte : byte + 1])
            time.sleep(BODY_IDLE_TIMEOUT * 1.5 / len(body))
        response = read_until_closed(sock)
    # The server read the whole body and answered it (an invalid name, not a timeout).
    assert status_of(response) == 400


def test_connections_beyond_the_cap_get_503(tmp_path: Path) -> None:
    cap = 8
    live = LiveServer(
        data_dir=tmp_path / "data",
        workers=1,  # the cap is per process
        extra_env={"WEIGHTHOUSE_SERVER__MAX_CONNECTIONS": str(cap)},
    ).start()
    try:
        held = [connect(live) for _ in range(cap)]
        try:
            # The accept loop may lag behind connect(); the cap holds once all are accepted.
            deadline = time.monotonic() + WAIT
            while True:
                with connect(live) as extra:
                    extra.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                    response = read_until_closed(extra)
                if status_of(response) == 503 or time.monotonic() > deadline:
                    break
            assert status_of(response) == 503
            assert b"retry-after: 1" in response.lower()
        finally:
            for sock in held:
                sock.close()
        deadline = time.monotonic() + WAIT
        while httpx.get(f"{live.url}/healthz", timeout=WAIT).status_code != 200:
            assert time.monotonic() < deadline
            time.sleep(0.05)
    finally:
        live.stop()


def test_a_body_answered_before_its_end_is_not_read_to_its_end(server: LiveServer) -> None:
    # The finding: ten anonymous 100 MiB bodies slowed every request, because the server,
    # having answered 413 after the first MiB, went on parsing and dropping the other 99.
    mib = 2**20
    piece = b"%x\r\n%s\r\n" % (mib, b"a" * mib)
    sent = 0
    with connect(server) as sock:
        sock.sendall(
            b"POST /api/signup HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b'Transfer-Encoding: chunked\r\n\r\n1\r\n"\r\n'
        )
        with contextlib.suppress(OSError):  # the server closes, as it should
            while sent < 100 * mib:
                sock.sendall(piece)
                sent += mib
        response = read_until_closed(sock)
    assert status_of(response) == 413
    # The limit (1 MiB), what the server drops while the client reads its answer (1 MiB),
    # and what the two kernels' buffers hold.
    assert sent < 24 * mib


def test_an_upload_refused_before_its_body_is_answered_and_let_go(server: LiveServer) -> None:
    with connect(server) as sock:
        sock.sendall(
            b"PUT /api/models/nobody/nothing/upload/main/w.bin HTTP/1.1\r\nHost: x\r\n"
            b"Content-Length: %d\r\n\r\n" % 2**30 + b"0" * 4096
        )
        # The client stops sending and waits: the answer comes at once, and the server
        # lets go of the connection when a stalled body would have been let go.
        started = time.monotonic()
        response = read_until_closed(sock)
        held = time.monotonic() - started
    assert status_of(response) in (401, 404)
    assert held < BODY_IDLE_TIMEOUT + 2


def test_a_client_reusing_its_connection_after_an_early_answer_is_not_failed(
    server: LiveServer,
) -> None:
    # A body the server answers before reading (here a refused upload) is never read to its
    # end, so the connection closes; the answer must say so, or a keep-alive client sends its
    # next request on the dead connection and gets "server disconnected" instead of an answer.
    with httpx.Client(base_url=server.url, timeout=WAIT) as client:
        for _ in range(3):
            refused = client.put(
                "/api/models/nobody/nothing/upload/main/w.bin", content=b"0" * (4 * 2**20)
            )
            assert refused.status_code in (401, 404)
            assert refused.headers["connection"] == "close"
            assert client.get("/healthz").status_code == 200
