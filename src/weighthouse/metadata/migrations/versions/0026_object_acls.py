"""Objects keep their access control lists, and multipart uploads the one their object will
carry: ``objects.acl`` and ``multipart_uploads.acl``.

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-05

Nullable JSON documents (an owner and its grants): objects and uploads stored before this
revision read as having the default ACL, their bucket owner's full control, so no row needs
rewriting.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0026"
down_revision: str | Sequence[str] | None = "0025"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    for table in ("objects", "multipart_uploads"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("acl", sa.JSON(), nullable=True))


def downgrade() -> None:
    for table in ("objects", "multipart_uploads"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("acl")
