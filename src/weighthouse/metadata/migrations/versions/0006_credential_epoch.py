"""The credential epoch: one row whose value changes whenever a credential ends or a user's
standing changes, so that caches of authenticated principals can tell they are stale.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04

No row is inserted: a missing row reads as the empty epoch, and the first change creates it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MYSQL_TABLE_OPTIONS: dict[str, Any] = {
    "mysql_engine": "InnoDB",
    "mysql_charset": "utf8mb4",
    "mysql_collate": "utf8mb4_bin",
}


def upgrade() -> None:
    op.create_table(
        "credential_epoch",
        sa.Column("slot", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("epoch", sa.String(32), nullable=False),
        sa.CheckConstraint("slot = 1", name=op.f("ck_credential_epoch_single_row")),
        sa.PrimaryKeyConstraint("slot", name=op.f("pk_credential_epoch")),
        **MYSQL_TABLE_OPTIONS,
    )


def downgrade() -> None:
    op.drop_table("credential_epoch")
