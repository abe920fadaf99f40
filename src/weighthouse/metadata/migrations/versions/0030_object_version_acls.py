"""Each object version keeps its access control list: ``object_versions.acl``, which an
object's ACL moves to when a newer version replaces it (and back when it is the latest again).

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-05

Nullable, as ``objects.acl`` is: the older versions stored before this revision kept no ACL
and read, as they did, as having the default one (their bucket owner's full control), so no
row needs rewriting.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0030"
down_revision: str | Sequence[str] | None = "0029"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("object_versions") as batch:
        batch.add_column(sa.Column("acl", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("object_versions") as batch:
        batch.drop_column("acl")
