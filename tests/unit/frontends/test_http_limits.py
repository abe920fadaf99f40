"""The server's per-connection limits that need no live server, on both event loops the server
may run on: a response whose client stops reading is ended after ``body_idle_timeout``, and
stopping the server ends an idle TLS connection at once. (The head and body limits are
exercised against a live server in the acceptance tests.)"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import ssl
from pathlib import Path
from typing import Any

import pytest
import uvicorn
import uvloop
from tests.acceptance.certificates import self_signed
from uvicorn.server import ServerState

from weighthouse.frontends.http_limits import HttpLimits, LimitedHttpToolsProtocol

pytestmark = pytest.mark.unit

IDLE = 0.5
BODY = 64 << 20
PIECE = 256 << 10
LOOPS = {"asyncio": asyncio.new_event_loop, "uvloop": uvloop.new_event_loop}


@pytest.mark.parametrize("loop_name", LOOPS)
def test_a_streamed_response_nobody_reads_is_cut_off(loop_name: str) -> None:
    finished = asyncio.Event()

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        headers = [(b"content-length", str(BODY).encode())]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        piece = bytes(PIECE)
        for sent in range(PIECE, BODY + 1, PIECE):
            await send({"type": "http.response.body", "body": piece, "more_body": sent < BODY})
        finished.set()

    async def scenario() -> int:
        config = uvicorn.Config(app, lifespan="off", log_config=None)
        config.load()
        loop = asyncio.get_running_loop()
        server = await loop.create_server(
            lambda: LimitedHttpToolsProtocol(
                config=config,
                server_state=ServerState(),
                app_state={},
                limits=HttpLimits(body_idle_timeout=IDLE),
            ),
            "127.0.0.1",
            0,
        )
        client = socket.socket()
        client.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 << 10)
        client.setblocking(False)
        try:
            await loop.sock_connect(client, server.sockets[0].getsockname())
            await loop.sock_sendall(client, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            # The app returns (its later sends dropped) only once the server gave up on the
            # reader: uvicorn alone would keep its send waiting for ever.
            await asyncio.wait_for(finished.wait(), IDLE * 20)
            received = 0
            with contextlib.suppress(ConnectionResetError):
                while chunk := await asyncio.wait_for(loop.sock_recv(client, 1 << 20), 5):
                    received += len(chunk)
            return received
        finally:
            client.close()
            server.close()
            await server.wait_closed()

    loop = LOOPS[loop_name]()
    try:
        received = loop.run_until_complete(scenario())
    finally:
        loop.close()
    assert received < BODY  # the connection closed long before the body was all sent


@pytest.mark.parametrize("loop_name", LOOPS)
def test_stopping_ends_an_idle_tls_connection_at_once(tmp_path: Path, loop_name: str) -> None:
    cert, key = self_signed(tmp_path)
    serving = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    serving.load_cert_chain(cert, key)
    trusting = ssl.create_default_context(cafile=str(cert))

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        headers = [(b"content-length", b"2")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": b"ok"})

    def pooled(port: int) -> ssl.SSLSocket:
        """A connection that asked once and then waits in a client's pool, reading nothing."""
        raw = socket.create_connection(("127.0.0.1", port), timeout=5)
        connection = trusting.wrap_socket(raw, server_hostname="localhost")
        connection.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
        answer = b""
        while not answer.endswith(b"ok"):
            answer += connection.recv(1024)
        return connection

    async def scenario() -> int:
        config = uvicorn.Config(app, lifespan="off", log_config=None)
        config.load()
        state = ServerState()
        server = await asyncio.get_running_loop().create_server(
            lambda: LimitedHttpToolsProtocol(config=config, server_state=state, app_state={}),
            "127.0.0.1",
            0,
            ssl=serving,
        )
        client = await asyncio.to_thread(pooled, server.sockets[0].getsockname()[1])
        try:
            assert len(state.connections) == 1
            for protocol in list(state.connections):
                protocol.shutdown()  # what the server does to each connection when it stops
            for _ in range(50):  # 5 s at most: a close waiting for close_notify waits 30 s
                if not state.connections:
                    break
                await asyncio.sleep(0.1)
            return len(state.connections)
        finally:
            client.close()
            server.close()

    loop = LOOPS[loop_name]()
    try:
        assert loop.run_until_complete(scenario()) == 0
    finally:
        loop.close()


@pytest.mark.parametrize("loop_name", LOOPS)
def test_a_slow_head_after_a_request_with_a_body_gets_the_head_timeout(loop_name: str) -> None:
    # The body's timer (long) was the last one armed: the next head must still be timed out
    # after the head timeout (short), not after whatever the body's timer had left.
    head_timeout, body_timeout = 0.2, 30.0

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        while (await receive()).get("more_body"):
            pass
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    async def scenario() -> tuple[bytes, float]:
        config = uvicorn.Config(app, lifespan="off", log_config=None)
        config.load()
        loop = asyncio.get_running_loop()
        state = ServerState()
        server = await loop.create_server(
            lambda: LimitedHttpToolsProtocol(
                config=config,
                server_state=state,
                app_state={},
                limits=HttpLimits(header_timeout=head_timeout, body_idle_timeout=body_timeout),
            ),
            "127.0.0.1",
            0,
        )
        client = socket.socket()
        client.setblocking(False)
        try:
            await loop.sock_connect(client, server.sockets[0].getsockname())
            await loop.sock_sendall(
                client, b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n"
            )
            # Past the head timeout: the timer armed for the head fires meanwhile, and waits
            # on for the body's deadline.
            await asyncio.sleep(head_timeout * 2)
            await loop.sock_sendall(client, b"ok")
            first = await asyncio.wait_for(loop.sock_recv(client, 65536), 5)
            assert first.startswith(b"HTTP/1.1 204")
            await loop.sock_sendall(client, b"GET / HTTP/1.1\r\nHost: x\r\n")  # and no more
            started = loop.time()
            answer = b""
            with contextlib.suppress(ConnectionResetError):
                while chunk := await asyncio.wait_for(loop.sock_recv(client, 65536), 10):
                    answer += chunk
            return answer, loop.time() - started
        finally:
            client.close()
            for _ in range(100):  # the server's side lets go once it sees the close
                if not state.connections:
                    break
                await asyncio.sleep(0.05)
            server.close()
            await server.wait_closed()

    loop = LOOPS[loop_name]()
    try:
        answer, waited = loop.run_until_complete(scenario())
    finally:
        loop.close()
    assert answer.startswith(b"HTTP/1.1 408")
    assert waited < 5.0  # a sixth of the body timeout: the head timeout counted
