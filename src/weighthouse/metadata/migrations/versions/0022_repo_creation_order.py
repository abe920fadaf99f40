"""Listings can sort by creation time: an index on ``repos.created_at``.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-05

The Hub API's ``sort=createdAt`` (``list_models(sort="created_at")``) lists repos newest first,
page by page, as the orders by update time and size do with their own indexes.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0022"
down_revision: str | Sequence[str] | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(op.f("ix_repos_created_at"), "repos", ["created_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_repos_created_at"), table_name="repos")
