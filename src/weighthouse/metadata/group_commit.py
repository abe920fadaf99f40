"""Group commit: small writes from concurrent threads share one transaction and one commit.

SQLite has one writer at a time and, with ``synchronous=FULL``, flushes its log on every commit.
Concurrent small writes (bucket PUTs) therefore queue for the write lock and pay one flush each.
:class:`GroupCommit` lets them ride together: a thread that arrives while a batch is being
committed waits; when the batch is done, the thread of the oldest waiting job is woken to lead
the next batch with every job queued meanwhile (up to a cap), runs each job in a savepoint of
one write transaction, commits once, and hands each thread its own result. Each thread returns
only after the commit that holds its write, so a write acknowledged to a client is as durable as
with a transaction of its own.

A job is one callable that takes the connection and returns its result. A job that raises
(a precondition that does not hold, a row that breaks a constraint) is rolled back to its
savepoint and fails alone (a job declared to fail cleanly needs no savepoint: SQLite undoes a
failed statement by itself and the transaction goes on, so it runs without the two extra
statements); a failure of the database itself (a lost lock, a full disk, the
commit) fails the whole batch, which is run again when the failure was transient
(:func:`~weighthouse.metadata.transactions.run_retrying`), since a rolled-back batch changed
nothing. Jobs of one batch run in arrival order, exactly as if each had committed on its own
in that order, so a compare-and-swap sees the writes of the jobs before it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any, TypeVar
from weakref import WeakKeyDictionary

from sqlalchemy import Connection, Engine
from sqlalchemy import exc as sa_exc

from weighthouse.group_leader import GroupLeader, Ticket
from weighthouse.metadata.transactions import run_retrying, transaction

T = TypeVar("T")

# Enough to absorb every request thread of a worker; a cap keeps one transaction short.
MAX_BATCH = 64


class _Ticket(Ticket[T]):
    def __init__(self, job: Callable[[Connection], T], fails_cleanly: bool) -> None:
        super().__init__()
        self.job = job
        self.fails_cleanly = fails_cleanly
        # Filled while a batch runs; copied to result/error only once the batch has committed.
        self.pending: list[Any] = []


class GroupCommit:
    """Runs write jobs on ``engine`` in shared transactions (see the module docstring).

    ``commits`` counts the transactions committed, ``jobs`` the jobs they held: a test or a
    probe reads how much was batched.
    """

    def __init__(self, engine: Engine, *, max_batch: int = MAX_BATCH) -> None:
        self._engine = engine
        self._leader: GroupLeader[_Ticket[Any]] = GroupLeader(max_batch)
        self._lock = threading.Lock()
        self.commits = 0
        self.jobs = 0

    def run(self, job: Callable[[Connection], T], *, fails_cleanly: bool = False) -> T:
        """Run ``job`` in a committed write transaction, possibly shared with other threads'
        jobs; return its result or raise its error once that transaction has committed (or
        failed). Database failures surface as ``StorageError``, as for any catalog call.

        ``fails_cleanly`` promises that a failure of the job leaves no change of its own: it
        changes nothing before the one statement that may fail on its own (a constraint), and
        nothing after that statement can fail but the database itself, which fails the batch."""
        ticket: _Ticket[T] = _Ticket(job, fails_cleanly)
        outcome: T = self._leader.run(ticket, self._commit)
        return outcome

    def _commit(self, batch: Sequence[_Ticket[Any]]) -> None:
        try:
            run_retrying(lambda: self._attempt(batch))
        except BaseException as exc:
            for ticket in batch:
                ticket.result, ticket.error = None, exc
        else:
            for ticket in batch:
                ticket.result, ticket.error = ticket.pending
            with self._lock:
                self.commits += 1
                self.jobs += len(batch)

    def _attempt(self, batch: Sequence[_Ticket[Any]]) -> None:
        with transaction(self._engine, write=True) as connection:
            for ticket in batch:
                ticket.pending = [None, None]
                if len(batch) == 1:
                    ticket.pending[0] = ticket.job(connection)
                    continue
                if ticket.fails_cleanly:
                    try:
                        ticket.pending[0] = ticket.job(connection)
                    except sa_exc.IntegrityError as exc:
                        ticket.pending[1] = exc
                    except sa_exc.DBAPIError:
                        raise
                    except Exception as exc:
                        ticket.pending[1] = exc
                    continue
                savepoint = connection.begin_nested()
                try:
                    ticket.pending[0] = ticket.job(connection)
                except sa_exc.IntegrityError as exc:
                    savepoint.rollback()
                    ticket.pending[1] = exc
                except sa_exc.DBAPIError:
                    raise  # the database failed, not the job: the batch goes (and may retry)
                except Exception as exc:
                    savepoint.rollback()
                    ticket.pending[1] = exc
                else:
                    savepoint.commit()


_GROUPS: WeakKeyDictionary[Engine, GroupCommit] = WeakKeyDictionary()
_GROUPS_LOCK = threading.Lock()


def for_engine(engine: Engine) -> GroupCommit | None:
    """The one group commit of ``engine`` (so every catalog on it batches together), where it
    pays: SQLite, whose single writer makes every commit wait for the one before. PostgreSQL and
    MariaDB commit concurrent transactions in parallel and batch their log flushes themselves,
    and a shared transaction there would only hold row locks longer."""
    if engine.dialect.name != "sqlite":
        return None
    with _GROUPS_LOCK:
        group = _GROUPS.get(engine)
        if group is None:
            group = _GROUPS[engine] = GroupCommit(engine)
        return group
