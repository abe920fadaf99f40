"""A cheaper trip to a worker thread, for the hottest requests.

anyio's ``to_thread.run_sync`` (which Starlette's ``run_in_threadpool`` calls) cost about 52 µs
of CPU per trip here with 16 callers at once: a cancel scope, a capacity limiter, run-vars and
a copied context around the hand-off. A small bucket GET that cannot be answered on the event
loop (``server.loop_reads``) makes exactly one trip, for authentication, its catalog read and
its bytes, and needs none of that: a ``ThreadPoolExecutor`` of its own makes the same trip for
about 24 µs. A small upload, its body read whole on the event loop, makes its one trip the
same way.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import Executor
from typing import TypeVar

T = TypeVar("T")


async def in_thread(executor: Executor, call: Callable[[], T]) -> T:
    """``call()`` in one of ``executor``'s threads. As with anyio's default, a caller cancelled
    meanwhile still waits for the call to end (a thread cannot be stopped, and what the call
    holds must be released before the request is done), and is cancelled after it."""
    future = asyncio.get_running_loop().run_in_executor(executor, call)
    cancelled = False
    while True:
        try:
            result = await asyncio.shield(future)
        except asyncio.CancelledError:
            if future.done():
                raise
            cancelled = True
            continue
        if cancelled:
            raise asyncio.CancelledError
        return result
