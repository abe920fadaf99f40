"""A circuit breaker for the catalog's database.

During a silent partition every catalog call waits out its timeouts (pool, connect, statement)
before it fails, and with a few threads for catalog calls every request queues behind those
waits. A :class:`CircuitBreaker` counts consecutive calls that failed because the database did
not answer or could not be reached; after ``failures`` of them it opens, and calls fail at once
with :class:`StorageError` (503 with ``Retry-After``) for ``cooldown`` seconds. Then it lets one
call through (half-open): if that call gets an answer the breaker closes, if not it opens for
another cooldown, while every other call keeps failing at once.

Failures that show a working database (a deadlock, a serialization failure, a full disk, a
constraint) never count: only :class:`StorageError` itself, whose cause is not transient.
Counts are per process, like the connection pools they protect.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager

from weighthouse.domain.errors import StorageError


class CircuitBreaker:
    """Fails calls fast after ``failures`` consecutive unreachable-database failures.

    Safe to share between threads. ``is_unreachable`` decides which exceptions count; anything
    else a call raises (or a normal return) shows that the database answered.
    """

    def __init__(
        self,
        *,
        failures: int,
        cooldown: float,
        is_unreachable: Callable[[BaseException], bool],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if failures < 1 or cooldown <= 0:
            raise ValueError("a circuit breaker needs failures >= 1 and cooldown > 0")
        self.failures = failures
        self.cooldown = cooldown
        self._is_unreachable = is_unreachable
        self._clock = clock
        self._lock = threading.Lock()
        self._failed = 0  # consecutive failures
        self._open_until: float | None = None  # None: closed
        self._probing = False  # a half-open call is in flight
        self._guarded = _Guarded(self)

    @property
    def is_open(self) -> bool:
        """Whether calls are being refused (or only one probe admitted) now."""
        with self._lock:
            return self._open_until is not None

    def call(self) -> AbstractContextManager[None]:
        """A context manager: run the block as one guarded call; ``StorageError`` at once
        while open."""
        return self._guarded

    def admit(self) -> None:
        """Begin a guarded call: return, or raise ``StorageError`` while the breaker is open.
        Every call that returns must be followed by one :meth:`settle`."""
        # A closed breaker is read without the lock (one attribute, as the lock would see it
        # a moment earlier or later): the hottest reads pass here twice a request.
        if self._open_until is None:
            return
        with self._lock:
            if self._open_until is None:
                return
            wait = self._open_until - self._clock()
            if wait > 0 or self._probing:
                raise StorageError(
                    "catalog database unavailable: it did not answer the last "
                    f"{self._failed} calls; the next try is in {max(wait, 0):.0f} s"
                )
            self._probing = True  # this call is the probe; the others keep failing fast

    def settle(self, failure: BaseException | None) -> None:
        """End a guarded call that raised ``failure`` (``None``: it returned)."""
        failed = failure is not None and self._is_unreachable(failure)
        if not failed and self._failed == 0 and self._open_until is None and not self._probing:
            return  # nothing to reset: spares the lock on the hot path
        with self._lock:
            self._probing = False
            if not failed:
                self._failed = 0
                self._open_until = None
                return
            self._failed += 1
            if self._failed >= self.failures:
                self._open_until = self._clock() + self.cooldown


class _Guarded:
    """The context manager of :meth:`CircuitBreaker.call`; it keeps no state of a call, so one
    serves every call. (A class: cheaper than a generator's, and every catalog call enters
    one.)"""

    __slots__ = ("breaker",)

    def __init__(self, breaker: CircuitBreaker) -> None:
        self.breaker = breaker

    def __enter__(self) -> None:
        self.breaker.admit()

    def __exit__(self, kind: object, exc: BaseException | None, traceback: object) -> None:
        self.breaker.settle(exc)
