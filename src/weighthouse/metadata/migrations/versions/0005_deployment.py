"""The deployment's identity: one row holding the id the blob store's marker must match.

Revision ID: 0005
Revises: 0002
Create Date: 2026-12-14

Existing deployments get their id on the first start after this migration (``serve`` or
``db upgrade``), not here: the marker in the blob store is written in the same step.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
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
        "deployment",
        sa.Column("slot", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("created_at", utc_datetime(), nullable=False),
        sa.Column("store_marked_at", utc_datetime(), nullable=True),
        sa.CheckConstraint("slot = 1", name=op.f("ck_deployment_single_row")),
        sa.PrimaryKeyConstraint("slot", name=op.f("pk_deployment")),
        **MYSQL_TABLE_OPTIONS,
    )


def downgrade() -> None:
    op.drop_table("deployment")
