"""What every streaming upload route does: read the declared length and digests from the
headers, then hand the body to a use case running in a worker thread."""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from typing import TypeVar

import anyio.to_thread
from fastapi import Request

from weighthouse import wire
from weighthouse.domain.access import Principal
from weighthouse.domain.errors import InvalidInputError
from weighthouse.frontends.bodies import RequestBody, declared_length
from weighthouse.frontends.rest.dependencies import client_address, container
from weighthouse.frontends.thread_hops import in_thread
from weighthouse.frontends.transfer_slots import TransferSlots
from weighthouse.on_loop import run_on_loop

T = TypeVar("T")

RAW_BODY = {
    "requestBody": {
        # An empty body is an empty file.
        "required": False,
        "content": {wire.OCTET_STREAM: {"schema": {"type": "string", "format": "binary"}}},
    }
}
"""OpenAPI for routes that stream a raw body rather than JSON."""
_HEX64 = re.compile(r"[0-9a-f]{64}")

SMALL_BODY = 64 * 1024
"""A body declared at most this long is read on the event loop before the use case's trip to
a worker thread: streamed, it cost that thread a second trip back to the event loop for its
one batch (measured: about a quarter of a small PUT's CPU time in the server). That one trip
then goes through the app's own executor (:mod:`~weighthouse.frontends.thread_hops`) rather
than anyio's."""


def declared_sha256(request: Request) -> str | None:
    value = request.headers.get(wire.SHA256_HEADER)
    if value is None:
        return None
    value = value.strip().lower()
    if not _HEX64.fullmatch(value):
        raise InvalidInputError(f"{wire.SHA256_HEADER} must be 64 hex digits")
    return value


def declared_md5(request: Request) -> str | None:
    """``Content-MD5`` is base64 of the 16-byte digest (RFC 1864)."""
    value = request.headers.get(wire.CONTENT_MD5_HEADER)
    if value is None:
        return None
    try:
        raw = base64.b64decode(value.strip(), validate=True)
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != 16:
        raise InvalidInputError("Content-MD5 must be the base64 of a 16-byte MD5 digest")
    return raw.hex()


async def stream_into(
    request: Request,
    caller: Principal | None,
    use_case: Callable[[Iterable[bytes], int | None], T],
    *,
    threads: anyio.CapacityLimiter | None = None,
    loop_up_to: int = 0,
) -> T:
    """Run ``use_case(body, declared_size)`` in a worker thread while the body streams in; a
    body declared no longer than :data:`SMALL_BODY` (and not awaiting ``100 Continue``) is
    read first and handed over whole.

    The upload holds one of its address's transfer slots, and one of ``caller``'s, until it
    ends; with none left it fails at once with ``RateLimitedError`` (429). A route that
    authenticates inside ``use_case`` passes no caller and takes the caller's slot there, with
    :func:`held_by`.

    ``threads`` replaces the app's limiter of upload threads for a route whose uploads arrive
    many at once: one waiting for a thread has read nothing of its body, which the client
    holds back meanwhile (flow control, not counted as a stalled body).

    A small body declared no longer than ``loop_up_to``, arriving while other small bodies are
    being stored, is stored by ``use_case`` run on the event loop instead
    (:func:`~weighthouse.on_loop.run_on_loop`): the caller vouches that for such a body it
    waits on nothing the loop cannot await (:attr:`Container.loop_writes`).

    A streamed body reaches ``use_case`` in the pieces it arrived in, a batch of them per
    trip to the event loop. Joining each batch into one 1 MiB ``bytes`` made a fresh
    allocation over glibc's fixed mmap threshold (:mod:`weighthouse.allocator`), mapped,
    faulted in page by page and unmapped again: about twice the body's size in page faults,
    and a third more server CPU for a large upload.
    """
    limit = container(request).settings.max_upload_bytes
    size = declared_length(request.headers.get("content-length"), limit)
    slots: TransferSlots = request.app.state.transfer_slots
    # Set by the app's lifespan; a host that runs no lifespan falls back to the shared pool.
    limiter = threads or getattr(request.app.state, "transfers", None)
    account = caller.viewer_id if caller is not None else None
    with slots.hold(account=account, client=client_address(request)):
        if size is not None and size <= SMALL_BODY and "expect" not in request.headers:
            # HTTP framing ends the body at its declared length, so this holds no more.
            data = b"".join([chunk async for chunk in request.stream()])
            whole = [data] if data else []
            # The small bodies being stored, counted on the loop (so with no lock).
            state = request.app.state
            others: int = getattr(state, "small_writes_in_flight", 0)
            state.small_writes_in_flight = others + 1
            try:
                # Alone, a write is quicker in a thread that leads its own group commits (two
                # hand-offs to a committer and back cost a sequential client 12 % of its PUTs);
                # with others in flight, the loop batches them all (1.5-2x the PUTs).
                if size <= loop_up_to and others:
                    return await run_on_loop(lambda: use_case(whole, size))
                # Set by the app's lifespan, as the transfers limiter is.
                small_writes = getattr(state, "small_writes", None)
                if small_writes is not None:
                    return await in_thread(small_writes, lambda: use_case(whole, size))
                return await anyio.to_thread.run_sync(use_case, whole, size, limiter=limiter)
            finally:
                state.small_writes_in_flight -= 1
        body = RequestBody(request.stream(), limit=limit, join=False)
        return await anyio.to_thread.run_sync(use_case, body, size, limiter=limiter)


def held_by(request: Request, caller: Principal) -> AbstractContextManager[None]:
    """One of ``caller``'s transfer slots, for routes that authenticate in the upload's thread."""
    slots: TransferSlots = request.app.state.transfer_slots
    return slots.hold(account=caller.viewer_id, client=None)
