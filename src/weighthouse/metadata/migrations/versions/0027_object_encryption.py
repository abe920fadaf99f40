"""Objects, their older versions and multipart uploads keep how their bytes are encrypted at
rest (``encryption``, a JSON document), and each part of an upload the initial counter of its
encrypted blob (``multipart_parts.iv``).

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-05

Nullable: rows stored before this revision are not encrypted, so no row needs rewriting.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0027"
down_revision: str | Sequence[str] | None = "0026"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TABLES = ("objects", "object_versions", "multipart_uploads")


def upgrade() -> None:
    for table in _TABLES:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("encryption", sa.JSON(), nullable=True))
    with op.batch_alter_table("multipart_parts") as batch:
        batch.add_column(sa.Column("iv", sa.String(32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("multipart_parts") as batch:
        batch.drop_column("iv")
    for table in _TABLES:
        with op.batch_alter_table(table) as batch:
            batch.drop_column("encryption")
