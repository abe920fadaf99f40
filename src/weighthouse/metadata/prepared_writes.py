"""The statements of an unconditional object write on SQLite, run on the transaction's own
driver connection without SQLAlchemy's per-statement machinery.

A small bucket PUT writes three statements in its (shared) transaction: it reads the size of
the object it replaces, upserts the object and adds the difference to its bucket's size. Built
and run through a SQLAlchemy ``Connection`` they took more than a quarter of the PUT's Python
time in the server (the expressions rebuilt, their cache keys computed, an execution context
set up for each); compiled once and run on the ``sqlite3`` connection, a few microseconds each.

A :class:`PreparedWrite` runs inside the caller's transaction, on its connection, so it joins
whatever that transaction is (one of its own, a group commit's, a unit of work's) and commits
or rolls back with it. Its parameters go through the same type processors SQLAlchemy applies
(see :class:`~weighthouse.metadata.prepared_reads.CompiledStatement`), so the row stored is the
one SQLAlchemy would store. Driver errors are raised as SQLAlchemy's (an ``IntegrityError``
stays one), so callers and the transaction around them handle them as before.

Statements run this way are not seen by the engine's ``cursor_execute`` events. Writes with a
precondition (``If-None-Match``, ``If-Match``) keep the usual path: they are not the hot path,
and the crash tests stop the server after those statements through those events.
"""

from __future__ import annotations

import weakref
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, Engine, Executable

from weighthouse.metadata.prepared_reads import CompiledStatement, PreparedRow


class PreparedWrite(CompiledStatement):
    """An INSERT, UPDATE or single-row SELECT compiled once for SQLite (see the module
    docstring); ``columns`` names the values an INSERT without ``.values()`` takes."""

    def rowcount(self, connection: Connection, parameters: Mapping[str, Any]) -> int:
        """Run the statement in ``connection``'s transaction; the rows it changed."""
        return self.run_on(connection.connection.driver_connection, parameters)[0]

    def first(self, connection: Connection, parameters: Mapping[str, Any]) -> PreparedRow | None:
        """Run the statement in ``connection``'s transaction; its first row, or ``None``."""
        return self.run_on(connection.connection.driver_connection, parameters)[1]


# Engine -> (id of a statement, its columns) -> the statement (kept, so its id stays its own)
# and its prepared form.
_Key = tuple[int, tuple[str, ...] | None]
_WRITES: weakref.WeakKeyDictionary[Engine, dict[_Key, tuple[Executable, PreparedWrite]]] = (
    weakref.WeakKeyDictionary()
)


def prepared_write(
    connection: Connection, statement: Executable, columns: tuple[str, ...] | None = None
) -> PreparedWrite | None:
    """The prepared form of ``statement`` for ``connection``'s database when it is SQLite;
    ``None`` means: run it the usual way. Meant for statements built once, at import (or
    cached): each is compiled once per engine and kept as long as the engine."""
    dialect = connection.dialect
    if dialect.name != "sqlite":
        return None
    writes = _WRITES.setdefault(connection.engine, {})
    key = (id(statement), columns)
    found = writes.get(key)
    if found is None:
        found = writes[key] = (statement, PreparedWrite(dialect, statement, columns))
    return found[1]


def first_on(connection: Connection, statement: Executable, parameters: Mapping[str, Any]) -> Any:
    """The first row of ``statement`` run in ``connection``'s transaction, or ``None``:
    prepared on SQLite, the usual way elsewhere."""
    write = prepared_write(connection, statement)
    if write is not None:
        return write.first(connection, parameters)
    return connection.execute(statement, dict(parameters)).first()


def rowcount_on(
    connection: Connection,
    statement: Executable,
    parameters: Mapping[str, Any],
    columns: tuple[str, ...] | None = None,
) -> int:
    """The rows ``statement`` changed, run in ``connection``'s transaction: prepared on
    SQLite, the usual way elsewhere."""
    write = prepared_write(connection, statement, columns)
    if write is not None:
        return write.rowcount(connection, parameters)
    return connection.execute(statement, dict(parameters)).rowcount
