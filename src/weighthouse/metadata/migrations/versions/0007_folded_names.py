"""User and organisation names unique in any mix of case: ``namespaces.folded``.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04

``folded`` holds each name in lower case under a unique constraint, so ``Alice`` can no longer
be taken beside ``alice``. Names that already clash are not renamed (their owners sign in with
them): in each group the lower-case name (or else the first in byte order) gets the folded
form, the others keep their exact name in ``folded``, and the migration logs every group as a
warning, for an administrator to settle. Names are ASCII, so folding is done here in Python,
the same on every database.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql, postgresql

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

log = logging.getLogger("weighthouse.migrations")


def utf8_bytes(length: int) -> sa.types.TypeEngine[Any]:
    """VARBINARY on MariaDB (BLOB cannot be in a key without a prefix), bytea, BLOB."""
    return (
        sa.LargeBinary()
        .with_variant(mysql.VARBINARY(length), "mysql", "mariadb")
        .with_variant(postgresql.BYTEA(), "postgresql")
    )


def folded_forms(names: Sequence[str]) -> tuple[dict[str, str], list[list[str]]]:
    """Each name's ``folded`` value, and the groups of names that differ only in case."""
    groups: dict[str, list[str]] = {}
    for name in names:
        groups.setdefault(name.lower(), []).append(name)
    values: dict[str, str] = {}
    clashes: list[list[str]] = []
    for folded, members in sorted(groups.items()):
        keeper = folded if folded in members else min(members, key=lambda n: n.encode())
        for name in members:
            # An exact name with an upper-case letter never equals a lower-case folded form.
            values[name] = folded if name == keeper else name
        if len(members) > 1:
            clashes.append(sorted(members, key=lambda n: n.encode()))
    return values, clashes


def upgrade() -> None:
    op.add_column("namespaces", sa.Column("folded", utf8_bytes(96), nullable=True))
    bind = op.get_bind()
    names = [bytes(row[0]).decode() for row in bind.execute(sa.text("SELECT name FROM namespaces"))]
    values, clashes = folded_forms(names)
    update = sa.text("UPDATE namespaces SET folded = :folded WHERE name = :name")
    for name, folded in values.items():
        bind.execute(update, {"folded": folded.encode(), "name": name.encode()})
    for group in clashes:
        log.warning(
            "names that differ only in case: %s; the first keeps the name, the others should "
            "be renamed (new names can no longer clash)",
            ", ".join(group),
        )
    with op.batch_alter_table("namespaces") as batch:
        batch.alter_column("folded", existing_type=utf8_bytes(96), nullable=False)
        batch.create_unique_constraint(op.f("uq_namespaces_folded"), ["folded"])


def downgrade() -> None:
    with op.batch_alter_table("namespaces") as batch:
        batch.drop_constraint(op.f("uq_namespaces_folded"), type_="unique")
        batch.drop_column("folded")
