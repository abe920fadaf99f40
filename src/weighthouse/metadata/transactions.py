"""One transaction per catalog call, database failures as :class:`StorageError`, and retries of
transactions a database aborted only because of a concurrent one."""

from __future__ import annotations

import functools
import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import ParamSpec, TypeVar

from sqlalchemy import Connection, Engine
from sqlalchemy import exc as sa_exc

from weighthouse.domain.errors import StorageError
from weighthouse.metadata.engine import WRITE

P = ParamSpec("P")
T = TypeVar("T")

ATTEMPTS = 5
_PG_TRANSIENT = {"40001", "40P01"}  # serialization_failure, deadlock_detected
_MYSQL_TRANSIENT = {1205, 1213}  # lock wait timeout, deadlock
_SQLITE_TRANSIENT = {5, 6}  # SQLITE_BUSY, SQLITE_LOCKED


@contextmanager
def translate_errors() -> Iterator[None]:
    """Re-raise a failure to reach or use the database as :class:`StorageError`.

    Integrity and programming errors pass through: the caller maps the former to a domain
    error, and the latter are bugs.
    """
    try:
        yield
    except (sa_exc.OperationalError, sa_exc.InterfaceError) as exc:
        raise StorageError(f"catalog database failed: {exc.orig}") from exc
    except sa_exc.DBAPIError as exc:
        if exc.connection_invalidated:
            raise StorageError(f"catalog database connection lost: {exc.orig}") from exc
        raise
    except (sa_exc.TimeoutError, sa_exc.DisconnectionError) as exc:
        raise StorageError(f"catalog database unavailable: {exc}") from exc


@contextmanager
def transaction(engine: Engine, *, write: bool = False) -> Iterator[Connection]:
    """A connection inside one transaction: committed when the block ends, rolled back when it
    raises. ``write`` lets SQLite take its write lock up front."""
    with translate_errors(), engine.connect() as connection:
        if write:
            connection.execution_options(**{WRITE: True})
        with connection.begin():
            yield connection


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


def retry_transient(method: Callable[P, T]) -> Callable[P, T]:
    """Run a whole-transaction method again, up to :data:`ATTEMPTS` times, when it failed with a
    transient :class:`StorageError`. Safe because a failed transaction changed nothing."""

    @functools.wraps(method)
    def retrying(*args: P.args, **kwargs: P.kwargs) -> T:
        for attempt in range(1, ATTEMPTS + 1):
            try:
                return method(*args, **kwargs)
            except StorageError as exc:
                if attempt == ATTEMPTS or not is_transient(exc.__cause__):
                    raise
            # Jittered backoff, so the transactions that collided do not collide again.
            time.sleep(random.uniform(0, 0.01 * 2**attempt))
        raise AssertionError("unreachable")

    return retrying
