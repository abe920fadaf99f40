"""Transactions of the catalog: one per call, or one shared by every call of a unit of work;
database failures as :class:`StorageError`; and retries of transactions a database aborted only
because of a concurrent one.

A unit of work (:func:`unit`) keeps its connection in a context variable, keyed by engine and
owned by the thread that opened it. :func:`transaction` joins that connection when it is called
inside the unit, in the unit's thread, and otherwise opens a transaction of its own. Retries
happen only at the outermost level, where the whole transaction can be run again: a statement
that failed inside a unit has taken the unit's transaction with it (PostgreSQL aborts it,
MariaDB rolls it back on a deadlock), so running the statement alone again cannot help.

An engine may be guarded by a :class:`CircuitBreaker` (:func:`guard`): every connection the
outermost transaction or unit opens goes through it, so a database that stopped answering makes
calls fail at once instead of each waiting out its timeouts.
"""

from __future__ import annotations

import functools
import random
import threading
import weakref
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager, nullcontext, suppress
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import ParamSpec, TypeVar

from sqlalchemy import Connection, Engine, NestedTransaction
from sqlalchemy import exc as sa_exc

from weighthouse.domain.errors import StorageError, StorageFullError
from weighthouse.metadata.circuit_breaker import CircuitBreaker
from weighthouse.metadata.commit_actions import run_actions
from weighthouse.metadata.engine import WRITE
from weighthouse.metadata.writer_turns import turns_of
from weighthouse.on_loop import pause

P = ParamSpec("P")
T = TypeVar("T")

ATTEMPTS = 5
_PG_TRANSIENT = {"40001", "40P01"}  # serialization_failure, deadlock_detected
_MYSQL_TRANSIENT = {1205, 1213}  # lock wait timeout, deadlock
_SQLITE_TRANSIENT = {5, 6}  # SQLITE_BUSY, SQLITE_LOCKED
_PG_FULL = {"53100"}  # disk_full
_MYSQL_FULL = {1021, 1114}  # ER_DISK_FULL, ER_RECORD_FILE_FULL (the table is full)
_SQLITE_FULL = 13


class _Translated:
    """The context manager of :func:`translate_errors`; it keeps no state, so one serves all.
    (A class: a generator's context manager costs four times as much to enter and leave, and
    every catalog call passes here.)"""

    __slots__ = ()

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: object, exc: BaseException | None, traceback: object) -> None:
        if isinstance(exc, sa_exc.SQLAlchemyError):
            failure = storage_failure(exc)
            if failure is not None:
                raise failure from exc


_TRANSLATED = _Translated()


def translate_errors() -> AbstractContextManager[None]:
    """A context manager: re-raise a failure to reach or use the database as
    :class:`StorageError`.

    Integrity and programming errors pass through: the caller maps the former to a domain
    error, and the latter are bugs.
    """
    return _TRANSLATED


def storage_failure(exc: BaseException) -> StorageError | None:
    """The :class:`StorageError` that :func:`translate_errors` raises for ``exc``, or ``None``
    for an exception it lets through."""
    if isinstance(exc, sa_exc.OperationalError | sa_exc.InterfaceError):
        if is_out_of_space(exc):
            return StorageFullError(f"catalog database is out of space: {exc.orig}")
        return StorageError(f"catalog database failed: {exc.orig}")
    if isinstance(exc, sa_exc.DBAPIError):
        if exc.connection_invalidated:
            return StorageError(f"catalog database connection lost: {exc.orig}")
        return None
    if isinstance(exc, sa_exc.TimeoutError | sa_exc.DisconnectionError):
        return StorageError(f"catalog database unavailable: {exc}")
    return None


_BREAKERS: weakref.WeakKeyDictionary[Engine, CircuitBreaker] = weakref.WeakKeyDictionary()


def guard(engine: Engine, breaker: CircuitBreaker) -> None:
    """Open every new transaction and unit on ``engine`` through ``breaker``."""
    _BREAKERS[engine] = breaker


def breaker_of(engine: Engine) -> CircuitBreaker | None:
    """The breaker guarding ``engine``, if any."""
    return _BREAKERS.get(engine)


def is_unreachable(exc: BaseException) -> bool:
    """Whether ``exc`` says the database did not answer or could not be reached, rather than
    that it answered with a refusal (a deadlock, a full disk): what a breaker counts."""
    return type(exc) is StorageError and not is_transient(exc.__cause__)


@contextmanager
def _connect(engine: Engine) -> Iterator[Connection]:
    breaker = _BREAKERS.get(engine)
    with (
        breaker.call() if breaker is not None else nullcontext(),
        translate_errors(),
        engine.connect() as connection,
    ):
        yield connection


def _turn(engine: Engine) -> AbstractContextManager[None]:
    """This writer's turn at the database's write lock, where writers take turns
    (:mod:`~weighthouse.metadata.writer_turns`); it is held until the transaction has ended."""
    turns = turns_of(engine)
    return nullcontext() if turns is None else turns.turn()


@dataclass(frozen=True)
class _Unit:
    connection: Connection
    thread: int
    # Called in order once the unit has committed (see run_after_commit).
    after_commit: list[Callable[[], None]] = field(default_factory=list)


# Engine -> the unit of work open on it in this context. Replaced, never mutated, so a context
# copied into another thread cannot change the original's map.
_UNITS: ContextVar[Mapping[Engine, _Unit] | None] = ContextVar("weighthouse_units", default=None)


def _open_unit(engine: Engine) -> _Unit | None:
    """The unit open on ``engine`` in this context and thread, if any. A thread that inherited
    the context (a copied context) does not join: a connection serves one thread at a time."""
    found = (_UNITS.get() or {}).get(engine)
    if found is None or found.thread != threading.get_ident():
        return None
    return found


def in_unit(engine: Engine) -> bool:
    """Whether a call on ``engine`` from here would join an open unit of work."""
    return _open_unit(engine) is not None


@contextmanager
def unit(engine: Engine) -> Iterator[None]:
    """One transaction for every catalog call on ``engine`` made in this thread inside the
    block: committed when the block ends, rolled back when it raises. A unit opened inside
    another joins it. Always a write transaction: on SQLite it takes the write lock at once,
    so keep slow work (hashing, blob transfers) out of the block."""
    if _open_unit(engine) is not None:
        yield
        return
    with _connect(engine) as connection:
        connection.execution_options(**{WRITE: True})
        with _turn(engine), connection.begin():
            opened = _Unit(connection, threading.get_ident())
            token = _UNITS.set({**(_UNITS.get() or {}), engine: opened})
            try:
                yield
            finally:
                _UNITS.reset(token)
    # Reached only when the block ended normally and the commit succeeded.
    run_actions(opened.after_commit)


def after_commit(engine: Engine, action: Callable[[], None]) -> None:
    """Call ``action`` once the unit open on ``engine`` in this thread commits, or at once when
    none is (see :meth:`~weighthouse.domain.catalog.UnitOfWork.after_commit`)."""
    opened = _open_unit(engine)
    if opened is None:
        run_actions([action])
    else:
        opened.after_commit.append(action)


@contextmanager
def transaction(engine: Engine, *, write: bool = False) -> Iterator[Connection]:
    """A connection inside a transaction: its own (committed when the block ends, rolled back
    when it raises), or the open unit of work's. ``write`` lets SQLite take its write lock up
    front.

    Inside a unit, a writing block runs in a savepoint, so a call that fails (a name already
    taken, a precondition that does not hold) changes nothing and leaves the unit usable: the
    caller may catch the domain error and go on, and PostgreSQL does not abort the unit.
    """
    joined = _open_unit(engine)
    if joined is None:
        with _connect(engine) as connection:
            if write:
                connection.execution_options(**{WRITE: True})
            with _turn(engine) if write else nullcontext(), connection.begin():
                yield connection
        return
    with translate_errors():
        if not write:
            yield joined.connection
            return
        savepoint = joined.connection.begin_nested()
        try:
            yield joined.connection
        except BaseException:
            _roll_back_quietly(savepoint)
            raise
        savepoint.commit()


def _roll_back_quietly(savepoint: NestedTransaction) -> None:
    # After a deadlock MariaDB has rolled back the whole transaction and the savepoint is gone;
    # the error being raised says what happened, and the unit's own rollback follows.
    if savepoint.is_active:
        with suppress(sa_exc.DBAPIError):
            savepoint.rollback()


def is_transient(exc: BaseException | None) -> bool:
    """Whether the database aborted a transaction only because of a concurrent one (deadlock,
    serialization failure, lock timeout), so running it again may succeed."""
    orig = getattr(exc, "orig", None)
    if orig is None:
        return False
    if getattr(orig, "sqlstate", None) in _PG_TRANSIENT:
        return True
    if getattr(orig, "sqlite_errorcode", None) in _SQLITE_TRANSIENT:
        return True
    args: tuple[object, ...] = getattr(orig, "args", ())
    return bool(args) and args[0] in _MYSQL_TRANSIENT


def is_out_of_space(exc: BaseException | None) -> bool:
    """Whether the database failed because its disk (or a table's file) is full: SQLite's
    "database or disk is full", PostgreSQL's ``disk_full``, MariaDB's disk- or table-full."""
    orig = getattr(exc, "orig", None)
    if orig is None:
        return False
    if getattr(orig, "sqlstate", None) in _PG_FULL:
        return True
    if getattr(orig, "sqlite_errorcode", None) == _SQLITE_FULL:
        return True
    args: tuple[object, ...] = getattr(orig, "args", ())
    return bool(args) and args[0] in _MYSQL_FULL


def run_retrying(work: Callable[[], T]) -> T:
    """Run ``work`` (one whole transaction) again, up to :data:`ATTEMPTS` times, when it failed
    with a transient :class:`StorageError`. Safe because a failed transaction changed nothing."""
    for attempt in range(1, ATTEMPTS + 1):
        try:
            return work()
        except StorageError as exc:
            if attempt == ATTEMPTS or not is_transient(exc.__cause__):
                raise
        # Jittered backoff, so the transactions that collided do not collide again.
        pause(random.uniform(0, 0.01 * 2**attempt))
    raise AssertionError("unreachable")


def retry_transient(method: Callable[P, T]) -> Callable[P, T]:
    """Retry a catalog method that is one whole transaction (see :func:`run_retrying`).

    The method's owner keeps its engine in ``_engine``. Inside a unit of work the method runs
    once: its failure is the unit's, and the unit is what gets retried.
    """

    @functools.wraps(method)
    def retrying(*args: P.args, **kwargs: P.kwargs) -> T:
        engine: Engine = getattr(args[0], "_engine")  # noqa: B009 - typed by the mixins
        if in_unit(engine):
            return method(*args, **kwargs)
        return run_retrying(lambda: method(*args, **kwargs))

    return retrying
