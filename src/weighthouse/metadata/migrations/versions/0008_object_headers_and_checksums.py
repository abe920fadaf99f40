"""Bucket objects keep their content headers and verified checksums: ``objects.content_headers``
and ``objects.checksums``.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04

Both are JSON maps and nullable: rows written before this revision read as having none, so no
row needs rewriting and the migration takes no time on a large catalog.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("objects") as batch:
        batch.add_column(sa.Column("content_headers", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("checksums", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("objects") as batch:
        batch.drop_column("checksums")
        batch.drop_column("content_headers")
