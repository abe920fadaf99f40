"""Buckets count the changes to their configurations: ``repos.configuration_revision``.

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-05

Read with the bucket on every request, it lets a request skip reading the policy and ACL of a
bucket that has none, and answer from a process's cache for one that has. Buckets that already
have configurations start at 1, the others at 0: a bucket left at 0 with a configuration would
have its policy ignored.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0028"
down_revision: str | Sequence[str] | None = "0027"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # In place, on SQLite too: rebuilding repos would break the foreign keys that name it.
    op.add_column(
        "repos",
        sa.Column(
            "configuration_revision", sa.BigInteger(), server_default=sa.text("0"), nullable=False
        ),
    )
    op.execute(
        "UPDATE repos SET configuration_revision = 1"
        " WHERE id IN (SELECT repo_id FROM bucket_configurations)"
    )


def downgrade() -> None:
    # In place too (SQLite has DROP COLUMN since 3.35), for the reason upgrade gives.
    op.drop_column("repos", "configuration_revision")
