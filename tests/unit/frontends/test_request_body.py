"""A request body read from a worker thread: in batches joined into one ``bytes``, or in the
pieces it arrived in."""

from __future__ import annotations

from collections.abc import AsyncIterator

import anyio
import anyio.to_thread
import pytest

from weighthouse.domain.errors import TooLargeError
from weighthouse.frontends.bodies import RequestBody

pytestmark = pytest.mark.unit

PIECES = [b"a" * 70, b"", b"b" * 50, b"c" * 10, b"d" * 200, b"e"]


def read(*, limit: int = 10_000, join: bool) -> list[bytes]:
    async def stream() -> AsyncIterator[bytes]:
        for piece in PIECES:
            yield piece

    async def main() -> list[bytes]:
        body = RequestBody(stream(), limit=limit, batch=100, join=join)
        return await anyio.to_thread.run_sync(list, body)

    return anyio.run(main)


def test_batches_are_joined_up_to_the_batch_size() -> None:
    assert read(join=True) == [b"a" * 70 + b"b" * 50, b"c" * 10 + b"d" * 200, b"e"]


def test_without_joining_the_pieces_come_as_they_arrived() -> None:
    assert read(join=False) == [piece for piece in PIECES if piece]


@pytest.mark.parametrize("join", [True, False])
def test_a_body_over_the_limit_is_refused(join: bool) -> None:
    with pytest.raises(TooLargeError):
        read(limit=300, join=join)
