"""Initial schema: accounts, repos, refs, commits, trees and bucket objects.

Revision ID: 0001
Revises:
Create Date: 2026-11-21

Names, paths and keys are binary (their UTF-8 bytes) so they compare exactly and sort in byte
order on every database. The column types are spelled out here rather than imported from
``tables.py``, so this revision keeps meaning what it meant when it was written.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql, postgresql

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MYSQL_TABLE_OPTIONS: dict[str, Any] = {
    "mysql_engine": "InnoDB",
    "mysql_charset": "utf8mb4",
    "mysql_collate": "utf8mb4_bin",
}


def utf8_bytes(length: int) -> sa.types.TypeEngine[Any]:
    """VARBINARY on MariaDB (BLOB cannot be in a key without a prefix), bytea, BLOB."""
    return (
        sa.LargeBinary()
        .with_variant(mysql.VARBINARY(length), "mysql", "mariadb")
        .with_variant(postgresql.BYTEA(), "postgresql")
    )


def utc_datetime() -> sa.types.TypeEngine[Any]:
    """timestamptz on PostgreSQL; microsecond DATETIME on MariaDB."""
    return sa.DateTime(timezone=True).with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("name", utf8_bytes(96), nullable=False),
        sa.Column("is_admin", sa.Boolean(), nullable=False),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", utc_datetime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("name", name=op.f("uq_users_name")),
        **MYSQL_TABLE_OPTIONS,
    )
    op.create_table(
        "repos",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("type", sa.String(16), nullable=False),
        sa.Column("namespace", utf8_bytes(96), nullable=False),
        sa.Column("name", utf8_bytes(96), nullable=False),
        sa.Column("full_name", utf8_bytes(193), nullable=False),
        sa.Column("search_name", sa.String(193), nullable=False),
        sa.Column("private", sa.Boolean(), nullable=False),
        sa.Column("owner_id", sa.String(32), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("created_at", utc_datetime(), nullable=False),
        sa.ForeignKeyConstraint(["owner_id"], ["users.id"], name=op.f("fk_repos_owner_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_repos")),
        sa.UniqueConstraint("type", "namespace", "name", name=op.f("uq_repos_type_namespace_name")),
        **MYSQL_TABLE_OPTIONS,
    )
    op.create_index(op.f("ix_repos_full_name"), "repos", ["full_name"])
    op.create_index(op.f("ix_repos_owner_id"), "repos", ["owner_id"])
    op.create_table(
        "tokens",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("user_id", sa.String(32), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("scope", sa.String(16), nullable=False),
        sa.Column("secret_sha256", sa.String(64), nullable=False),
        sa.Column("created_at", utc_datetime(), nullable=False),
        sa.Column("expires_at", utc_datetime(), nullable=True),
        sa.Column("revoked_at", utc_datetime(), nullable=True),
        sa.Column("last_used_at", utc_datetime(), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_tokens_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tokens")),
        **MYSQL_TABLE_OPTIONS,
    )
    op.create_index(op.f("ix_tokens_user_id"), "tokens", ["user_id"])
    op.create_table(
        "refs",
        sa.Column("repo_id", sa.String(32), nullable=False),
        sa.Column("name", utf8_bytes(128), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("commit_id", sa.String(40), nullable=False),
        sa.Column("created_at", utc_datetime(), nullable=False),
        sa.ForeignKeyConstraint(["repo_id"], ["repos.id"], name=op.f("fk_refs_repo_id_repos")),
        sa.PrimaryKeyConstraint("repo_id", "name", name=op.f("pk_refs")),
        **MYSQL_TABLE_OPTIONS,
    )
    op.create_table(
        "commits",
        sa.Column("repo_id", sa.String(32), nullable=False),
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("tree_id", sa.String(64), nullable=False),
        sa.Column("parent_id", sa.String(40), nullable=True),
        sa.Column("author", sa.Text(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("created_at", utc_datetime(), nullable=False),
        sa.ForeignKeyConstraint(["repo_id"], ["repos.id"], name=op.f("fk_commits_repo_id_repos")),
        sa.PrimaryKeyConstraint("repo_id", "id", name=op.f("pk_commits")),
        **MYSQL_TABLE_OPTIONS,
    )
    op.create_table(
        "trees",
        sa.Column("repo_id", sa.String(32), nullable=False),
        sa.Column("tree_id", sa.String(64), nullable=False),
        sa.ForeignKeyConstraint(["repo_id"], ["repos.id"], name=op.f("fk_trees_repo_id_repos")),
        sa.PrimaryKeyConstraint("repo_id", "tree_id", name=op.f("pk_trees")),
        **MYSQL_TABLE_OPTIONS,
    )
    op.create_table(
        "tree_entries",
        sa.Column("repo_id", sa.String(32), nullable=False),
        sa.Column("tree_id", sa.String(64), nullable=False),
        sa.Column("name", utf8_bytes(1024), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("child_tree_id", sa.String(64), nullable=True),
        sa.Column("sha256", sa.String(64), nullable=True),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("git_sha1", sa.String(40), nullable=True),
        sa.ForeignKeyConstraint(
            ["repo_id", "tree_id"],
            ["trees.repo_id", "trees.tree_id"],
            name=op.f("fk_tree_entries_repo_id_tree_id_trees"),
        ),
        sa.PrimaryKeyConstraint("repo_id", "tree_id", "name", name=op.f("pk_tree_entries")),
        **MYSQL_TABLE_OPTIONS,
    )
    op.create_index(op.f("ix_tree_entries_sha256"), "tree_entries", ["sha256"])
    op.create_table(
        "objects",
        sa.Column("repo_id", sa.String(32), nullable=False),
        sa.Column("key", utf8_bytes(1024), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("md5", sa.String(32), nullable=False),
        sa.Column("content_type", sa.String(255), nullable=False),
        sa.Column("metadata", sa.JSON(), nullable=False),
        sa.Column("modified_at", utc_datetime(), nullable=False),
        sa.ForeignKeyConstraint(["repo_id"], ["repos.id"], name=op.f("fk_objects_repo_id_repos")),
        sa.PrimaryKeyConstraint("repo_id", "key", name=op.f("pk_objects")),
        **MYSQL_TABLE_OPTIONS,
    )
    op.create_index(op.f("ix_objects_sha256"), "objects", ["sha256"])


# Children before the tables their foreign keys refer to.
TABLES_CHILDREN_FIRST = ("objects", "tree_entries", "trees", "commits", "refs", "tokens", "repos")


def downgrade() -> None:
    for table in (*TABLES_CHILDREN_FIRST, "users"):
        op.drop_table(table)
