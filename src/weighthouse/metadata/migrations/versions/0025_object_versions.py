"""Buckets keep versions of their objects: ``repos.versioning`` and ``repos.version_counter``,
``objects.version_id`` and ``objects.position``, and ``object_versions``, a key's versions that
are not its latest object (older objects and delete markers).

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-05

Every existing bucket reads as never versioned and every existing object as the ``null``
version of its key at position 0 (server defaults), so no row needs rewriting.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql, postgresql

revision: str = "0025"
down_revision: str | Sequence[str] | None = "0024"
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
    """VARBINARY on MariaDB (BLOB cannot be in a key without a prefix), bytea, BLOB."""
    return (
        sa.LargeBinary()
        .with_variant(mysql.VARBINARY(length), "mysql", "mariadb")
        .with_variant(postgresql.BYTEA(), "postgresql")
    )


def upgrade() -> None:
    op.add_column("repos", sa.Column("versioning", sa.String(16), nullable=True))
    op.add_column(
        "repos",
        sa.Column("version_counter", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
    )
    op.add_column(
        "objects",
        sa.Column("version_id", sa.String(32), server_default=sa.text("'null'"), nullable=False),
    )
    op.add_column(
        "objects",
        sa.Column("position", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
    )
    op.create_table(
        "object_versions",
        sa.Column("repo_id", sa.String(32), nullable=False),
        sa.Column("key", utf8_bytes(1024), nullable=False),
        sa.Column("version_id", sa.String(32), nullable=False),
        sa.Column("position", sa.BigInteger(), nullable=False),
        sa.Column("marker", sa.Boolean(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=True),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("md5", sa.String(32), nullable=False),
        sa.Column("content_type", sa.String(255), nullable=False),
        sa.Column("metadata", sa.JSON(), nullable=False),
        sa.Column("content_headers", sa.JSON(), nullable=True),
        sa.Column("checksums", sa.JSON(), nullable=True),
        sa.Column("modified_at", utc_datetime(), nullable=False),
        sa.Column("part_sizes", sa.JSON(), nullable=True),
        sa.Column("parts_md5", sa.String(32), nullable=True),
        sa.Column("tags", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["repo_id"], ["repos.id"], name=op.f("fk_object_versions_repo_id_repos")
        ),
        sa.PrimaryKeyConstraint("repo_id", "key", "version_id", name=op.f("pk_object_versions")),
        **MYSQL_TABLE_OPTIONS,
    )
    op.create_index(
        op.f("ix_object_versions_repo_id_key_position"),
        "object_versions",
        ["repo_id", "key", "position"],
    )
    op.create_index(op.f("ix_object_versions_sha256"), "object_versions", ["sha256"])


def downgrade() -> None:
    op.drop_index(op.f("ix_object_versions_sha256"), table_name="object_versions")
    op.drop_index(op.f("ix_object_versions_repo_id_key_position"), table_name="object_versions")
    op.drop_table("object_versions")
    # In place (SQLite has DROP COLUMN since 3.35): rebuilding repos would break the foreign
    # keys that name it.
    op.drop_column("objects", "position")
    op.drop_column("objects", "version_id")
    op.drop_column("repos", "version_counter")
    op.drop_column("repos", "versioning")
