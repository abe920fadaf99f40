"""The SQLite file limiter: what the shared behaviour tests in ``test_ratelimit.py`` cannot show,
that separate processes count together, and what happens to the file."""

from __future__ import annotations

import multiprocessing
import stat
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from weighthouse.domain.errors import StorageError
from weighthouse.security.sqlite_ratelimit import SqliteRateLimiter

pytestmark = pytest.mark.unit

WINDOW = timedelta(minutes=5)
PROCESSES = 4
TRIES = 40
LIMIT = 25


class FakeClock:
    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def _hammer(path: str, start: Any, results: Any) -> None:
    limiter = SqliteRateLimiter(Path(path))
    try:
        start.wait(timeout=30)
        results.put(sum(limiter.attempt("signin:a", LIMIT, WINDOW) is None for _ in range(TRIES)))
    finally:
        limiter.close()


def test_processes_sharing_the_file_count_together(tmp_path: Path) -> None:
    # Separate interpreters, as the server's worker processes are: each would allow LIMIT on
    # its own, so anything above LIMIT in total means the counts were not shared.
    context = multiprocessing.get_context("spawn")
    start, results = context.Barrier(PROCESSES), context.Queue()
    path = str(tmp_path / "ratelimits.db")
    workers = [
        context.Process(target=_hammer, args=(path, start, results)) for _ in range(PROCESSES)
    ]
    for worker in workers:
        worker.start()
    try:
        allowed = [results.get(timeout=60) for _ in workers]
    finally:
        for worker in workers:
            worker.join(timeout=30)
            if worker.exitcode is None:
                worker.kill()
                worker.join()
    assert sum(allowed) == LIMIT


def test_two_limiters_on_one_file_see_each_others_attempts(tmp_path: Path) -> None:
    clock = FakeClock()
    first = SqliteRateLimiter(tmp_path / "r.db", clock=clock)
    second = SqliteRateLimiter(tmp_path / "r.db", clock=clock)
    try:
        assert first.attempt("k", 2, WINDOW) is None
        assert second.attempt("k", 2, WINDOW) is None
        assert first.attempt("k", 2, WINDOW) == pytest.approx(300, abs=1e-3)
        second.reset("k")
        assert first.attempt("k", 2, WINDOW) is None
    finally:
        first.close()
        second.close()


def test_counts_survive_a_restart(tmp_path: Path) -> None:
    clock = FakeClock()
    before = SqliteRateLimiter(tmp_path / "r.db", clock=clock)
    assert before.attempt("k", 1, WINDOW) is None
    before.close()
    after = SqliteRateLimiter(tmp_path / "r.db", clock=clock)
    try:
        assert after.attempt("k", 1, WINDOW) is not None
    finally:
        after.close()


def test_attempts_of_idle_keys_are_dropped(tmp_path: Path) -> None:
    clock = FakeClock()
    limiter = SqliteRateLimiter(tmp_path / "r.db", clock=clock)
    try:
        for i in range(100):
            limiter.attempt(f"ip:{i}", 10, timedelta(seconds=60))
        clock.now += 61
        for i in range(3):  # each call drops up to 64 expired attempts of other keys
            limiter.attempt(f"fresh:{i}", 10, timedelta(seconds=60))
        assert len(limiter) == 3
    finally:
        limiter.close()


def test_the_file_is_created_on_first_use_and_private(tmp_path: Path) -> None:
    path = tmp_path / "run" / "ratelimits.db"
    limiter = SqliteRateLimiter(path)
    try:
        assert not path.exists()  # a process that never counts leaves nothing behind
        limiter.attempt("k", 1, WINDOW)
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    finally:
        limiter.close()


def test_an_unusable_file_is_a_storage_error(tmp_path: Path) -> None:
    (tmp_path / "ratelimits.db").mkdir()  # a directory where the file should be
    limiter = SqliteRateLimiter(tmp_path / "ratelimits.db")
    with pytest.raises(StorageError):
        limiter.attempt("k", 1, WINDOW)
    with pytest.raises(StorageError):
        limiter.reset("k")


def test_a_corrupt_file_is_a_storage_error(tmp_path: Path) -> None:
    path = tmp_path / "ratelimits.db"
    path.write_bytes(b"not a database" * 100)
    limiter = SqliteRateLimiter(path)
    with pytest.raises(StorageError):
        limiter.attempt("k", 1, WINDOW)
