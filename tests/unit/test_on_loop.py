"""Synchronous calls run on the event loop (:mod:`weighthouse.on_loop`): where they wait, the
loop goes on serving others; their results, errors, context and cancellation behave as a
worker thread's would."""

from __future__ import annotations

import asyncio
import contextvars
import time

import pytest

from weighthouse.on_loop import on_loop, pause, run_on_loop, wait_on_loop

pytestmark = pytest.mark.unit

REQUEST = contextvars.ContextVar[str]("request", default="none")


def test_a_call_returns_its_value_and_knows_it_runs_on_the_loop() -> None:
    async def main() -> tuple[bool, bool, int]:
        inside = await run_on_loop(on_loop)
        return inside, on_loop(), await run_on_loop(lambda: 6 * 7)

    assert asyncio.run(main()) == (True, False, 42)


def test_while_a_call_waits_the_loop_runs_other_calls_on_the_same_thread() -> None:
    order: list[str] = []

    async def main() -> None:
        released = asyncio.Event()

        def waiting() -> str:
            order.append("a waits")
            wait_on_loop(released.wait())
            order.append("a resumed")
            return "a"

        def releasing() -> str:
            order.append("b runs")
            released.set()
            return "b"

        assert await asyncio.gather(run_on_loop(waiting), run_on_loop(releasing)) == ["a", "b"]

    asyncio.run(main())
    assert order == ["a waits", "b runs", "a resumed"]


def test_an_error_of_what_is_awaited_is_raised_where_the_call_waits() -> None:
    async def failing() -> None:
        raise KeyError("gone")

    def call() -> str:
        try:
            wait_on_loop(failing())
        except KeyError as exc:
            return f"caught {exc}"
        return "not raised"

    assert asyncio.run(run_on_loop(call)) == "caught 'gone'"


def test_an_error_of_the_call_reaches_its_caller() -> None:
    def call() -> None:
        wait_on_loop(asyncio.sleep(0))
        raise ValueError("bad input")

    with pytest.raises(ValueError, match="bad input"):
        asyncio.run(run_on_loop(call))


def test_a_cancelled_caller_lets_the_call_finish_then_is_cancelled() -> None:
    finished: list[str] = []

    async def main() -> None:
        commit: asyncio.Future[str] = asyncio.get_running_loop().create_future()

        def call() -> None:
            finished.append(wait_on_loop(commit))  # a commit goes on whoever stops waiting

        task = asyncio.create_task(run_on_loop(call))
        await asyncio.sleep(0.01)
        task.cancel()
        await asyncio.sleep(0.01)
        assert not task.done() and finished == []  # still waiting for its commit
        commit.set_result("committed")
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(main())
    assert finished == ["committed"]


def test_a_call_sees_its_callers_context_and_changes_only_its_own_copy() -> None:
    async def main() -> tuple[str, str]:
        REQUEST.set("r-1")

        def call() -> str:
            seen = REQUEST.get()
            REQUEST.set("changed")
            return seen

        seen = await run_on_loop(call)
        return seen, REQUEST.get()

    assert asyncio.run(main()) == ("r-1", "r-1")


def test_waiting_outside_a_loop_call_is_refused() -> None:
    awaitable = asyncio.sleep(0)
    with pytest.raises(RuntimeError, match="outside run_on_loop"):
        wait_on_loop(awaitable)
    awaitable.close()


def test_a_pause_on_the_loop_leaves_it_free_and_off_it_sleeps() -> None:
    ticks: list[float] = []
    ended: list[float] = []

    def paused() -> None:
        pause(0.2)
        ended.append(time.monotonic())

    async def ticker() -> None:
        for _ in range(5):
            ticks.append(time.monotonic())
            await asyncio.sleep(0.01)

    async def main() -> None:
        await asyncio.gather(run_on_loop(paused), ticker())

    asyncio.run(main())
    assert len(ticks) == 5 and ticks[-1] < ended[0]  # every tick came during the pause
    started = time.monotonic()
    pause(0.05)
    assert time.monotonic() - started >= 0.05
