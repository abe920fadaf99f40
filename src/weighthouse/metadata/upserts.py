"""Inserts that tolerate an existing row, in each database's own syntax.

Each is a single statement, so concurrent writers of one key never see an ``IntegrityError``
for the key: the database serialises them on it.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Connection, Executable, Table, insert
from sqlalchemy.dialects import mysql, postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from weighthouse.metadata.prepared_writes import rowcount_on

_MYSQL_DUPLICATE_KEY = 1062


def insert_missing(connection: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Insert ``rows``, skipping those whose primary key is already stored.

    For content-addressed rows (trees, their entries, commits), where an existing row with the
    same key holds the same content.
    """
    if not rows:
        return
    name = connection.dialect.name
    if name == "postgresql":
        connection.execute(postgresql.insert(table).on_conflict_do_nothing(), rows)
    elif name == "sqlite":
        connection.execute(sqlite.insert(table).on_conflict_do_nothing(), rows)
    elif name in ("mysql", "mariadb"):
        # Not INSERT IGNORE: that would also turn data errors into warnings.
        statement = mysql.insert(table)
        first_key = table.primary_key.columns[0].name
        no_change = {first_key: statement.inserted[first_key]}
        connection.execute(statement.on_duplicate_key_update(no_change), rows)
    else:
        raise NotImplementedError(f"no insert-if-missing for {name}")


def insert_new(connection: Connection, table: Table, row: dict[str, Any]) -> bool:
    """Insert ``row`` if no row has its primary key; ``True`` if it was inserted.

    The database decides against the key, so of concurrent inserters exactly one gets ``True``
    (the others wait for it to commit). Other integrity failures (a foreign key) still raise.
    """
    name = connection.dialect.name
    if name in ("postgresql", "sqlite"):
        dialect_insert = postgresql.insert if name == "postgresql" else sqlite.insert
        keys = [column.name for column in table.primary_key.columns]
        statement = (
            dialect_insert(table)
            .values(row)
            .on_conflict_do_nothing(index_elements=keys)
            .returning(table.primary_key.columns[0])
        )
        # RETURNING rather than rowcount, which drivers need not report for an INSERT.
        return connection.execute(statement).first() is not None
    if name in ("mysql", "mariadb"):
        # ON DUPLICATE KEY UPDATE reports a skipped row as matched (the engine asks for found
        # rows), so the insert's own error tells the cases apart. A duplicate key rolls back
        # only the statement on InnoDB; the transaction goes on.
        try:
            connection.execute(insert(table).values(row))
        except IntegrityError as exc:
            if getattr(exc.orig, "args", (None,))[0] == _MYSQL_DUPLICATE_KEY:
                return False
            raise
        return True
    raise NotImplementedError(f"no insert-if-new for {name}")


def upsert(
    connection: Connection,
    table: Table,
    row: dict[str, Any],
    *,
    update: Iterable[str] | None = None,
) -> None:
    """Insert ``row``, or overwrite the stored row with the same primary key: every other
    column, or only those named in ``update`` (the rest keep their stored values)."""
    keys = [column.name for column in table.primary_key.columns]
    changed = [c for c in row if c not in keys] if update is None else list(update)
    statement = _upsert_statement(connection.dialect.name, table, tuple(row), tuple(changed))
    connection.execute(statement, row)


def upsert_prepared(connection: Connection, table: Table, row: dict[str, Any]) -> None:
    """:func:`upsert` of every column, run as a prepared statement on SQLite
    (:mod:`~weighthouse.metadata.prepared_writes`): for the hot object write. Elsewhere, and
    in what it stores, the same as :func:`upsert`."""
    name = connection.dialect.name
    if name != "sqlite":
        upsert(connection, table, row)
        return
    keys = [column.name for column in table.primary_key.columns]
    columns = tuple(row)
    statement = _upsert_statement(name, table, columns, tuple(c for c in row if c not in keys))
    rowcount_on(connection, statement, row, columns)


def upsert_rows(
    connection: Connection, table: Table, rows: Sequence[dict[str, Any]], *, update: Iterable[str]
) -> None:
    """Insert ``rows`` (all with the same columns), or overwrite the columns named in
    ``update`` of the stored rows with the same primary keys, in one statement."""
    if not rows:
        return
    statement = _upsert_statement(connection.dialect.name, table, tuple(rows[0]), tuple(update))
    connection.execute(statement, list(rows))


@functools.lru_cache(maxsize=128)
def _upsert_statement(
    dialect: str, table: Table, columns: tuple[str, ...], changed: tuple[str, ...]
) -> Executable:
    """The upsert of rows with ``columns``, built once: building it (the ``excluded`` columns
    above all) cost a small bucket PUT more than running it. The row's values are bound when
    it runs."""
    keys = [column.name for column in table.primary_key.columns]
    if dialect in ("postgresql", "sqlite"):
        dialect_insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        statement = dialect_insert(table)
        changes = {c: statement.excluded[c] for c in changed}
        return statement.on_conflict_do_update(index_elements=keys, set_=changes)
    if dialect in ("mysql", "mariadb"):
        my_statement = mysql.insert(table)
        my_changes = {c: my_statement.inserted[c] for c in changed}
        return my_statement.on_duplicate_key_update(my_changes)
    raise NotImplementedError(f"no upsert for {dialect}")
