"""Buckets keep configurations S3 clients set: ``bucket_configurations``, one JSON document
per bucket and name (its tags, its CORS rules).

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-05

Deleted with the bucket; read by the bucket's id and the name, the primary key.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0024"
down_revision: str | Sequence[str] | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MYSQL_TABLE_OPTIONS: dict[str, Any] = {
    "mysql_engine": "InnoDB",
    "mysql_charset": "utf8mb4",
    "mysql_collate": "utf8mb4_bin",
}


def upgrade() -> None:
    op.create_table(
        "bucket_configurations",
        sa.Column("repo_id", sa.String(32), nullable=False),
        sa.Column("name", sa.String(32), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["repo_id"], ["repos.id"], name=op.f("fk_bucket_configurations_repo_id_repos")
        ),
        sa.PrimaryKeyConstraint("repo_id", "name", name=op.f("pk_bucket_configurations")),
        **MYSQL_TABLE_OPTIONS,
    )


def downgrade() -> None:
    op.drop_table("bucket_configurations")
