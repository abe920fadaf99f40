"""S3 access keys, their secrets sealed under a server key kept outside the catalog.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-08

A new table only; nothing that holds data changes. As in 0001, column types are spelled out
rather than imported from ``tables.py``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision: str = "0003"
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
        "access_keys",
        sa.Column("id", sa.String(128), nullable=False),
        sa.Column("user_id", sa.String(32), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("scope", sa.String(16), nullable=False),
        sa.Column("sealed_secret", sa.String(255), nullable=False),
        sa.Column("created_at", utc_datetime(), nullable=False),
        sa.Column("expires_at", utc_datetime(), nullable=True),
        sa.Column("revoked_at", utc_datetime(), nullable=True),
        sa.Column("last_used_at", utc_datetime(), nullable=True),
        sa.Column("buckets", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_access_keys_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_access_keys")),
        **MYSQL_TABLE_OPTIONS,
    )
    op.create_index(op.f("ix_access_keys_user_id"), "access_keys", ["user_id"])


def downgrade() -> None:
    op.drop_table("access_keys")
