"""Deleted tags get a table of their own: ``deleted_tags``.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-04

Whether a writer may re-create a deleted tag on another commit used to be read from the audit
log (every ``tag.delete`` event, on every tag creation). The table is filled from those events,
so a tag deleted before this revision stays guarded; events of repos deleted since are skipped.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql, postgresql

revision: str = "0014"
down_revision: str | Sequence[str] | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MYSQL_TABLE_OPTIONS: dict[str, Any] = {
    "mysql_engine": "InnoDB",
    "mysql_charset": "utf8mb4",
    "mysql_collate": "utf8mb4_bin",
}


def utc_datetime() -> sa.types.TypeEngine[Any]:
    """timestamptz on PostgreSQL; microsecond DATETIME on MariaDB."""
    return sa.DateTime(timezone=True).with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")


def utf8_bytes(length: int) -> sa.types.TypeEngine[Any]:
    """VARBINARY on MariaDB, bytea, BLOB: as ``Utf8Bytes`` stores a ref name."""
    return (
        sa.LargeBinary()
        .with_variant(mysql.VARBINARY(length), "mysql", "mariadb")
        .with_variant(postgresql.BYTEA(), "postgresql")
    )


def upgrade() -> None:
    table = op.create_table(
        "deleted_tags",
        sa.Column("repo_id", sa.String(32), nullable=False),
        sa.Column("name", utf8_bytes(128), nullable=False),
        sa.Column("commit_id", sa.String(40), nullable=False),
        sa.Column("deleted_at", utc_datetime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["repo_id"], ["repos.id"], name=op.f("fk_deleted_tags_repo_id_repos")
        ),
        sa.PrimaryKeyConstraint("repo_id", "name", "commit_id", name=op.f("pk_deleted_tags")),
        **MYSQL_TABLE_OPTIONS,
    )
    assert table is not None
    connection = op.get_bind()
    events = sa.table(
        "audit_events",
        sa.column("at", utc_datetime()),
        sa.column("action", sa.String(64)),
        sa.column("detail", sa.JSON()),
    )
    repos = sa.table("repos", sa.column("id", sa.String(32)))
    existing = set(connection.scalars(sa.select(repos.c.id)))
    seen: set[tuple[str, str, str]] = set()
    rows = []
    query = sa.select(events.c.at, events.c.detail).where(events.c.action == "tag.delete")
    for at, detail in connection.execute(query):
        if not isinstance(detail, dict):
            continue
        key = (detail.get("repo_id"), detail.get("tag"), detail.get("commit"))
        if not all(isinstance(part, str) for part in key) or key[0] not in existing:
            continue
        if key in seen:
            continue
        seen.add(key)  # type: ignore[arg-type]
        repo_id, name, commit_id = key
        rows.append(
            {
                "repo_id": repo_id,
                "name": str(name).encode("utf-8"),
                "commit_id": commit_id,
                "deleted_at": at,
            }
        )
    if rows:
        op.bulk_insert(table, rows)


def downgrade() -> None:
    op.drop_table("deleted_tags")
