"""Proof before reuse: who uploaded which blob, and which repos hold a blob, by index.

Revision ID: 0004
Revises: 0002
Create Date: 2026-12-14

``blob_uploads`` records each user's uploads (one row per user and blob, with the latest time),
so a commit may name bytes its author sent within the grace period. The single-column sha256
indexes of ``tree_entries`` and ``objects`` become ``(sha256, repo_id)``: the proof query finds
the repos holding a blob from the index alone, and the garbage collector's lookups by sha256
use the same index's prefix. As in 0001, column types are spelled out rather than imported.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0002"
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


def upgrade() -> None:
    op.create_table(
        "blob_uploads",
        sa.Column("user_id", sa.String(32), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("uploaded_at", utc_datetime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_blob_uploads_user_id_users")
        ),
        sa.PrimaryKeyConstraint("user_id", "sha256", name=op.f("pk_blob_uploads")),
        **MYSQL_TABLE_OPTIONS,
    )
    op.create_index(op.f("ix_blob_uploads_uploaded_at"), "blob_uploads", ["uploaded_at"])
    # The new index first, so lookups by sha256 always have one.
    for table in ("tree_entries", "objects"):
        op.create_index(op.f(f"ix_{table}_sha256_repo_id"), table, ["sha256", "repo_id"])
        op.drop_index(op.f(f"ix_{table}_sha256"), table_name=table)


def downgrade() -> None:
    for table in ("tree_entries", "objects"):
        op.create_index(op.f(f"ix_{table}_sha256"), table, ["sha256"])
        op.drop_index(op.f(f"ix_{table}_sha256_repo_id"), table_name=table)
    op.drop_index(op.f("ix_blob_uploads_uploaded_at"), table_name="blob_uploads")
    op.drop_table("blob_uploads")
