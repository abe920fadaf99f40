"""Multipart uploads: ``multipart_uploads``, ``multipart_parts``, and the parts of an object
assembled from one.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04

An open upload and its parts are rows; a part's bytes are a blob the garbage collector keeps
while its row exists. ``objects`` gains two nullable columns, set only for an object assembled
from parts: the parts' sizes (to answer ``GET ?partNumber=N``) and the MD5 of their MD5s (its
S3 ETag). As in 0001, column types are spelled out rather than imported.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql, postgresql

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
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
    op.add_column("objects", sa.Column("part_sizes", sa.JSON(), nullable=True))
    op.add_column("objects", sa.Column("parts_md5", sa.String(32), nullable=True))
    op.create_table(
        "multipart_uploads",
        sa.Column("id", sa.String(48), nullable=False),
        sa.Column("repo_id", sa.String(32), nullable=False),
        sa.Column("key", utf8_bytes(1024), nullable=False),
        sa.Column("initiator_id", sa.String(32), nullable=False),
        sa.Column("created_at", utc_datetime(), nullable=False),
        sa.Column("content_type", sa.String(255), nullable=False),
        sa.Column("metadata", sa.JSON(), nullable=False),
        sa.Column("checksum_algorithm", sa.String(16), nullable=False),
        sa.Column("checksum_type", sa.String(16), nullable=False),
        sa.ForeignKeyConstraint(
            ["repo_id"], ["repos.id"], name=op.f("fk_multipart_uploads_repo_id_repos")
        ),
        sa.ForeignKeyConstraint(
            ["initiator_id"], ["users.id"], name=op.f("fk_multipart_uploads_initiator_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_multipart_uploads")),
        **MYSQL_TABLE_OPTIONS,
    )
    op.create_index(
        op.f("ix_multipart_uploads_repo_id_key_id"), "multipart_uploads", ["repo_id", "key", "id"]
    )
    op.create_index(op.f("ix_multipart_uploads_created_at"), "multipart_uploads", ["created_at"])
    op.create_table(
        "multipart_parts",
        sa.Column("upload_id", sa.String(48), nullable=False),
        sa.Column("number", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("md5", sa.String(32), nullable=False),
        sa.Column("checksum", sa.String(64), nullable=False),
        sa.Column("modified_at", utc_datetime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["upload_id"],
            ["multipart_uploads.id"],
            name=op.f("fk_multipart_parts_upload_id_multipart_uploads"),
        ),
        sa.PrimaryKeyConstraint("upload_id", "number", name=op.f("pk_multipart_parts")),
        **MYSQL_TABLE_OPTIONS,
    )
    op.create_index(op.f("ix_multipart_parts_sha256"), "multipart_parts", ["sha256"])


def downgrade() -> None:
    # Dropping a table drops its indexes (MariaDB refuses to drop one a foreign key uses).
    op.drop_table("multipart_parts")
    op.drop_table("multipart_uploads")
    op.drop_column("objects", "parts_md5")
    op.drop_column("objects", "part_sizes")
