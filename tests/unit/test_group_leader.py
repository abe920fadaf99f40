"""The group leader with writers on an event loop (:mod:`weighthouse.group_leader`,
:mod:`weighthouse.on_loop`): their groups are led by the queue's committer thread, so the loop
never blocks on a commit; they share commits with each other and with writer threads, and no
writer returns before the commit that holds its change."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from weighthouse.group_leader import GroupLeader, Ticket
from weighthouse.on_loop import run_on_loop

pytestmark = pytest.mark.unit


class Change(Ticket[int]):
    def __init__(self, value: int) -> None:
        super().__init__()
        self.value = value


class Store:
    """Commits groups of changes; remembers which values each commit made durable."""

    def __init__(self, *, delay: float = 0.0, fail: bool = False) -> None:
        self.leader: GroupLeader[Change] = GroupLeader(max_group=64)
        self.delay = delay
        self.fail = fail
        self.durable: set[int] = set()
        self.groups: list[list[int]] = []
        self.committers: set[str] = set()
        self._lock = threading.Lock()

    def write(self, value: int) -> int:
        result: int = self.leader.run(Change(value), self._commit)
        # The durability promise, checked where the writer returns.
        assert value in self.durable, f"{value} returned before its commit"
        return result

    def _commit(self, group: Sequence[Change]) -> None:
        self.committers.add(threading.current_thread().name)
        time.sleep(self.delay)  # the fsync
        for change in group:
            if self.fail:
                change.error = OSError("disk full")
            else:
                change.result = change.value * 10
        if not self.fail:
            with self._lock:
                self.durable.update(change.value for change in group)
                self.groups.append([change.value for change in group])


def test_writers_on_the_loop_share_commits_and_each_gets_its_own_result() -> None:
    store = Store(delay=0.01)

    async def main() -> list[int]:
        return await asyncio.gather(*(run_on_loop(lambda i=i: store.write(i)) for i in range(40)))

    assert asyncio.run(main()) == [i * 10 for i in range(40)]
    assert sorted(v for group in store.groups for v in group) == list(range(40))
    assert len(store.groups) < 10  # batched, not one commit each
    # The loop's thread never committed: the queue's own committer did.
    assert store.committers == {"weighthouse-group-commit"}


def test_the_loop_serves_other_work_while_a_commit_is_made() -> None:
    store = Store(delay=0.3)
    ticks: list[float] = []
    done: list[float] = []

    async def ticker() -> None:
        for _ in range(5):
            ticks.append(time.monotonic())
            await asyncio.sleep(0.02)

    def write() -> int:
        result = store.write(1)
        done.append(time.monotonic())
        return result

    async def main() -> None:
        await asyncio.gather(run_on_loop(write), ticker())

    asyncio.run(main())
    assert len(ticks) == 5 and ticks[-1] < done[0]


def test_writer_threads_and_loop_writers_commit_together_without_losing_anyone() -> None:
    store = Store(delay=0.002)
    threads_done: list[int] = []

    def thread_writer(base: int) -> None:
        for i in range(base, base + 20):
            threads_done.append(store.write(i))

    async def main() -> list[int]:
        return await asyncio.gather(
            *(run_on_loop(lambda i=i: store.write(i)) for i in range(1000, 1060))
        )

    with ThreadPoolExecutor(4) as pool:
        running = [pool.submit(thread_writer, base) for base in (0, 100, 200, 300)]
        from_loop = asyncio.run(main())
        for future in running:
            future.result(timeout=30)
    assert from_loop == [i * 10 for i in range(1000, 1060)]
    assert sorted(threads_done) == sorted(
        i * 10 for b in (0, 100, 200, 300) for i in range(b, b + 20)
    )
    assert len(store.durable) == 140


def test_a_failed_commit_reaches_every_loop_writer_of_the_group() -> None:
    store = Store(fail=True)

    async def main() -> list[Any]:
        return await asyncio.gather(
            *(
                run_on_loop(lambda i=i: store.leader.run(Change(i), store._commit))
                for i in range(8)
            ),
            return_exceptions=True,
        )

    outcomes = asyncio.run(main())
    assert all(isinstance(o, OSError) and str(o) == "disk full" for o in outcomes)


def test_loops_in_several_threads_each_get_their_own_wake_ups() -> None:
    store = Store(delay=0.005)
    results: dict[int, list[int]] = {}

    def one_loop(base: int) -> None:
        async def main() -> list[int]:
            return await asyncio.gather(
                *(run_on_loop(lambda i=i: store.write(i)) for i in range(base, base + 25))
            )

        results[base] = asyncio.run(main())

    threads = [threading.Thread(target=one_loop, args=(base,)) for base in (0, 100, 200)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert results == {b: [i * 10 for i in range(b, b + 25)] for b in (0, 100, 200)}


def test_a_commit_that_raises_fails_its_group_and_the_committer_goes_on() -> None:
    store = Store()
    broken = [True]

    def commit(group: Sequence[Change]) -> None:
        if broken.pop() if broken else False:
            raise RuntimeError("bug in the commit")
        store._commit(group)

    async def write(value: int) -> Any:
        try:
            return await run_on_loop(lambda: store.leader.run(Change(value), commit))
        except RuntimeError as exc:
            return str(exc)

    async def main() -> list[Any]:
        first = await asyncio.gather(*(write(i) for i in range(4)))
        assert first == ["bug in the commit"] * 4  # none of them told its change is stored
        return await asyncio.gather(*(write(i) for i in range(10, 14)))

    assert asyncio.run(main()) == [100, 110, 120, 130]  # the committer still serves
