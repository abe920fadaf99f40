"""Identity and access: passwords, organisations sharing the users' namespace, members,
collaborators, sessions, restricted tokens and the audit log.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22

User and organisation names share one namespace: ``namespaces`` holds every taken name as its
primary key, and each existing user's name is copied into it here. New columns are added in
place (SQLite can ``ADD COLUMN``), so no table holding data is rebuilt. As in 0001, column types
are spelled out rather than imported from ``tables.py``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql, postgresql

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MYSQL_TABLE_OPTIONS: dict[str, Any] = {
    "mysql_engine": "InnoDB",
    "mysql_charset": "utf8mb4",
    "mysql_collate": "utf8mb4_bin",
}


def utf8_bytes(length: int) -> sa.types.TypeEngine[Any]:
    """VARBINARY on MariaDB (BLOB cannot be in a key without a prefix), bytea, BLOB."""
    return (
        sa.LargeBinary()
        .with_variant(mysql.VARBINARY(length), "mysql", "mariadb")
        .with_variant(postgresql.BYTEA(), "postgresql")
    )


def utc_datetime() -> sa.types.TypeEngine[Any]:
    """timestamptz on PostgreSQL; microsecond DATETIME on MariaDB."""
    return sa.DateTime(timezone=True).with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")


def upgrade() -> None:
    op.add_column("users", sa.Column("password_hash", sa.String(255), nullable=True))
    op.add_column(
        "tokens",
        sa.Column("restrict_to", sa.JSON(), server_default=sa.text("'[]'"), nullable=False),
    )

    op.create_table(
        "namespaces",
        sa.Column("name", utf8_bytes(96), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_namespaces")),
        **MYSQL_TABLE_OPTIONS,
    )
    # Existing users keep their names: the bytes are copied as they are.
    op.execute(sa.text("INSERT INTO namespaces (name, kind) SELECT name, 'user' FROM users"))

    op.create_table(
        "organizations",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("name", utf8_bytes(96), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("created_at", utc_datetime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organizations")),
        sa.UniqueConstraint("name", name=op.f("uq_organizations_name")),
        **MYSQL_TABLE_OPTIONS,
    )
    op.create_table(
        "memberships",
        sa.Column("org_id", sa.String(32), nullable=False),
        sa.Column("user_id", sa.String(32), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("created_at", utc_datetime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organizations.id"], name=op.f("fk_memberships_org_id_organizations")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_memberships_user_id_users")
        ),
        sa.PrimaryKeyConstraint("org_id", "user_id", name=op.f("pk_memberships")),
        **MYSQL_TABLE_OPTIONS,
    )
    op.create_index(op.f("ix_memberships_user_id"), "memberships", ["user_id"])
    op.create_table(
        "collaborators",
        sa.Column("repo_id", sa.String(32), nullable=False),
        sa.Column("user_id", sa.String(32), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("created_at", utc_datetime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["repo_id"], ["repos.id"], name=op.f("fk_collaborators_repo_id_repos")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_collaborators_user_id_users")
        ),
        sa.PrimaryKeyConstraint("repo_id", "user_id", name=op.f("pk_collaborators")),
        **MYSQL_TABLE_OPTIONS,
    )
    op.create_index(op.f("ix_collaborators_user_id"), "collaborators", ["user_id"])
    op.create_table(
        "sessions",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("user_id", sa.String(32), nullable=False),
        sa.Column("created_at", utc_datetime(), nullable=False),
        sa.Column("expires_at", utc_datetime(), nullable=False),
        sa.Column("revoked_at", utc_datetime(), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_sessions_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sessions")),
        **MYSQL_TABLE_OPTIONS,
    )
    op.create_index(op.f("ix_sessions_user_id"), "sessions", ["user_id"])
    op.create_table(
        "audit_events",
        # SQLite numbers rows itself only for an INTEGER PRIMARY KEY, not a BIGINT one.
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("at", utc_datetime(), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("actor", sa.String(255), nullable=True),
        sa.Column("target", sa.Text(), nullable=False),
        sa.Column("client", sa.String(255), nullable=True),
        sa.Column("success", sa.Boolean(), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_events")),
        **MYSQL_TABLE_OPTIONS,
    )
    op.create_index(op.f("ix_audit_events_actor_id"), "audit_events", ["actor", "id"])
    op.create_index(op.f("ix_audit_events_action_id"), "audit_events", ["action", "id"])


# Children before the tables their foreign keys refer to.
NEW_TABLES_CHILDREN_FIRST = (
    "audit_events",
    "sessions",
    "collaborators",
    "memberships",
    "organizations",
    "namespaces",
)


def downgrade() -> None:
    for table in NEW_TABLES_CHILDREN_FIRST:
        op.drop_table(table)
    # Plain ALTER TABLE … DROP COLUMN (SQLite 3.35 and later): a batch rebuild of users would
    # drop a table that tokens and repos refer to.
    op.drop_column("tokens", "restrict_to")
    op.drop_column("users", "password_hash")
