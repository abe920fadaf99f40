"""The server's per-connection limits that need no live server: a response whose client stops
reading is ended after ``body_idle_timeout``, on both event loops the server may run on.
(The head and body limits are exercised against a live server in the acceptance tests.)"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from typing import Any

import pytest
import uvicorn
import uvloop
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
