"""Sliding-window limiters. The behaviour tests run against the memory limiter, the SQLite file
one and, when Redis is reachable, the Redis one; the clock is injected, so no test sleeps."""

from __future__ import annotations

import secrets
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import pytest
from tests.services import redis_url

from weighthouse.domain.errors import StorageError
from weighthouse.security.ratelimit import MemoryRateLimiter, RedisRateLimiter
from weighthouse.security.sqlite_ratelimit import SqliteRateLimiter

pytestmark = pytest.mark.unit

FIVE_MINUTES = timedelta(minutes=5)


class FakeClock:
    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = now  # an epoch-sized value, so precision loss in Redis would show

    def __call__(self) -> float:
        return self.now


Limiter = MemoryRateLimiter | RedisRateLimiter | SqliteRateLimiter


@pytest.fixture(
    params=[
        "memory",
        "sqlite",
        pytest.param("redis", marks=pytest.mark.integration),
    ]
)
def make(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Limiter, FakeClock]]:
    clock = FakeClock()
    if request.param == "memory":
        yield MemoryRateLimiter(clock=clock), clock
        return
    if request.param == "sqlite":
        file_limiter = SqliteRateLimiter(tmp_path / "ratelimits.db", clock=clock)
        try:
            yield file_limiter, clock
        finally:
            file_limiter.close()
        return
    prefix = f"weighthouse-test:{secrets.token_hex(6)}:"
    limiter = RedisRateLimiter(redis_url(), prefix=prefix, clock=clock)
    try:
        yield limiter, clock
    finally:
        keys = list(limiter._redis.scan_iter(match=prefix + "*"))
        if keys:
            limiter._redis.delete(*keys)
        limiter.close()


def test_allows_limit_then_says_how_long_to_wait(make: tuple[Limiter, FakeClock]) -> None:
    limiter, clock = make
    for _ in range(10):
        assert limiter.attempt("user:alice", 10, FIVE_MINUTES) is None
        clock.now += 1
    wait = limiter.attempt("user:alice", 10, FIVE_MINUTES)
    assert wait == pytest.approx(300 - 10, abs=1e-3)
    assert limiter.attempt("user:bob", 10, FIVE_MINUTES) is None  # keys are independent


def test_refused_attempts_are_not_counted(make: tuple[Limiter, FakeClock]) -> None:
    limiter, clock = make
    assert limiter.attempt("k", 1, timedelta(seconds=10)) is None
    for _ in range(50):
        clock.now += 0.1
        assert limiter.attempt("k", 1, timedelta(seconds=10)) is not None
    clock.now += 10 - 5 + 0.001  # ten seconds after the only counted attempt
    assert limiter.attempt("k", 1, timedelta(seconds=10)) is None


def test_window_slides(make: tuple[Limiter, FakeClock]) -> None:
    limiter, clock = make
    window = timedelta(seconds=60)
    for _ in range(3):
        assert limiter.attempt("ip:1", 3, window) is None
        clock.now += 20
    # t=60: the attempt at t=0 has just left the window, the ones at 20 and 40 still count.
    assert limiter.attempt("ip:1", 3, window) is None
    clock.now += 1
    wait = limiter.attempt("ip:1", 3, window)
    assert wait is not None
    assert wait == pytest.approx(19, abs=1e-3)
    clock.now += wait - 0.01
    assert limiter.attempt("ip:1", 3, window) is not None
    clock.now += 0.02
    assert limiter.attempt("ip:1", 3, window) is None


def test_retry_after_is_always_positive(make: tuple[Limiter, FakeClock]) -> None:
    limiter, clock = make
    # A millisecond of the window is left on the injected clock. The window itself is long,
    # as Redis expires the key on its own clock, which a busy machine can run past 5 ms.
    window = timedelta(seconds=30)
    assert limiter.attempt("k", 1, window) is None
    clock.now += 30 - 0.001
    wait = limiter.attempt("k", 1, window)
    assert wait is not None and wait > 0


def test_a_lower_limit_waits_for_enough_attempts_to_leave(
    make: tuple[Limiter, FakeClock],
) -> None:
    limiter, clock = make
    for _ in range(4):
        assert limiter.attempt("k", 4, timedelta(seconds=100)) is None
        clock.now += 10
    # At t=40 with a limit of 2, one attempt may remain: those at 0, 10 and 20 must leave, so
    # the wait lasts until t=120.
    assert limiter.attempt("k", 2, timedelta(seconds=100)) == pytest.approx(80, abs=1e-3)


def test_reset(make: tuple[Limiter, FakeClock]) -> None:
    limiter, _ = make
    for _ in range(5):
        limiter.attempt("user:carol", 5, FIVE_MINUTES)
    assert limiter.attempt("user:carol", 5, FIVE_MINUTES) is not None
    limiter.reset("user:carol")
    limiter.reset("user:nobody")
    assert limiter.attempt("user:carol", 5, FIVE_MINUTES) is None


@pytest.mark.parametrize(("limit", "window"), [(0, FIVE_MINUTES), (1, timedelta(0))])
def test_rejects_meaningless_limits(
    make: tuple[Limiter, FakeClock], limit: int, window: timedelta
) -> None:
    limiter, _ = make
    with pytest.raises(ValueError):
        limiter.attempt("k", limit, window)


def test_thread_safe_under_eight_threads(make: tuple[Limiter, FakeClock]) -> None:
    limiter, _ = make
    start = threading.Barrier(8)

    def hammer(_: int) -> int:
        start.wait()
        return sum(limiter.attempt("global", 100, FIVE_MINUTES) is None for _ in range(50))

    with ThreadPoolExecutor(max_workers=8) as pool:
        allowed = sum(pool.map(hammer, range(8)))
    assert allowed == 100


def test_memory_idle_keys_are_evicted() -> None:
    clock = FakeClock()
    limiter = MemoryRateLimiter(clock=clock)
    for i in range(100):
        limiter.attempt(f"ip:{i}", 10, timedelta(seconds=60))
    clock.now += 61
    for i in range(20):  # each call drops a few idle keys at the old end
        limiter.attempt(f"fresh:{i}", 10, timedelta(seconds=60))
    assert len(limiter) == 20


def test_memory_key_count_is_bounded() -> None:
    clock = FakeClock()
    limiter = MemoryRateLimiter(clock=clock, max_keys=1000)
    limiter.attempt("first", 1, FIVE_MINUTES)
    for i in range(5000):
        limiter.attempt(f"ip:{i}", 10, FIVE_MINUTES)
        assert len(limiter) <= 1000
    assert len(limiter) == 1000
    # The least recently used key went first, so its count was forgotten.
    assert limiter.attempt("first", 1, FIVE_MINUTES) is None


def test_memory_recent_use_protects_a_key_from_eviction() -> None:
    clock = FakeClock()
    limiter = MemoryRateLimiter(clock=clock, max_keys=3)
    limiter.attempt("victim", 1, FIVE_MINUTES)
    for i in range(10):
        limiter.attempt(f"noise:{i}", 10, FIVE_MINUTES)
        assert limiter.attempt("victim", 1, FIVE_MINUTES) is not None


def test_memory_rejects_no_room() -> None:
    with pytest.raises(ValueError):
        MemoryRateLimiter(max_keys=0)


@pytest.mark.integration
def test_redis_keys_expire_with_their_window() -> None:
    prefix = f"weighthouse-test:{secrets.token_hex(6)}:"
    limiter = RedisRateLimiter(redis_url(), prefix=prefix)  # the server's clock
    try:
        assert limiter.attempt("k", 2, timedelta(seconds=30)) is None
        assert limiter.attempt("k", 2, timedelta(seconds=30)) is None
        wait = limiter.attempt("k", 2, timedelta(seconds=30))
        assert wait is not None and 29 < wait <= 30
        assert 0 < limiter._redis.pttl(prefix + "k") <= 30_000
    finally:
        limiter._redis.delete(prefix + "k")
        limiter.close()


@pytest.mark.integration
def test_redis_failure_is_a_storage_error() -> None:
    limiter = RedisRateLimiter("redis://127.0.0.1:1/0", timeout_s=0.5)
    try:
        with pytest.raises(StorageError):
            limiter.attempt("k", 1, FIVE_MINUTES)
        with pytest.raises(StorageError):
            limiter.reset("k")
    finally:
        limiter.close()
