"""Slots for streaming uploads, bounded per account and per client address.

Every upload holds a thread for as long as its body streams, and the server runs a bounded
number of them at once (``server.max_transfers``). Without a share per caller, one account, or
one address, could take every slot with uploads that never finish and make every other upload
wait. :class:`TransferSlots` gives each account and each address at most a fixed number of
slots; a request beyond its share gets ``RateLimitedError`` (429 with ``Retry-After``) at once
rather than waiting. A slot is held only for the life of its request, so it is released when
the upload completes, fails, or is cut off by the server's body idle timeout.

Counts are per server process, like the connections they ride on.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager

from weighthouse.domain.errors import RateLimitedError

RETRY_AFTER_SECONDS = 5.0
"""What a refused caller is told to wait: long enough for a small upload to end."""


class TransferSlots:
    """Counts the uploads each account and each client address has in flight.

    Safe to use from the event loop and from worker threads (a route that authenticates in
    its upload's thread takes the account's slot there).
    """

    def __init__(self, *, per_account: int, per_client: int) -> None:
        self.per_account = per_account
        self.per_client = per_client
        self._accounts: Counter[str] = Counter()
        self._clients: Counter[str] = Counter()
        self._lock = threading.Lock()

    def in_use(self, *, account: str | None = None, client: str | None = None) -> int:
        """Slots held by ``account`` (or by ``client`` when no account is given)."""
        if account is not None:
            return self._accounts[account]
        return self._clients[client] if client is not None else 0

    @contextmanager
    def hold(self, *, account: str | None, client: str | None) -> Iterator[None]:
        """Hold one slot of ``account`` and one of ``client`` for the ``with`` block.

        Raises ``RateLimitedError`` without waiting when either has none left. ``None`` (an
        anonymous caller, an unknown address) is not counted on that side.
        """
        with self._lock:
            if account is not None and self._accounts[account] >= self.per_account:
                raise RateLimitedError(
                    f"this account has {self.per_account} uploads in progress; retry when one ends",
                    retry_after=RETRY_AFTER_SECONDS,
                )
            if client is not None and self._clients[client] >= self.per_client:
                raise RateLimitedError(
                    f"this address has {self.per_client} uploads in progress; retry when one ends",
                    retry_after=RETRY_AFTER_SECONDS,
                )
            if account is not None:
                self._accounts[account] += 1
            if client is not None:
                self._clients[client] += 1
        try:
            yield
        finally:
            with self._lock:
                if account is not None:
                    self._release(self._accounts, account)
                if client is not None:
                    self._release(self._clients, client)

    @staticmethod
    def _release(counts: Counter[str], key: str) -> None:
        counts[key] -= 1
        if counts[key] <= 0:
            del counts[key]  # keep the table as small as the set of active callers
