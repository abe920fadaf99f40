"""Who leads a group commit, and how waiting writers are woken: the part the catalog's group
commit (:mod:`weighthouse.metadata.group_commit`) and the small-blob database's
(:mod:`weighthouse.blobs.small`) share.

Writers queue tickets. A writer that finds no group in progress leads one: it takes the queued
tickets (its own first, up to a cap), commits them together with the caller's ``commit``, and
settles each. Every other writer waits on its ticket's own gate, so it is woken alone, when its
ticket is done or when it is to lead the next group; the lead passes only to the oldest queued
ticket, so a leader's own ticket is always in the group it commits, and no writer returns before
the commit that holds its change. (Waking every waiter at each commit cost a context switch per
waiter per group; the cap once let a leader commit a group without its own ticket and return
early, a durability bug, which the oldest-first hand-off rules out.)
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

T = TypeVar("T")
K = TypeVar("K", bound="Ticket[Any]")


class Ticket(Generic[T]):
    """One writer's change. The leader's ``commit`` sets ``result`` or ``error``; ``done`` is
    set for it once the group has committed or failed."""

    def __init__(self) -> None:
        self.result: Any = None
        self.error: BaseException | None = None
        self.done = False
        self.gate = threading.Lock()
        self.gate.acquire()  # held until done, or handed the lead

    def outcome(self) -> T:
        if self.error is not None:
            raise self.error
        result: T = self.result
        return result


class GroupLeader(Generic[K]):
    """The queue of one group commit; ``max_group`` caps the tickets one commit takes."""

    def __init__(self, max_group: int) -> None:
        self.max_group = max_group
        self._lock = threading.Lock()
        self._queue: list[K] = []
        self._leading = False

    def run(self, ticket: K, commit: Callable[[Sequence[K]], None]) -> Any:
        """Queue ``ticket``; return its outcome once a group holding it has been committed by
        ``commit`` (in this thread or another). ``commit`` must settle every ticket it is given
        and not raise; ``done`` is set here."""
        with self._lock:
            self._queue.append(ticket)
            follow = self._leading
            self._leading = True
        if follow:
            ticket.gate.acquire()
            if ticket.done:
                return ticket.outcome()
        with self._lock:
            group = self._queue[: self.max_group]
            del self._queue[: self.max_group]
        try:
            commit(group)
        finally:
            for member in group:
                member.done = True
            with self._lock:
                successor = self._queue[0] if self._queue else None
                self._leading = successor is not None
            for member in group:
                if member is not ticket:
                    member.gate.release()
            if successor is not None:
                successor.gate.release()
        return ticket.outcome()
