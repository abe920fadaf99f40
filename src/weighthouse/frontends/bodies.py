"""Request bodies as blocking iterators, so use cases in worker threads can stream them.

The event loop keeps receiving while the worker hashes and writes; the two meet once per
batch (1 MiB by default), not once per network chunk.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import anyio.from_thread

from weighthouse.domain.errors import InvalidInputError, TooLargeError


class RequestBody:
    """Iterate in a worker thread started by anyio (e.g. ``run_in_threadpool``).

    Raises ``TooLargeError`` as soon as more than ``limit`` bytes arrive; errors of the
    underlying stream (a client that went away) propagate unchanged.

    Each batch is yielded as one ``bytes``, or with ``join=False`` as the pieces the server
    received (a few hundred KiB at most), each let go once the next is taken: the join's
    copy doubles what a batch holds, and a consumer still holding the last batch while the
    next one arrives triples it, about 3.5 MiB per upload for a moment.
    """

    def __init__(
        self, stream: AsyncIterator[bytes], *, limit: int, batch: int = 1 << 20, join: bool = True
    ) -> None:
        self._stream = stream
        self._limit = limit
        self._batch = batch
        self._join = join
        self._received = 0
        self._done = False

    @property
    def received(self) -> int:
        return self._received

    async def _next_batch(self) -> list[bytes]:
        parts: list[bytes] = []
        size = 0
        while size < self._batch:
            try:
                chunk = await self._stream.__anext__()
            except StopAsyncIteration:
                self._done = True
                break
            if chunk:
                parts.append(chunk)
                size += len(chunk)
        self._received += size
        if self._received > self._limit:
            raise TooLargeError(f"the body is larger than the limit of {self._limit} bytes")
        return parts

    def __iter__(self) -> Iterator[bytes]:
        while not self._done:
            parts = anyio.from_thread.run(self._next_batch)
            if not parts:
                continue
            if self._join:
                data = parts[0] if len(parts) == 1 else b"".join(parts)
                del parts
                yield data
                del data
                continue
            parts.reverse()
            while parts:
                yield parts.pop()


def declared_length(value: str | None, limit: int) -> int | None:
    """The ``Content-Length`` a client declared, checked against ``limit`` before any byte."""
    if value is None:
        return None
    if not value.isdigit() or len(value) > 20:
        raise InvalidInputError("Content-Length must be a non-negative integer")
    length = int(value)
    if length > limit:
        raise TooLargeError(f"the body is larger than the limit of {limit} bytes")
    return length
