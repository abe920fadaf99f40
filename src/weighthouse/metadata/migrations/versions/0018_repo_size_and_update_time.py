"""Repos keep their size and last-update time; trees keep the bytes beneath them.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-05

Listings sort by size and by last update, so both are columns of ``repos``, kept by the catalog
in the transaction of each commit and object write or delete. A commit's size is its root
tree's, so ``trees.size`` holds the bytes of every file beneath a tree (a tree never changes):
a commit then sets its repo's size from the root tree alone, without a walk.

The columns are filled here for what exists: each repo's trees bottom-up (one repo's entries
in memory at a time), then each model's and dataset's size from the head of ``main`` and each
bucket's from its objects, and the last update from the newest commit or object (the creation
time when there is none).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql, postgresql

revision: str = "0018"
down_revision: str | Sequence[str] | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DEFAULT_BRANCH = "main"


def utc_datetime() -> sa.types.TypeEngine[Any]:
    """timestamptz on PostgreSQL; microsecond DATETIME on MariaDB."""
    return sa.DateTime(timezone=True).with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")


def utf8_bytes(length: int) -> sa.types.TypeEngine[Any]:
    """VARBINARY on MariaDB, bytea, BLOB: as ``Utf8Bytes`` stores a name."""
    return (
        sa.LargeBinary()
        .with_variant(mysql.VARBINARY(length), "mysql", "mariadb")
        .with_variant(postgresql.BYTEA(), "postgresql")
    )


repos = sa.table(
    "repos",
    sa.column("id", sa.String(32)),
    sa.column("type", sa.String(16)),
    sa.column("created_at", utc_datetime()),
    sa.column("size", sa.BigInteger()),
    sa.column("updated_at", utc_datetime()),
)
trees = sa.table(
    "trees",
    sa.column("repo_id", sa.String(32)),
    sa.column("tree_id", sa.String(64)),
    sa.column("size", sa.BigInteger()),
)
tree_entries = sa.table(
    "tree_entries",
    sa.column("repo_id", sa.String(32)),
    sa.column("tree_id", sa.String(64)),
    sa.column("kind", sa.String(16)),
    sa.column("child_tree_id", sa.String(64)),
    sa.column("size", sa.BigInteger()),
)
commits = sa.table(
    "commits",
    sa.column("repo_id", sa.String(32)),
    sa.column("id", sa.String(40)),
    sa.column("tree_id", sa.String(64)),
    sa.column("created_at", utc_datetime()),
)
refs = sa.table(
    "refs",
    sa.column("repo_id", sa.String(32)),
    sa.column("name", utf8_bytes(128)),
    sa.column("kind", sa.String(16)),
    sa.column("commit_id", sa.String(40)),
)
objects = sa.table(
    "objects",
    sa.column("repo_id", sa.String(32)),
    sa.column("size", sa.BigInteger()),
    sa.column("modified_at", utc_datetime()),
)


def upgrade() -> None:
    # Plain ADD COLUMNs, which SQLite does in place: a batch would copy the tables, which
    # other tables' foreign keys point at.
    op.add_column(
        "trees", sa.Column("size", sa.BigInteger(), server_default=sa.text("0"), nullable=False)
    )
    op.add_column(
        "repos", sa.Column("size", sa.BigInteger(), server_default=sa.text("0"), nullable=False)
    )
    op.add_column("repos", sa.Column("updated_at", utc_datetime(), nullable=True))
    op.create_index(op.f("ix_repos_size"), "repos", ["size"])
    op.create_index(op.f("ix_repos_updated_at"), "repos", ["updated_at"])
    connection = op.get_bind()
    for repo_id, repo_type, created_at in connection.execute(
        sa.select(repos.c.id, repos.c.type, repos.c.created_at)
    ):
        if repo_type == "bucket":
            size, updated_at = connection.execute(
                sa.select(sa.func.sum(objects.c.size), sa.func.max(objects.c.modified_at)).where(
                    objects.c.repo_id == repo_id
                )
            ).one()
        else:
            size = _fill_tree_sizes(connection, repo_id)
            updated_at = connection.scalar(
                sa.select(sa.func.max(commits.c.created_at)).where(commits.c.repo_id == repo_id)
            )
        connection.execute(
            sa.update(repos)
            .where(repos.c.id == repo_id)
            .values(size=int(size or 0), updated_at=updated_at or created_at)
        )


def _fill_tree_sizes(connection: sa.Connection, repo_id: str) -> int:
    """Store the size of each of the repo's trees; returns the size at the head of ``main``."""
    children: dict[str, list[tuple[str | None, int]]] = {}
    for tree_id, kind, child, size in connection.execute(
        sa.select(
            tree_entries.c.tree_id,
            tree_entries.c.kind,
            tree_entries.c.child_tree_id,
            tree_entries.c.size,
        ).where(tree_entries.c.repo_id == repo_id)
    ):
        entry = (child, 0) if kind == "directory" else (None, int(size))
        children.setdefault(tree_id, []).append(entry)
    sizes: dict[str, int] = {}

    def size_of(tree_id: str) -> int:
        # Iterative, children before parents: a deep folder never meets a recursion limit.
        pending = [tree_id]
        while pending:
            current = pending[-1]
            if current in sizes:
                pending.pop()
                continue
            missing = [c for c, _ in children.get(current, ()) if c is not None and c not in sizes]
            if missing:
                pending.extend(missing)
                continue
            sizes[current] = sum(
                sizes[c] if c is not None else n for c, n in children.get(current, ())
            )
            pending.pop()
        return sizes[tree_id]

    for tree_id in children:
        size_of(tree_id)
    updates = [{"r": repo_id, "t": t, "s": s} for t, s in sizes.items() if s]
    if updates:
        connection.execute(
            sa.update(trees)
            .where(trees.c.repo_id == sa.bindparam("r"), trees.c.tree_id == sa.bindparam("t"))
            .values(size=sa.bindparam("s")),
            updates,
        )
    head = connection.scalar(
        sa.select(commits.c.tree_id)
        .select_from(
            refs.join(
                commits,
                sa.and_(commits.c.repo_id == refs.c.repo_id, commits.c.id == refs.c.commit_id),
            )
        )
        .where(
            refs.c.repo_id == repo_id,
            refs.c.kind == "branch",
            refs.c.name == DEFAULT_BRANCH.encode("utf-8"),
        )
    )
    return 0 if head is None else sizes.get(head, 0)


def downgrade() -> None:
    op.drop_index(op.f("ix_repos_updated_at"), table_name="repos")
    op.drop_index(op.f("ix_repos_size"), table_name="repos")
    # In place too (SQLite has DROP COLUMN since 3.35), for the reason upgrade gives.
    op.drop_column("repos", "updated_at")
    op.drop_column("repos", "size")
    op.drop_column("trees", "size")
