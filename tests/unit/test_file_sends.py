"""The server's zero-copy file sends, on a real loopback connection under both event loops the
server may run on: the bytes go out through ``os.sendfile`` (never through a body message),
exactly, with keep-alive, HEAD and chunked framing kept, and a file that cannot be opened
ends the connection without an error reaching the application."""

from __future__ import annotations

import asyncio
import functools
import logging
import os
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
import uvloop
from uvicorn.server import ServerState

from weighthouse.file_sends import ZeroCopyHttpProtocol
from weighthouse.frontends.downloads import PATHSEND, PATHSEND_RANGE
from weighthouse.frontends.http_limits import HttpLimits

pytestmark = pytest.mark.unit

App = Callable[[dict[str, Any], Any, Any], Awaitable[None]]
LOOPS = {"asyncio": asyncio.new_event_loop, "uvloop": uvloop.new_event_loop}


def serve(app: App, client: Callable[[str], Awaitable[Any]], loop_name: str) -> tuple[Any, int]:
    """Run ``client(url)`` against ``app`` served by :class:`ZeroCopyHttpProtocol` on a loopback
    port; its result and the number of connections the server accepted."""
    connections = 0

    async def scenario() -> Any:
        nonlocal connections
        config = uvicorn.Config(app, lifespan="off", log_config=None)
        config.load()
        state = ServerState()
        make = functools.partial(
            ZeroCopyHttpProtocol,
            config=config,
            server_state=state,
            app_state={},
            limits=HttpLimits(body_idle_timeout=2.0),
        )

        def factory() -> ZeroCopyHttpProtocol:
            nonlocal connections
            connections += 1
            return make()

        server = await asyncio.get_running_loop().create_server(factory, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        try:
            return await client(f"http://127.0.0.1:{port}")
        finally:
            for protocol in list(state.connections):
                protocol.shutdown()
            server.close()
            await server.wait_closed()

    loop = LOOPS[loop_name]()
    try:
        return loop.run_until_complete(scenario()), connections
    finally:
        loop.close()


@pytest.fixture
def sendfile_bytes(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The byte count of every ``os.sendfile`` call that sent something."""
    sent: list[int] = []
    real = os.sendfile

    def counting(out: int, fd: int, offset: int | None, count: int) -> int:
        done = real(out, fd, offset, count)
        sent.append(done)
        return done

    monkeypatch.setattr(os, "sendfile", counting)
    return sent


@pytest.fixture
def files(tmp_path: Path) -> list[tuple[str, bytes]]:
    made = []
    for name, size in (("a", 3 << 20), ("b", 1 << 20)):
        data = os.urandom(size)
        (tmp_path / name).write_bytes(data)
        made.append((str(tmp_path / name), data))
    return made


async def start(send: Any, length: int | None, status: int = 200) -> None:
    headers = [(b"content-type", b"application/octet-stream")]
    if length is not None:
        headers.append((b"content-length", str(length).encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})


@pytest.mark.parametrize("loop_name", LOOPS)
def test_spans_and_whole_files_go_out_by_sendfile_on_one_connection(
    loop_name: str, files: list[tuple[str, bytes]], sendfile_bytes: list[int]
) -> None:
    (path_a, a), (path_b, b) = files
    offered: list[set[str]] = []

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        offered.append(set(scope.get("extensions", {})))
        if scope["path"] == "/spans":
            await start(send, 1000 + len(b) - 5)
            message = {"type": PATHSEND_RANGE, "path": path_a, "offset": len(a) - 1000}
            await send({**message, "count": 1000, "more_body": True})
            await send({"type": PATHSEND_RANGE, "path": path_b, "offset": 5, "count": len(b) - 5})
        else:
            await start(send, len(a))
            await send({"type": PATHSEND, "path": path_a})

    async def client(url: str) -> list[tuple[int, bytes]]:
        async with httpx.AsyncClient(base_url=url) as http:
            got = []
            for path in ("/spans", "/whole", "/spans"):
                response = await http.get(path)
                got.append((response.status_code, response.content))
            head = await http.head("/whole")
            got.append((head.status_code, head.content))
            return got

    got, connections = serve(app, client, loop_name)
    spans = a[-1000:] + b[5:]
    assert got == [(200, spans), (200, a), (200, spans), (200, b"")]
    assert connections == 1  # kept alive throughout
    assert offered[0] == {PATHSEND, PATHSEND_RANGE}
    assert sum(sendfile_bytes) == 2 * len(spans) + len(a)


@pytest.mark.parametrize("loop_name", LOOPS)
def test_a_body_without_a_length_is_chunked_around_the_file(
    loop_name: str, files: list[tuple[str, bytes]], sendfile_bytes: list[int]
) -> None:
    (path_a, a), _ = files

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        await start(send, None)
        await send({"type": "http.response.body", "body": b"head:", "more_body": True})
        await send({"type": PATHSEND_RANGE, "path": path_a, "offset": 10, "count": 100000})

    async def client(url: str) -> tuple[str | None, bytes]:
        async with httpx.AsyncClient(base_url=url) as http:
            response = await http.get("/")
            return response.headers.get("transfer-encoding"), response.content

    (encoding, body), _ = serve(app, client, loop_name)
    assert (encoding, body) == ("chunked", b"head:" + a[10:100010])
    assert sum(sendfile_bytes) == 100000


@pytest.mark.parametrize("loop_name", LOOPS)
def test_a_file_gone_closes_the_connection_quietly(
    loop_name: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    returned: list[bool] = []

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        await start(send, 10)
        await send({"type": PATHSEND, "path": str(tmp_path / "gone")})
        returned.append(True)

    async def client(url: str) -> str:
        async with httpx.AsyncClient(base_url=url) as http:
            try:
                await http.get("/")
            except httpx.HTTPError as exc:
                return type(exc).__name__
            return "answered"

    with caplog.at_level(logging.WARNING, logger="uvicorn.error"):
        outcome, _ = serve(app, client, loop_name)
    assert outcome in {"RemoteProtocolError", "ReadError"}
    assert returned == [True]
    assert "cannot open a file to send" in caplog.text
    assert "Traceback" not in caplog.text and "Exception in ASGI" not in caplog.text
