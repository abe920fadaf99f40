"""Sliding-window rate limiters: per process in memory, or shared by every process in Redis
(or, on one host, in a file: :mod:`weighthouse.security.sqlite_ratelimit`).

A key remembers the times of its counted attempts within the window, so an attempt is refused
exactly while ``limit`` others happened in the last ``window``; refused attempts are not
counted, which keeps a key's memory at ``limit`` entries at most.
"""

from __future__ import annotations

import math
import secrets
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from weighthouse.domain.errors import StorageError

if TYPE_CHECKING:
    import redis

MAX_KEYS = 100_000


def check_window(limit: int, window: timedelta) -> float:
    """The window in seconds; raises ``ValueError`` for a limit below 1 or an empty window."""
    if limit < 1:
        raise ValueError("limit must be at least 1")
    seconds = window.total_seconds()
    if seconds <= 0:
        raise ValueError("window must be positive")
    return seconds


@dataclass(slots=True)
class _Window:
    times: deque[float] = field(default_factory=deque)
    idle_at: float = 0.0  # when the newest counted attempt leaves the window


class MemoryRateLimiter:
    """Implements ``RateLimiter`` within one process. Thread-safe.

    At most ``max_keys`` keys are kept: a key whose attempts have all left the window is
    dropped when met at the old end, and past ``max_keys`` the least recently used key is
    dropped even if it is still counting. Several processes each count on their own; use
    ``RedisRateLimiter`` to share counts.
    """

    def __init__(
        self, clock: Callable[[], float] = time.monotonic, max_keys: int = MAX_KEYS
    ) -> None:
        if max_keys < 1:
            raise ValueError("max_keys must be at least 1")
        self._clock = clock
        self._max_keys = max_keys
        self._windows: OrderedDict[str, _Window] = OrderedDict()
        self._lock = threading.Lock()

    def attempt(self, key: str, limit: int, window: timedelta) -> float | None:
        seconds = check_window(limit, window)
        with self._lock:
            now = self._clock()
            self._evict_idle(now)
            state = self._windows.get(key)
            if state is None:
                state = self._windows[key] = _Window()
                if len(self._windows) > self._max_keys:
                    self._windows.popitem(last=False)
            else:
                self._windows.move_to_end(key)
            times = state.times
            while times and times[0] <= now - seconds:
                times.popleft()
            if len(times) >= limit:
                # Only the attempts that still count decide when one is next allowed.
                return max(times[-limit] + seconds - now, 1e-6)
            times.append(now)
            state.idle_at = now + seconds
            return None

    def reset(self, key: str) -> None:
        with self._lock:
            self._windows.pop(key, None)

    def __len__(self) -> int:
        """The number of keys held, idle ones not yet dropped included."""
        with self._lock:
            return len(self._windows)

    def _evict_idle(self, now: float) -> None:
        # Keys are in order of last use, so idle ones gather at the front; a few are dropped per
        # call, which keeps each call's cost bounded.
        for _ in range(8):
            if not self._windows:
                return
            oldest = next(iter(self._windows.values()))
            if oldest.idle_at > now:
                return
            self._windows.popitem(last=False)


# KEYS[1]: the sorted set; ARGV: now in microseconds ("" for the server's clock), window in
# microseconds, limit, a unique member. Returns nil when counted, else microseconds to wait.
_ATTEMPT_SCRIPT = """
local now = tonumber(ARGV[1])
if now == nil then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000000 + tonumber(t[2])
end
local window = tonumber(ARGV[2])
local limit = tonumber(ARGV[3])
-- Numbers go to Redis as strings; '%.0f' keeps all 16 digits where the default would round.
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', string.format('%.0f', now - window))
if redis.call('ZCARD', KEYS[1]) >= limit then
  local first = redis.call('ZRANGE', KEYS[1], -limit, -limit, 'WITHSCORES')
  return math.max(1, tonumber(first[2]) + window - now)
end
redis.call('ZADD', KEYS[1], string.format('%.0f', now), ARGV[4])
redis.call('PEXPIRE', KEYS[1], string.format('%.0f', math.ceil(window / 1000)))
return false
"""


class RedisRateLimiter:
    """Implements ``RateLimiter`` in Redis, shared by every process that uses the same server.

    Each key is a sorted set of attempt times, updated atomically by one Lua script and set to
    expire with its window, so Redis keeps no idle keys. Times come from the Redis server's
    clock, so the processes' clocks need not agree; ``clock`` (seconds) replaces it in tests.
    A Redis failure raises ``StorageError``; whether to let the attempt through is the caller's
    decision.
    """

    def __init__(
        self,
        url: str,
        *,
        prefix: str = "weighthouse:ratelimit:",
        clock: Callable[[], float] | None = None,
        timeout_s: float = 2.0,
    ) -> None:
        import redis as redis_module  # an optional dependency, needed only here

        self._redis: redis.Redis = redis_module.Redis.from_url(
            url, socket_timeout=timeout_s, socket_connect_timeout=timeout_s
        )
        self._errors = (redis_module.RedisError,)
        self._script: Any = self._redis.register_script(_ATTEMPT_SCRIPT)
        self._prefix = prefix
        self._clock = clock

    def attempt(self, key: str, limit: int, window: timedelta) -> float | None:
        seconds = check_window(limit, window)
        now = "" if self._clock is None else str(math.floor(self._clock() * 1e6))
        window_us = max(1, math.ceil(seconds * 1e6))
        args = [now, window_us, limit, secrets.token_hex(8)]
        try:
            wait_us = self._script(keys=[self._prefix + key], args=args)
        except self._errors as exc:
            raise StorageError("the rate limiter's Redis failed", reason=str(exc)) from exc
        return None if wait_us is None else int(wait_us) / 1e6

    def reset(self, key: str) -> None:
        try:
            self._redis.delete(self._prefix + key)
        except self._errors as exc:
            raise StorageError("the rate limiter's Redis failed", reason=str(exc)) from exc

    def close(self) -> None:
        self._redis.close()
