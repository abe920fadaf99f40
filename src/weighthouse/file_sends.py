"""Zero-copy file sends in the HTTP server: ASGI ``http.response.pathsend`` and the server's
ranged :data:`~weighthouse.frontends.downloads.PATHSEND_RANGE`, sent by ``os.sendfile`` from
the page cache straight to the socket, so a download's bytes never pass through Python.

:class:`ZeroCopyHttpProtocol` is the protocol every listener serves (REST, S3, in one process
or in each worker): :class:`~weighthouse.frontends.http_limits.LimitedHttpToolsProtocol` with
both messages added. It offers them in ``scope["extensions"]`` only on plain TCP; through TLS
the kernel cannot encrypt, so those connections get no extension and the application streams
as before.

Why not ``loop.sendfile``: the server runs on uvloop, whose loop does not implement it (the
base class raises ``NotImplementedError``), and both loops refuse to watch a descriptor that a
transport owns. So a send here waits until the transport has written everything before it
(headers, earlier body messages), then calls ``os.sendfile`` on a duplicate of the socket's
descriptor, waiting for the socket to become writable through that duplicate. The duplicate
also means a connection closed meanwhile can never redirect the bytes to another socket that
reused its descriptor number.

What the protocol guarantees stays: keep-alive after the response, HEAD, ``Content-Length``
checks, the limits and timeouts of :class:`HttpLimits`. A client that goes away mid-send ends
the send quietly (no traceback; the file is closed, so is the connection). A client that takes
nothing for ``body_idle_timeout`` seconds, the bound the server already puts on a client that
stops sending a body, has its connection closed. A file that cannot be opened or ends before
the bytes announced is a store fault: it is logged and the connection is closed, so the client
sees a body shorter than its ``Content-Length`` rather than wrong bytes. (The front-end hands
over only paths its blob reader has just opened, of immutable blobs the garbage collector
spares for hours, so this does not happen in a healthy store.)
"""

from __future__ import annotations

import asyncio
import errno
import os
from typing import TYPE_CHECKING, Any

from weighthouse.frontends.downloads import PATHSEND, PATHSEND_RANGE
from weighthouse.frontends.http_limits import LimitedHttpToolsProtocol

if TYPE_CHECKING:
    from uvicorn.protocols.http.httptools_impl import RequestResponseCycle

SEND_PIECE = 16 << 20
"""Most bytes one ``os.sendfile`` call may take before the event loop runs other work: a
socket buffer takes less anyway, so this only bounds a call to a very fast reader."""

_GONE = (errno.EPIPE, errno.ECONNRESET, errno.ENOTCONN, errno.ESHUTDOWN, errno.ECONNABORTED)


class ZeroCopyHttpProtocol(LimitedHttpToolsProtocol):
    """The server's HTTP protocol: the per-connection limits plus zero-copy file sends.

    uvicorn builds one per connection; pass it as ``http=functools.partial(
    ZeroCopyHttpProtocol, limits=..., refusals=...)``.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.zero_copy = False
        self._waiter: asyncio.Future[bool | None] | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        sock = transport.get_extra_info("socket")
        self.zero_copy = (
            hasattr(os, "sendfile")
            and sock is not None
            and transport.get_extra_info("sslcontext") is None
        )
        super().connection_made(transport)

    def connection_lost(self, exc: Exception | None) -> None:
        _settle(self._waiter, False)
        super().connection_lost(exc)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        if self.zero_copy:
            self.scope["extensions"] = {PATHSEND: {}, PATHSEND_RANGE: {}}

    def adopt(self, cycle: RequestResponseCycle) -> None:
        if not self.zero_copy:
            return
        send = cycle.send

        async def send_files(message: Any) -> None:
            if message["type"] in (PATHSEND, PATHSEND_RANGE):
                await self._send_file(cycle, message)
            else:
                await send(message)

        cycle.send = send_files  # type: ignore[method-assign]

    async def _send_file(self, cycle: RequestResponseCycle, message: dict[str, Any]) -> None:
        """Send the file of a pathsend message as the next piece of ``cycle``'s body, with
        the bookkeeping uvicorn does for a body message."""
        if cycle.disconnected:
            return
        if not cycle.response_started:
            raise RuntimeError(f"Expected 'http.response.start' before {message['type']!r}.")
        if cycle.response_complete:
            raise RuntimeError(f"Unexpected {message['type']!r} after the response.")
        whole = message["type"] == PATHSEND
        more_body = False if whole else bool(message.get("more_body", False))
        head = cycle.scope["method"] == "HEAD"
        try:
            fd = os.open(message["path"], os.O_RDONLY | os.O_CLOEXEC)
        except OSError as exc:
            self._abort(cycle, f"cannot open a file to send: {exc}")
            return
        try:
            offset = 0 if whole else int(message["offset"])
            count = os.fstat(fd).st_size if whole else int(message["count"])
            if head:
                cycle.expected_content_length = 0
            elif cycle.chunked_encoding:
                if count:
                    self.transport.write(b"%x\r\n" % count)
            elif count > cycle.expected_content_length:
                raise RuntimeError("Response content longer than Content-Length")
            else:
                cycle.expected_content_length -= count
            if not head and count and not await self._sendfile(cycle, fd, offset, count):
                return
        finally:
            os.close(fd)
        if cycle.chunked_encoding and not head:
            self.transport.write((b"\r\n" if count else b"") + (b"" if more_body else b"0\r\n\r\n"))
        if more_body:
            return
        if cycle.expected_content_length != 0:
            raise RuntimeError("Response content shorter than Content-Length")
        cycle.response_complete = True
        cycle.message_event.set()
        if not cycle.keep_alive:
            self.transport.close()
        cycle.on_response()

    async def _sendfile(
        self, cycle: RequestResponseCycle, fd: int, offset: int, count: int
    ) -> bool:
        """Write ``count`` bytes of ``fd`` from ``offset`` to the connection after what the
        transport holds; ``False`` (the connection closed) when the client went away, stalled,
        or the file ended early."""
        if not await self._flushed():
            self._abort(cycle, None)
            return False
        out = os.dup(self.transport.get_extra_info("socket").fileno())
        try:
            while count:
                if self.transport.is_closing():
                    self._abort(cycle, None)
                    return False
                try:
                    sent = os.sendfile(out, fd, offset, min(count, SEND_PIECE))
                except BlockingIOError:
                    if not await self._writable(out):
                        self._abort(cycle, None)
                        return False
                    continue
                except OSError as exc:
                    self._abort(cycle, None if exc.errno in _GONE else f"sendfile failed: {exc}")
                    return False
                if sent == 0:
                    self._abort(cycle, "a file ended before the bytes it was to send")
                    return False
                offset += sent
                count -= sent
                if count:
                    await asyncio.sleep(0)  # other connections' turn
        finally:
            os.close(out)
        return True

    async def _flushed(self) -> bool:
        """Wait until the transport has written everything it holds; ``False`` when the client
        took nothing for ``body_idle_timeout`` seconds or the connection closed."""
        transport = self.transport
        if transport.get_write_buffer_size() == 0:
            return not transport.is_closing()
        low, high = transport.get_write_buffer_limits()
        # With no high-water mark the flow control pauses at once and resumes only when empty.
        transport.set_write_buffer_limits(high=0)
        try:
            await asyncio.wait_for(self.flow.drain(), self.limits.body_idle_timeout)
        except TimeoutError:
            self.logger.info("closing a response whose reader stalled")
            return False
        finally:
            if not transport.is_closing():
                transport.set_write_buffer_limits(high=high, low=low)
        return not transport.is_closing() and transport.get_write_buffer_size() == 0

    async def _writable(self, out: int) -> bool:
        """Wait until the socket ``out`` takes more bytes; ``False`` when the connection closed
        or the client took nothing for ``body_idle_timeout`` seconds."""
        waiter: asyncio.Future[bool | None] = self.loop.create_future()
        self._waiter = waiter
        self.loop.add_writer(out, _settle, waiter, True)
        timer = self.loop.call_later(self.limits.body_idle_timeout, _settle, waiter, None)
        try:
            ready = await waiter
        finally:
            timer.cancel()
            self.loop.remove_writer(out)
            self._waiter = None
        if ready is None:
            self.logger.info("closing a response whose reader stalled")
        return bool(ready)

    def _abort(self, cycle: RequestResponseCycle, problem: str | None) -> None:
        """End ``cycle`` as if the client had gone: later messages are dropped, the connection
        closes. ``problem``, when the fault is the server's, is logged."""
        if problem is not None:
            self.logger.warning("closing a response: %s", problem)
        cycle.disconnected = True
        cycle.message_event.set()
        # Not close(): that would first wait to write what a stalled client does not take.
        self.transport.abort()


def _settle(waiter: asyncio.Future[Any] | None, result: Any) -> None:
    if waiter is not None and not waiter.done():
        waiter.set_result(result)
