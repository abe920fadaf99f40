"""Gated repos: ``repos.gated`` and the ``access_requests`` table.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04

Existing repos read as not gated (``off``), so no row needs rewriting. One access request per
user and repo; the index serves an admin's list of a repo's requests in one status.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql, postgresql

revision: str = "0013"
down_revision: str | Sequence[str] | None = "0012"
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
    """VARBINARY on MariaDB, bytea, BLOB: as ``Utf8Bytes`` stores a name."""
    return (
        sa.LargeBinary()
        .with_variant(mysql.VARBINARY(length), "mysql", "mariadb")
        .with_variant(postgresql.BYTEA(), "postgresql")
    )


def upgrade() -> None:
    # A plain ADD COLUMN, which SQLite does in place: a batch would copy ``repos``, which
    # other tables' foreign keys point at.
    op.add_column(
        "repos",
        sa.Column("gated", sa.String(16), server_default=sa.text("'off'"), nullable=False),
    )
    op.create_table(
        "access_requests",
        sa.Column("repo_id", sa.String(32), nullable=False),
        sa.Column("user_id", sa.String(32), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", utc_datetime(), nullable=False),
        sa.Column("updated_at", utc_datetime(), nullable=False),
        sa.Column("decided_by", utf8_bytes(96), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["repo_id"], ["repos.id"], name=op.f("fk_access_requests_repo_id_repos")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_access_requests_user_id_users")
        ),
        sa.PrimaryKeyConstraint("repo_id", "user_id", name=op.f("pk_access_requests")),
        **MYSQL_TABLE_OPTIONS,
    )
    op.create_index(
        op.f("ix_access_requests_repo_id_status_created_at"),
        "access_requests",
        ["repo_id", "status", "created_at"],
    )
    op.create_index(op.f("ix_access_requests_user_id"), "access_requests", ["user_id"])


def downgrade() -> None:
    # Dropping the table drops its indexes; MariaDB refuses to drop the user_id index alone,
    # since the foreign key needs it.
    op.drop_table("access_requests")
    # In place too (SQLite has DROP COLUMN since 3.35), for the reason upgrade gives.
    op.drop_column("repos", "gated")
