"""Xet uploads: which xorbs each user sent, and the blob that holds each.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04

``huggingface_hub`` with ``hf_xet`` uploads a file as xorbs (named by their Xet hash) and then
a shard that lists the xorb chunk ranges making up each file. The server stores each xorb as
an ordinary blob and records here, per user, the blob that holds it, so the shard's files can
be rebuilt. The rows are pruned with ``blob_uploads`` after the grace period.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
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
        "xorb_uploads",
        sa.Column("user_id", sa.String(32), nullable=False),
        sa.Column("xorb_hash", sa.String(64), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("uploaded_at", utc_datetime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_xorb_uploads_user_id_users")
        ),
        sa.PrimaryKeyConstraint("user_id", "xorb_hash", name=op.f("pk_xorb_uploads")),
        **MYSQL_TABLE_OPTIONS,
    )
    op.create_index(op.f("ix_xorb_uploads_uploaded_at"), "xorb_uploads", ["uploaded_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_xorb_uploads_uploaded_at"), table_name="xorb_uploads")
    op.drop_table("xorb_uploads")
