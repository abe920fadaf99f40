"""The hot requests' trip to a worker thread: the call's result or error comes back, it runs
in the executor's thread, and a caller cancelled meanwhile is cancelled only once the call has
ended."""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from weighthouse.frontends.thread_hops import in_thread

pytestmark = pytest.mark.unit


def test_the_result_and_the_error_come_back_from_the_executors_thread() -> None:
    with ThreadPoolExecutor(1, thread_name_prefix="hop") as executor:

        async def run() -> str:
            return await in_thread(executor, lambda: threading.current_thread().name)

        assert asyncio.run(run()).startswith("hop")

        def fail() -> None:
            raise LookupError("from the thread")

        with pytest.raises(LookupError, match="from the thread"):
            asyncio.run(in_thread(executor, fail))


def test_a_cancelled_caller_waits_for_the_call_to_end() -> None:
    started, release = threading.Event(), threading.Event()
    ended: list[str] = []

    def slow() -> None:
        started.set()
        release.wait(10)
        ended.append("call")

    async def run() -> None:
        task = asyncio.create_task(in_thread(executor, slow))
        await asyncio.get_running_loop().run_in_executor(None, started.wait, 10)
        task.cancel()
        await asyncio.sleep(0.05)
        assert not task.done()  # still waiting for the call, though cancelled twice now
        task.cancel()
        await asyncio.sleep(0.05)
        assert not task.done()
        release.set()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert ended == ["call"]

    with ThreadPoolExecutor(1) as executor:
        asyncio.run(run())
