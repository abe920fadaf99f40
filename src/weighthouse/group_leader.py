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

A writer running on an event loop (:mod:`weighthouse.on_loop`) queues its ticket the same way
but never leads, since the loop's thread must not block on a commit: the queue's committer
thread leads for it, and the writer awaits a future that the group's end resolves (one wake-up
of the loop per group, not per writer).
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Callable, Sequence
from contextlib import suppress
from typing import Any, Generic, TypeVar

from weighthouse.on_loop import on_loop, wait_on_loop

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
        # A writer on the event loop (weighthouse.on_loop) waits on this instead of its gate.
        self.waiter: asyncio.Future[None] | None = None

    def outcome(self) -> T:
        if self.error is not None:
            raise self.error
        result: T = self.result
        return result


class GroupLeader(Generic[K]):
    """The queue of one group commit; ``max_group`` caps the tickets one commit takes.

    Writers on the event loop (:func:`~weighthouse.on_loop.run_on_loop`) cannot lead: the
    loop's thread must not block on a commit. Their groups are led by a committer thread of the
    queue's own, started when first needed, which leads exactly as a writer thread would and
    is handed the lead as one would be."""

    def __init__(self, max_group: int) -> None:
        self.max_group = max_group
        self._lock = threading.Lock()
        self._queue: list[K] = []
        self._leading = False
        self._commit: Callable[[Sequence[K]], None] | None = None
        self._committer: threading.Thread | None = None
        self._committer_pid = -1
        self._committer_turn = threading.Semaphore(0)

    def run(self, ticket: K, commit: Callable[[Sequence[K]], None]) -> Any:
        """Queue ``ticket``; return its outcome once a group holding it has been committed by
        ``commit`` (in this thread or another). ``commit`` must settle every ticket it is given
        and not raise; ``done`` is set here. One queue takes one ``commit``."""
        self._commit = commit
        if on_loop():
            return self._run_on_loop(ticket)
        with self._lock:
            self._queue.append(ticket)
            follow = self._leading
            self._leading = True
        if follow:
            ticket.gate.acquire()
            if ticket.done:
                return ticket.outcome()
        self._lead(ticket, commit)
        return ticket.outcome()

    def _run_on_loop(self, ticket: K) -> Any:
        ticket.waiter = asyncio.get_running_loop().create_future()
        with self._lock:
            self._queue.append(ticket)
            lead = not self._leading
            self._leading = True
        if lead:
            # Not at once: the loop first runs the other requests that are ready (each may
            # queue a ticket), and the committer takes them all in one group. Woken at once,
            # it committed groups of one or two while the loop held the interpreter lock.
            ticket.waiter.get_loop().call_soon(self._hand_to_committer)
        wait_on_loop(ticket.waiter)
        return ticket.outcome()

    def _lead(self, own: K | None, commit: Callable[[Sequence[K]], None]) -> None:
        with self._lock:
            group = self._queue[: self.max_group]
            del self._queue[: self.max_group]
        try:
            commit(group)
        except BaseException as exc:  # a commit that broke its contract: nobody's change is done
            for member in group:
                member.result, member.error = None, exc
        finally:
            for member in group:
                member.done = True
            with self._lock:
                successor = self._queue[0] if self._queue else None
                self._leading = successor is not None
            _settle([member for member in group if member is not own])
            if successor is not None:
                if successor.waiter is None:
                    successor.gate.release()
                else:
                    self._hand_to_committer()

    def _hand_to_committer(self) -> None:
        """Let the committer thread lead the next group (starting it if there is none)."""
        with self._lock:
            # A forked child has none of its parent's threads: it starts its own.
            if self._committer is None or self._committer_pid != os.getpid():
                self._committer_turn = threading.Semaphore(0)
                self._committer = threading.Thread(
                    target=self._commit_turns,
                    args=(self._committer_turn,),
                    name="weighthouse-group-commit",
                    daemon=True,
                )
                self._committer_pid = os.getpid()
                self._committer.start()
            turn = self._committer_turn
        turn.release()

    def _commit_turns(self, turn: threading.Semaphore) -> None:
        while True:
            turn.acquire()
            commit = self._commit
            if commit is not None:
                self._lead(None, commit)


def _settle(members: Sequence[Ticket[Any]]) -> None:
    """Wake the writers of ``members``, whose group is done: threads through their gates,
    writers on an event loop through one call per loop (each call wakes the loop once)."""
    on_loops: dict[asyncio.AbstractEventLoop, list[asyncio.Future[None]]] = {}
    for member in members:
        if member.waiter is None:
            member.gate.release()
        else:
            on_loops.setdefault(member.waiter.get_loop(), []).append(member.waiter)
    for loop, waiters in on_loops.items():
        # A loop closed meanwhile has no writer left to wake (its server has stopped).
        with suppress(RuntimeError):
            loop.call_soon_threadsafe(_resolve, waiters)


def _resolve(waiters: Sequence[asyncio.Future[None]]) -> None:
    for waiter in waiters:
        if not waiter.done():
            waiter.set_result(None)
