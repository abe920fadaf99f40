"""Likes: ``repo_likes``, one row per user who likes a repo.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-05

Deleted with the repo; a user's likes are listed newest first, hence the index.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision: str = "0020"
down_revision: str | Sequence[str] | None = "0019"
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
        "repo_likes",
        sa.Column("repo_id", sa.String(32), nullable=False),
        sa.Column("user_id", sa.String(32), nullable=False),
        sa.Column("created_at", utc_datetime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["repo_id"], ["repos.id"], name=op.f("fk_repo_likes_repo_id_repos")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_repo_likes_user_id_users")
        ),
        sa.PrimaryKeyConstraint("repo_id", "user_id", name=op.f("pk_repo_likes")),
        **MYSQL_TABLE_OPTIONS,
    )
    op.create_index(op.f("ix_repo_likes_user_id"), "repo_likes", ["user_id"])


def downgrade() -> None:
    # With the table go its indexes; MariaDB would refuse to drop the user index first, since
    # the user foreign key needs it.
    op.drop_table("repo_likes")
