"""Discussions and pull requests: the ``discussions`` and ``discussion_events`` tables.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-04

A discussion is numbered within its repo and its events within it; a pull request's branch is
an ordinary row of ``refs`` (``refs/pr/<num>``), so no other table changes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql, postgresql

revision: str = "0015"
down_revision: str | Sequence[str] | None = "0014"
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
    op.create_table(
        "discussions",
        sa.Column("repo_id", sa.String(32), nullable=False),
        sa.Column("num", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("author_id", sa.String(32), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("is_pull_request", sa.Boolean(), nullable=False),
        sa.Column("created_at", utc_datetime(), nullable=False),
        sa.Column("target_branch", utf8_bytes(128), nullable=True),
        sa.Column("base_commit", sa.String(40), nullable=True),
        sa.Column("merge_commit", sa.String(40), nullable=True),
        sa.ForeignKeyConstraint(
            ["repo_id"], ["repos.id"], name=op.f("fk_discussions_repo_id_repos")
        ),
        sa.ForeignKeyConstraint(
            ["author_id"], ["users.id"], name=op.f("fk_discussions_author_id_users")
        ),
        sa.PrimaryKeyConstraint("repo_id", "num", name=op.f("pk_discussions")),
        **MYSQL_TABLE_OPTIONS,
    )
    op.create_index(op.f("ix_discussions_author_id"), "discussions", ["author_id"])
    op.create_table(
        "discussion_events",
        sa.Column("repo_id", sa.String(32), nullable=False),
        sa.Column("num", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("author_id", sa.String(32), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("old", sa.Text(), nullable=False),
        sa.Column("edited", sa.Boolean(), nullable=False),
        sa.Column("hidden", sa.Boolean(), nullable=False),
        sa.Column("created_at", utc_datetime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["repo_id", "num"],
            ["discussions.repo_id", "discussions.num"],
            name=op.f("fk_discussion_events_repo_id_num_discussions"),
        ),
        sa.ForeignKeyConstraint(
            ["author_id"], ["users.id"], name=op.f("fk_discussion_events_author_id_users")
        ),
        sa.PrimaryKeyConstraint("repo_id", "num", "seq", name=op.f("pk_discussion_events")),
        **MYSQL_TABLE_OPTIONS,
    )
    op.create_index(op.f("ix_discussion_events_author_id"), "discussion_events", ["author_id"])


def downgrade() -> None:
    # Dropping a table drops its indexes; MariaDB refuses to drop an index a foreign key needs.
    op.drop_table("discussion_events")
    op.drop_table("discussions")
