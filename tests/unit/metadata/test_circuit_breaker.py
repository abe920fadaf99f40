"""The catalog's circuit breaker, with a hand-driven clock."""

from __future__ import annotations

import pytest

from weighthouse.domain.errors import InvalidInputError, StorageError
from weighthouse.metadata.circuit_breaker import CircuitBreaker


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def unreachable(exc: BaseException) -> bool:
    return type(exc) is StorageError


def breaker(clock: Clock) -> CircuitBreaker:
    return CircuitBreaker(failures=2, cooldown=5.0, is_unreachable=unreachable, clock=clock)


def fail(guard: CircuitBreaker, error: Exception | None = None) -> None:
    with pytest.raises(type(error or StorageError("timed out"))), guard.call():
        raise error or StorageError("timed out")


def succeed(guard: CircuitBreaker) -> None:
    with guard.call():
        pass


def test_it_opens_after_consecutive_failures_and_then_refuses_without_calling() -> None:
    clock = Clock()
    guard = breaker(clock)
    fail(guard)
    assert not guard.is_open
    fail(guard)
    assert guard.is_open
    ran = False
    with pytest.raises(StorageError, match="unavailable"), guard.call():
        ran = True
    assert not ran


def test_a_success_between_failures_resets_the_count() -> None:
    guard = breaker(Clock())
    fail(guard)
    succeed(guard)
    fail(guard)
    assert not guard.is_open


def test_errors_that_show_a_working_database_do_not_count() -> None:
    guard = breaker(Clock())
    for _ in range(5):
        fail(guard, InvalidInputError("no"))
    assert not guard.is_open


def test_after_the_cooldown_one_probe_goes_through_and_its_success_closes() -> None:
    clock = Clock()
    guard = breaker(clock)
    fail(guard)
    fail(guard)
    clock.now = 5.0
    probe = guard.call()
    probe.__enter__()
    with pytest.raises(StorageError), guard.call():  # another call while the probe runs
        pytest.fail("a second call went through while the probe was in flight")
    probe.__exit__(None, None, None)
    assert not guard.is_open
    succeed(guard)


def test_a_failed_probe_opens_it_for_another_cooldown() -> None:
    clock = Clock()
    guard = breaker(clock)
    fail(guard)
    fail(guard)
    clock.now = 6.0
    fail(guard)  # the probe
    clock.now = 10.0
    with pytest.raises(StorageError), guard.call():
        pytest.fail("called while open")
    clock.now = 11.0
    succeed(guard)
    assert not guard.is_open


def test_nonsense_settings_are_refused() -> None:
    with pytest.raises(ValueError):
        CircuitBreaker(failures=0, cooldown=1.0, is_unreachable=unreachable)
    with pytest.raises(ValueError):
        CircuitBreaker(failures=1, cooldown=0.0, is_unreachable=unreachable)
