"""Limits the HTTP server enforces before any request reaches the application.

uvicorn's httptools protocol reads request heads of any size and count, and waits for a head
or a body as long as the client likes, so one client can hold memory and connections without
ever finishing a request. :class:`LimitedHttpToolsProtocol` bounds each connection:

* a request head (request line and header fields) larger than ``max_header_bytes``, or with
  more than ``max_header_count`` fields, gets ``431``; the bytes counted include those the
  parser is still holding, so an unfinished 32 MB field costs at most one read beyond the limit;
* a head not complete ``header_timeout`` seconds after its first byte (or after the connection
  opened) gets ``408``;
* a body that sends nothing for ``body_idle_timeout`` seconds while the server is waiting for
  it ends the request as a disconnect, which frees whatever the request held (a transfer slot,
  a thread, a temporary file); time the server itself stops reading (flow control) never counts;
* a response the client takes nothing of for ``body_idle_timeout`` seconds, while the server
  waits to write more, ends as a disconnect too and the connection is closed, so a reader
  that stalls cannot hold an open blob and its connection for ever;
* beyond ``max_connections`` open connections per process, new ones get ``503`` at once;
* a request answered before its body arrived in full (a 413, a 401 before an upload, any
  refusal) ends its connection: uvicorn would otherwise parse and drop the rest of the body,
  however large, so ten anonymous 100 MiB bodies kept the event loop busy with bytes nobody
  wanted while honest requests queued behind them. The server drops at most ``LINGER_BYTES``
  more and closes, or closes when ``body_idle_timeout`` has passed, whichever comes first;
* stopping the server drops an idle keep-alive connection at once, a TLS one included: closing
  one the usual way waits for the client's ``close_notify`` (up to 30 s in asyncio and uvloop),
  which a client holding it in its pool sends only when it next reads, so one idle boto3
  client held a stopping server's S3 port for 30 s. TLS lets the side that closes leave
  without the peer's answer, and a client's pool drops a connection found closed.

The protocol also writes a response's head together with the first bytes of its body (one
system call and one TCP segment for a small response, not two); a head whose body is not sent
at once still leaves when the event loop next turns.

Refusals are written in the error format of the port's front-end (:class:`Refusals`) with
``Connection: close``; the server then reads and discards what the client still sends for a
moment (a lingering close, at most ``LINGER_SECONDS`` and ``LINGER_BYTES``), so the client reads
the answer instead of a connection reset.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httptools
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol, RequestResponseCycle

if TYPE_CHECKING:
    from uvicorn._types import ASGISendEvent

    from weighthouse.config import ServerSettings

LINGER_SECONDS = 2.0
"""How long a refused connection keeps discarding input before it is closed."""

LINGER_BYTES = 1 << 20
"""How much input a refused connection discards before it is closed anyway: enough for a
client to see its answer, too little for a fast sender to keep the server busy."""


@dataclass(frozen=True)
class HttpLimits:
    """Per-connection limits; the defaults are the settings' defaults (``config.py``)."""

    max_header_bytes: int = 64 * 1024
    max_header_count: int = 100
    header_timeout: float = 10.0
    body_idle_timeout: float = 30.0
    max_connections: int = 1000

    @classmethod
    def of(cls, server: ServerSettings) -> HttpLimits:
        """The limits ``server`` sets; every port of the process gets the same ones."""
        return cls(
            max_header_bytes=server.max_header_bytes,
            max_header_count=server.max_header_count,
            header_timeout=server.header_timeout_seconds,
            body_idle_timeout=server.body_idle_timeout_seconds,
            max_connections=server.max_connections,
        )


class _RefusedError(Exception):
    """Raised inside a parser callback to stop parsing a head that broke a limit."""


def refusal(
    status: int,
    reason: str,
    body: bytes,
    content_type: str = "application/json",
    extra: str = "",
) -> bytes:
    """A complete HTTP/1.1 response carrying ``body`` that closes the connection."""
    return (
        f"HTTP/1.1 {status} {reason}\r\n"
        f"content-type: {content_type}\r\n"
        f"content-length: {len(body)}\r\n"
        f"{extra}connection: close\r\n\r\n"
    ).encode("ascii") + body


def _envelope(code: str, message: str) -> bytes:
    return json.dumps({"error": {"code": code, "message": message, "detail": {}}}).encode()


@dataclass(frozen=True)
class Refusals:
    """The complete responses a connection gets when it breaks a limit, in the error format of
    the front-end behind the port."""

    headers_too_large: bytes
    headers_too_many: bytes
    request_timeout: bytes
    too_many_connections: bytes


REST_REFUSALS = Refusals(
    headers_too_large=refusal(
        431,
        "Request Header Fields Too Large",
        _envelope("headers_too_large", "the request head is too large"),
    ),
    headers_too_many=refusal(
        431,
        "Request Header Fields Too Large",
        _envelope("headers_too_large", "too many header fields"),
    ),
    request_timeout=refusal(
        408, "Request Timeout", _envelope("request_timeout", "the request came too slowly")
    ),
    too_many_connections=refusal(
        503,
        "Service Unavailable",
        _envelope("too_many_connections", "the server holds too many connections; retry"),
        extra="retry-after: 1\r\n",
    ),
)
"""The REST API's refusals, in its error envelope."""


class LimitedHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with the limits of :class:`HttpLimits`.

    uvicorn builds one per connection; pass it as ``http=functools.partial(
    LimitedHttpToolsProtocol, limits=...)`` (or ``--http weighthouse.frontends.http_limits:
    LimitedHttpToolsProtocol`` for the defaults).
    """

    def __init__(
        self,
        *args: Any,
        limits: HttpLimits | None = None,
        refusals: Refusals = REST_REFUSALS,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.limits = limits or HttpLimits()
        self.refusals = refusals
        self._in_head = True  # the next bytes belong to a request head
        self._head_bytes = 0  # bytes fed to the parser since this head began
        self._head_size = 0  # bytes of the head the parser has handed over
        self._header_count = 0
        self._refused: bytes | None = None  # the refusal being sent, if any
        self._discarded = 0  # bytes dropped while lingering
        # One timer a connection, armed lazily (see _arm): the deadline that counts now, what
        # runs when it passes, and the loop's handle with the time it fires.
        self._deadline: float | None = None
        self._expire: Callable[[], object] | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._timer_at = 0.0

    # Connection events

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        if len(self.connections) >= self.limits.max_connections:
            self.transport = transport
            self._refuse(self.refusals.too_many_connections)
            return
        super().connection_made(transport)
        self._arm(self.limits.header_timeout, self._head_timed_out)

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        super().connection_lost(exc)

    def shutdown(self) -> None:
        if self.transport.get_extra_info("sslcontext") is not None and (
            self.cycle is None or self.cycle.response_complete
        ):
            self.transport.abort()  # see the module's docstring: no wait for close_notify
            return
        super().shutdown()

    def data_received(self, data: bytes) -> None:
        if self._refused is not None:  # lingering: read and drop, up to a bound
            self._discarded += len(data)
            if self._discarded > LINGER_BYTES:
                self.transport.close()
            return
        self._unset_keepalive_if_required()
        if self._in_head:
            if self._deadline is None:  # the first byte of a request after an idle keep-alive
                self._arm(self.limits.header_timeout, self._head_timed_out)
            self._head_bytes += len(data)
        elif self._deadline is not None:
            self._arm(self.limits.body_idle_timeout, self._body_idle)
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            if self._should_upgrade():
                self.handle_websocket_upgrade()
            else:
                self._unsupported_upgrade_warning()
            return
        except httptools.HttpParserError:
            if self._refused is not None:
                self._refuse(self._refused)
                return
            self.logger.warning("Invalid HTTP request received.")
            self.send_400_response("Invalid HTTP request received.")
            return
        if self._in_head and self._head_bytes > self.limits.max_header_bytes:
            self._refuse(self.refusals.headers_too_large)

    def on_response_complete(self) -> None:
        # The response of the newest request is complete but its body is still arriving: the
        # application will never read it, and parsing it only to drop it costs the event loop
        # as much as the client cares to send.
        unread_body = self.cycle is not None and self.cycle.response_complete and not self._in_head
        super().on_response_complete()
        if unread_body and not self.transport.is_closing():
            if self.timeout_keep_alive_task is not None:
                self.timeout_keep_alive_task.cancel()
                self.timeout_keep_alive_task = None
            # No half-close, and as long as a stalled body would have been kept: a client
            # that stopped sending and waits for the server to let go would otherwise come
            # back at once with the next request the server must refuse.
            self._refuse(b"", linger=self.limits.body_idle_timeout, half_close=False)

    # Parser callbacks

    def on_message_begin(self) -> None:
        # _head_bytes started counting before the parser saw this message begin.
        self._in_head = True
        self._head_size = self._header_count = 0
        super().on_message_begin()

    def on_url(self, url: bytes) -> None:
        self._count_head(len(url))
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._header_count += 1
        if self._header_count > self.limits.max_header_count:
            self._refused = self.refusals.headers_too_many
            raise _RefusedError
        self._count_head(len(name) + len(value) + 4)
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._in_head = False
        self._disarm()
        super().on_headers_complete()
        if self.cycle is not None:
            self.adopt(self.cycle)
            self._limit_sends(self.cycle)
        self._arm(self.limits.body_idle_timeout, self._body_idle)

    def on_message_complete(self) -> None:
        self._disarm()
        self._in_head = True
        self._head_bytes = 0
        super().on_message_complete()

    def adopt(self, cycle: RequestResponseCycle) -> None:
        """Called with each new request's cycle before the limits wrap its ``send``: a
        subclass may wrap ``cycle.send`` (to send more kinds of body message) and extend
        ``cycle.scope``; the limits then see every message the application sends."""

    # Limits

    def _limit_sends(self, cycle: RequestResponseCycle) -> None:
        """Wrap ``cycle.send`` (one wrapper: each costs every message a coroutine call):

        * wait at most ``body_idle_timeout`` seconds for the client to take what the transport
          holds (uvicorn would wait for ever), then end the response;
        * a response that starts before its request's body has arrived in full says
          ``Connection: close``: the rest of that body is never read (see
          :meth:`on_response_complete`), so the connection cannot carry another request, and
          without the header a keep-alive client would send its next request on it and fail
          with a closed connection instead of opening a new one;
        * the head of a response leaves with the first bytes of its body, in one write: one
          system call and one TCP segment for a small response instead of two. A head whose
          body does not follow at once is written when the event loop next turns, so no
          response waits for its head.
        """
        send = cycle.send
        flow = self.flow
        transport = cycle.transport
        closing = False
        held: _HeldHead | None = None

        async def send_limited(message: ASGISendEvent) -> None:
            nonlocal closing, held
            if flow.write_paused and not cycle.disconnected:
                try:
                    await asyncio.wait_for(flow.drain(), self.limits.body_idle_timeout)
                except TimeoutError:
                    self.logger.info("closing a response whose reader stalled")
                    cycle.disconnected = True
                    cycle.message_event.set()
                    # Not close(): that would first wait to write what the client does not take.
                    self.transport.abort()
                    return
            kind = message["type"]
            if kind == "http.response.start":
                if cycle.more_body:
                    cycle.keep_alive = False  # uvicorn then writes the header itself
                    closing = True
                head = _HeldHead(transport)
                cycle.transport = head  # type: ignore[assignment]
                try:
                    await send(message)
                finally:
                    cycle.transport = transport
                head.collecting = False
                if head.head:
                    held = head
                    self.loop.call_soon(head.flush)
                return
            if closing and _ends_body(message):
                # Yet the closing is left to the lingering close of ``on_response_complete``:
                # uvicorn would close at once, and closing a socket with input unread makes the
                # kernel send a reset that can destroy the answer before the client reads it.
                cycle.keep_alive = True
            if held is None:
                await send(message)
                return
            head, held = held, None
            if kind != "http.response.body":  # a file send writes on its own
                head.flush()
                await send(message)
                return
            cycle.transport = head  # type: ignore[assignment]
            try:
                await send(message)
            finally:
                cycle.transport = transport
                head.flush()  # a HEAD response's body writes nothing

        cycle.send = send_limited  # type: ignore[method-assign]

    def _count_head(self, size: int) -> None:
        self._head_size += size
        if self._head_size > self.limits.max_header_bytes:
            self._refused = self.refusals.headers_too_large
            raise _RefusedError

    def _arm(self, delay: float, callback: Callable[[], object]) -> None:
        """Run ``callback`` ``delay`` seconds from now unless disarmed or armed again first.

        Lazily: a request arms and disarms its head and body timers four times, and each
        time a timer of the loop was made or cancelled (and a body's every read armed one
        again). Here only a deadline moves; the loop's handle stays where it was, unless the
        new deadline comes before it, and a handle that fires before the deadline waits on."""
        deadline = self.loop.time() + delay
        self._deadline, self._expire = deadline, callback
        if self._timer is not None:
            if self._timer_at <= deadline:
                return
            self._timer.cancel()
        self._timer, self._timer_at = self.loop.call_at(deadline, self._fire), deadline

    def _disarm(self) -> None:
        self._deadline = self._expire = None

    def _fire(self) -> None:
        self._timer = None
        deadline, expire = self._deadline, self._expire
        if deadline is None or expire is None:
            return
        if self.loop.time() < deadline:
            self._timer, self._timer_at = self.loop.call_at(deadline, self._fire), deadline
            return
        self._disarm()
        expire()

    def _head_timed_out(self) -> None:
        if not self._in_head or self.transport.is_closing():
            return
        if self._head_bytes == 0:
            self.transport.close()  # an idle connection that never asked for anything
        else:
            self._refuse(self.refusals.request_timeout)

    def _body_idle(self) -> None:
        if self._in_head or self.transport.is_closing():
            return
        if self.flow.read_paused:
            # The application has not read what it has; the client is not the one waiting.
            self._arm(self.limits.body_idle_timeout, self._body_idle)
            return
        cycle = self.cycle
        self.logger.info("closing a request whose body stalled")
        cycle.disconnected = True
        cycle.message_event.set()
        if not cycle.response_started:
            self.transport.write(self.refusals.request_timeout)
        self.transport.close()

    def _refuse(
        self, response: bytes, linger: float = LINGER_SECONDS, *, half_close: bool = True
    ) -> None:
        """Answer ``response``, stop parsing, and close after a lingering read of at most
        ``linger`` seconds and ``LINGER_BYTES``; ``half_close`` tells the client at once."""
        self._refused = response
        self._disarm()
        self.transport.write(response)
        if half_close and self.transport.can_write_eof():
            self.transport.write_eof()
        self.transport.resume_reading()
        self._arm(linger, self.transport.close)


class _HeldHead:
    """Stands in for a connection's transport while uvicorn writes a response head, which it
    keeps (``collecting``); then its next :meth:`write` sends the head and the bytes in one.
    What else uvicorn asks of a transport goes to the real one, a close after the head."""

    def __init__(self, transport: asyncio.Transport) -> None:
        self.transport = transport
        self.head = b""
        self.collecting = True

    def write(self, data: bytes) -> None:
        if self.collecting:
            self.head += data
            return
        head, self.head = self.head, b""
        self.transport.write(head + data if head else data)

    def flush(self) -> None:
        """Write the head if it is still kept (and the connection still open)."""
        if self.head and not self.collecting:
            head, self.head = self.head, b""
            if not self.transport.is_closing():
                self.transport.write(head)

    def close(self) -> None:
        self.flush()
        self.transport.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.transport, name)


def _ends_body(message: ASGISendEvent | dict[str, Any]) -> bool:
    """Whether ``message`` is the last of a response body: a body message without
    ``more_body``, a whole-file ``pathsend``, or a last ranged file send of a subclass."""
    kind = message["type"]
    if kind == "http.response.pathsend":
        return True
    return kind != "http.response.start" and not message.get("more_body", False)
