"""Buckets keep their object lock and object versions their retention and legal hold:
``repos.object_lock``, and ``lock_mode``, ``retain_until`` and ``legal_hold`` on ``objects``,
``object_versions`` and ``multipart_uploads`` (the lock its object will get).

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-05

All nullable: buckets stored before this revision read as without object lock, and their
objects and uploads as neither retained nor held, so no row needs rewriting.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision: str = "0029"
down_revision: str | Sequence[str] | None = "0028"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LOCKED = ("objects", "object_versions", "multipart_uploads")


def utc_datetime() -> sa.types.TypeEngine[Any]:
    """timestamptz on PostgreSQL; microsecond DATETIME on MariaDB."""
    return sa.DateTime(timezone=True).with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")


def upgrade() -> None:
    op.add_column("repos", sa.Column("object_lock", sa.JSON(), nullable=True))
    for table in LOCKED:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("lock_mode", sa.String(16), nullable=True))
            batch.add_column(sa.Column("retain_until", utc_datetime(), nullable=True))
            batch.add_column(sa.Column("legal_hold", sa.Boolean(), nullable=True))


def downgrade() -> None:
    for table in LOCKED:
        with op.batch_alter_table(table) as batch:
            batch.drop_column("legal_hold")
            batch.drop_column("retain_until")
            batch.drop_column("lock_mode")
    # In place (SQLite has DROP COLUMN since 3.35): rebuilding repos would break the foreign
    # keys that name it.
    op.drop_column("repos", "object_lock")
