"""Synchronous code run on the event loop, that gives the loop back while it waits.

The use cases are synchronous, and a request normally runs one in a worker thread. For the
hottest small writes the trip to a thread and back, and the hand-offs of the interpreter lock
between the many threads that wait on the same group commit, cost more than the work itself.
:func:`run_on_loop` runs such a call on the event loop's own thread, in a greenlet: plain
function calls, no thread. Where the call would block on something slow (a group commit's
fsync), the code it reaches calls :func:`wait_on_loop` with an awaitable, and the greenlet
switches back to the loop, which awaits it and then resumes the call where it stopped. Meanwhile
the loop serves other requests; that is the whole gain.

Only code that knows it may run this way waits this way (:func:`on_loop` tells it); anything
else it calls runs as written, so a call made this way must be one whose other work is short:
the loop's thread is blocked for as long as it runs.
"""

from __future__ import annotations

import asyncio
import contextvars
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar, cast

from greenlet import getcurrent, greenlet

T = TypeVar("T")


class _LoopCall(greenlet):  # type: ignore[misc]
    """A call running on the loop's thread under :func:`run_on_loop`."""


def on_loop() -> bool:
    """Whether this code runs under :func:`run_on_loop`, so it may :func:`wait_on_loop`."""
    return isinstance(getcurrent(), _LoopCall)


def wait_on_loop(awaitable: Awaitable[T]) -> T:
    """Give the loop ``awaitable`` to await, and return its result (or raise its error) once
    it is done; only under :func:`run_on_loop`."""
    current = getcurrent()
    if not isinstance(current, _LoopCall):
        raise RuntimeError("wait_on_loop outside run_on_loop")
    return cast(T, current.parent.switch(awaitable))


def pause(seconds: float) -> None:
    """Sleep ``seconds``: under :func:`run_on_loop` by awaiting, so the loop serves others."""
    if on_loop():
        wait_on_loop(asyncio.sleep(seconds))
    else:
        time.sleep(seconds)


async def run_on_loop(call: Callable[[], T]) -> T:
    """``call()`` on the loop's thread, awaiting what it waits on (see the module docstring).

    As with a worker thread, a caller cancelled meanwhile still lets the call finish (what it
    waits on, a commit, goes on regardless, and what the call holds must be released), and is
    cancelled after it. The call sees the caller's context variables."""
    child = _LoopCall(call)
    child.gr_context = contextvars.copy_context()
    step: Any = child.switch()
    cancelled = False
    while not child.dead:
        waited = asyncio.ensure_future(step)
        try:
            value = await asyncio.shield(waited)
        except asyncio.CancelledError:
            if not waited.done():  # this caller was cancelled, not what it waits on
                cancelled = True
                await _settled(waited)
            step = _resume(child, waited)
        except BaseException as exc:  # the awaitable's error is the call's to handle
            step = child.throw(exc)
        else:
            step = child.switch(value)
    if cancelled:
        raise asyncio.CancelledError
    return cast(T, step)


async def _settled(waited: asyncio.Future[Any]) -> None:
    """Wait until ``waited`` is done, whatever cancels the waiting meanwhile."""
    while not waited.done():
        try:
            await asyncio.shield(waited)
        except BaseException:  # noqa: S112 - its outcome is read by the caller
            continue


def _resume(child: greenlet, waited: asyncio.Future[Any]) -> Any:
    """Resume ``child`` with the outcome of ``waited``, which is done."""
    if waited.cancelled():
        return child.throw(asyncio.CancelledError())
    error = waited.exception()
    if error is not None:
        return child.throw(error)
    return child.switch(waited.result())
