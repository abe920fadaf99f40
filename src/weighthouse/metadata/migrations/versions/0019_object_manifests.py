"""Objects joined from their parts' blobs: ``object_manifests``.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-05

A multipart upload's completion no longer copies its parts into one blob: the object names a
manifest (its ``sha256`` column holds the manifest id, ``parts-…``), whose rows list the part
blobs in order. The index on ``sha256`` answers whether any manifest holds a blob.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | Sequence[str] | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MYSQL_TABLE_OPTIONS: dict[str, Any] = {
    "mysql_engine": "InnoDB",
    "mysql_charset": "utf8mb4",
    "mysql_collate": "utf8mb4_bin",
}


def upgrade() -> None:
    op.create_table(
        "object_manifests",
        sa.Column("manifest_id", sa.String(64), nullable=False),
        sa.Column("number", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("manifest_id", "number", name=op.f("pk_object_manifests")),
        **MYSQL_TABLE_OPTIONS,
    )
    op.create_index(op.f("ix_object_manifests_sha256"), "object_manifests", ["sha256"])


def downgrade() -> None:
    op.drop_index(op.f("ix_object_manifests_sha256"), table_name="object_manifests")
    op.drop_table("object_manifests")
