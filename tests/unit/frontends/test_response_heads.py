"""A response's head leaves with the first bytes of its body, in one write of the transport
(one system call, one TCP segment for a small response), and never waits for a body that is
slow to come. Driven through the server's protocol with a transport that records its writes,
on both event loops the server may run on."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
import uvicorn
import uvloop
from uvicorn.server import ServerState

from weighthouse.frontends.http_limits import LimitedHttpToolsProtocol

pytestmark = pytest.mark.unit

LOOPS = {"asyncio": asyncio.new_event_loop, "uvloop": uvloop.new_event_loop}
GET = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"
App = Callable[[dict[str, Any], Any, Any], Awaitable[None]]


class Recording(asyncio.Transport):
    """A transport that keeps what is written, and whether it was closed by then."""

    def __init__(self) -> None:
        super().__init__()
        self.writes: list[bytes] = []
        self.closed_after: int | None = None  # how many writes came before the close

    def write(self, data: bytes | bytearray | memoryview) -> None:
        assert self.closed_after is None, "a write after the close"
        self.writes.append(bytes(data))

    def close(self) -> None:
        if self.closed_after is None:
            self.closed_after = len(self.writes)

    def is_closing(self) -> bool:
        return self.closed_after is not None

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"peername": ("127.0.0.1", 40000), "sockname": ("127.0.0.1", 8000)}.get(
            name, default
        )

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass

    def get_write_buffer_size(self) -> int:
        return 0


def _serve(app: App, requests: bytes, loop_name: str, *, turns: int = 50) -> Recording:
    """Feed ``requests`` to a connection of ``app`` and let the loop run until it is idle."""

    async def scenario() -> Recording:
        config = uvicorn.Config(app, lifespan="off", log_config=None)
        config.load()
        protocol = LimitedHttpToolsProtocol(config=config, server_state=ServerState(), app_state={})
        transport = Recording()
        protocol.connection_made(transport)
        protocol.data_received(requests)
        for _ in range(turns):
            await asyncio.sleep(0.01)
        protocol.connection_lost(None)
        return transport

    loop = LOOPS[loop_name]()
    try:
        return loop.run_until_complete(scenario())
    finally:
        loop.close()


def _answer(body: bytes, *, pause: float = 0.0) -> App:
    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        headers = [(b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        if pause:
            await asyncio.sleep(pause)
        await send({"type": "http.response.body", "body": body})

    return app


@pytest.mark.parametrize("loop_name", LOOPS)
def test_a_small_response_is_one_write(loop_name: str) -> None:
    body = b"x" * 4096
    transport = _serve(_answer(body), GET * 2, loop_name)
    assert len(transport.writes) == 2  # one a response, for two keep-alive requests
    for written in transport.writes:
        assert written.startswith(b"HTTP/1.1 200 OK\r\n")
        assert written.endswith(b"\r\n\r\n" + body)


@pytest.mark.parametrize("loop_name", LOOPS)
def test_a_head_is_not_kept_waiting_for_a_slow_body(loop_name: str) -> None:
    seen: list[list[bytes]] = []
    transport = Recording()

    def app_factory() -> App:
        async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
            headers = [(b"content-length", b"2")]
            await send({"type": "http.response.start", "status": 200, "headers": headers})
            await asyncio.sleep(0.1)
            seen.append(list(transport.writes))  # what the client had while the body was due
            await send({"type": "http.response.body", "body": b"ok"})

        return app

    async def scenario() -> None:
        config = uvicorn.Config(app_factory(), lifespan="off", log_config=None)
        config.load()
        protocol = LimitedHttpToolsProtocol(config=config, server_state=ServerState(), app_state={})
        protocol.connection_made(transport)
        protocol.data_received(GET)
        await asyncio.sleep(0.3)
        protocol.connection_lost(None)

    loop = LOOPS[loop_name]()
    try:
        loop.run_until_complete(scenario())
    finally:
        loop.close()
    assert len(seen) == 1 and len(seen[0]) == 1
    assert seen[0][0].startswith(b"HTTP/1.1 200 OK\r\n") and seen[0][0].endswith(b"\r\n\r\n")
    assert transport.writes[1:] == [b"ok"]


@pytest.mark.parametrize("loop_name", LOOPS)
def test_a_head_request_gets_its_head(loop_name: str) -> None:
    transport = _serve(_answer(b"body"), b"HEAD / HTTP/1.1\r\nHost: x\r\n\r\n", loop_name)
    assert len(transport.writes) == 1
    assert transport.writes[0].startswith(b"HTTP/1.1 200 OK\r\n")
    assert transport.writes[0].endswith(b"content-length: 4\r\n\r\n")


@pytest.mark.parametrize("loop_name", LOOPS)
@pytest.mark.parametrize("body", [b"", b"bye"])
def test_a_closing_response_writes_its_head_before_the_close(loop_name: str, body: bytes) -> None:
    request = b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    transport = _serve(_answer(body), request, loop_name)
    assert transport.closed_after == len(transport.writes) == 1
    assert b"connection: close\r\n" in transport.writes[0]
    assert transport.writes[0].endswith(b"\r\n\r\n" + body)


@pytest.mark.parametrize("loop_name", LOOPS)
def test_a_streamed_body_follows_its_head_in_order(loop_name: str) -> None:
    pieces = [b"a" * 10, b"b" * 10, b"c" * 10]

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})  # chunked
        for index, piece in enumerate(pieces):
            await send({"type": "http.response.body", "body": piece, "more_body": index < 2})

    transport = _serve(app, GET, loop_name)
    whole = b"".join(transport.writes)
    assert whole.startswith(b"HTTP/1.1 200 OK\r\n")
    assert whole.endswith(
        b"\r\n\r\na\r\n"
        + pieces[0]
        + b"\r\na\r\n"
        + pieces[1]
        + b"\r\na\r\n"
        + pieces[2]
        + b"\r\n0\r\n\r\n"
    )
    assert len(transport.writes) == 3  # the head went with the first piece
