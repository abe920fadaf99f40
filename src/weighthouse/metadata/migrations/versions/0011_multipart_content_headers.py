"""Multipart uploads keep the content headers their object will carry:
``multipart_uploads.content_headers``.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04

A nullable JSON map, as ``objects.content_headers`` is: uploads started before this revision
read as having none, so no row needs rewriting.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | Sequence[str] | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("multipart_uploads") as batch:
        batch.add_column(sa.Column("content_headers", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("multipart_uploads") as batch:
        batch.drop_column("content_headers")
