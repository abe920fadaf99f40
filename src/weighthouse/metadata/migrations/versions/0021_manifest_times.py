"""Manifests keep when an object last came to name them: ``object_manifests.recorded_at``.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-05

The garbage collector removes a manifest no object names only once that time is older than its
grace period, so a completion about to name one is never left without its rows. Rows already
stored take the migration's time: they are kept one grace period more, never removed early.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision: str = "0021"
down_revision: str | Sequence[str] | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def utc_datetime() -> sa.types.TypeEngine[Any]:
    """timestamptz on PostgreSQL; microsecond DATETIME on MariaDB."""
    return sa.DateTime(timezone=True).with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")


manifests = sa.table("object_manifests", sa.column("recorded_at", utc_datetime()))


def upgrade() -> None:
    op.add_column("object_manifests", sa.Column("recorded_at", utc_datetime(), nullable=True))
    op.get_bind().execute(sa.update(manifests).values(recorded_at=datetime.now(UTC)))
    # A batch on SQLite copies the table; no other table's foreign key points at this one.
    with op.batch_alter_table("object_manifests") as batch:
        batch.alter_column("recorded_at", existing_type=utc_datetime(), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("object_manifests") as batch:
        batch.drop_column("recorded_at")
