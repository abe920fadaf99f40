"""Objects keep their tag sets, and multipart uploads the tags their object will carry:
``objects.tags`` and ``multipart_uploads.tags``.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-05

Nullable JSON maps, as the content headers are: objects and uploads stored before this
revision read as having no tags, so no row needs rewriting.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0023"
down_revision: str | Sequence[str] | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    for table in ("objects", "multipart_uploads"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("tags", sa.JSON(), nullable=True))


def downgrade() -> None:
    for table in ("objects", "multipart_uploads"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("tags")
