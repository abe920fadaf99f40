"""Inserts that tolerate an existing row, in each database's own syntax.

Both are single statements, so concurrent writers of one key never see an ``IntegrityError``:
the database serialises them on the key.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Connection, Table
from sqlalchemy.dialects import mysql, postgresql, sqlite


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
    name = connection.dialect.name
    if name in ("postgresql", "sqlite"):
        dialect_insert = postgresql.insert if name == "postgresql" else sqlite.insert
        statement = dialect_insert(table).values(row)
        changes = {c: statement.excluded[c] for c in changed}
        connection.execute(statement.on_conflict_do_update(index_elements=keys, set_=changes))
    elif name in ("mysql", "mariadb"):
        my_statement = mysql.insert(table).values(row)
        my_changes = {c: my_statement.inserted[c] for c in changed}
        connection.execute(my_statement.on_duplicate_key_update(my_changes))
    else:
        raise NotImplementedError(f"no upsert for {name}")
