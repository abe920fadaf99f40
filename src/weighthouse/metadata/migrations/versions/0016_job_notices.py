"""Job callbacks: the ``notify_*`` columns of ``jobs``.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-04

A job may name a URL its events are POSTed to. Which events are still to be sent lives in the
job's own row, so a delivery pending when the server stops is sent after it starts again.
Existing jobs get no callbacks (``notify_due_at`` NULL).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision: str = "0016"
down_revision: str | Sequence[str] | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def utc_datetime() -> sa.types.TypeEngine[Any]:
    """timestamptz on PostgreSQL; microsecond DATETIME on MariaDB."""
    return sa.DateTime(timezone=True).with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")


def upgrade() -> None:
    op.add_column("jobs", sa.Column("notify_url", sa.String(2048), nullable=True))
    op.add_column("jobs", sa.Column("notify_secret", sa.String(255), nullable=True))
    op.add_column(
        "jobs", sa.Column("notify_stage", sa.Integer(), server_default="0", nullable=False)
    )
    op.add_column(
        "jobs", sa.Column("notify_attempts", sa.Integer(), server_default="0", nullable=False)
    )
    op.add_column("jobs", sa.Column("notify_due_at", utc_datetime(), nullable=True))
    op.add_column("jobs", sa.Column("notify_error", sa.Text(), nullable=True))
    op.create_index(op.f("ix_jobs_notify_due_at"), "jobs", ["notify_due_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_jobs_notify_due_at"), table_name="jobs")
    with op.batch_alter_table("jobs") as batch:
        for column in (
            "notify_error",
            "notify_due_at",
            "notify_attempts",
            "notify_stage",
            "notify_secret",
            "notify_url",
        ):
            batch.drop_column(column)
