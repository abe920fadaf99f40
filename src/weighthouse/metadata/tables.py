"""The catalog's tables. Rows never leave ``weighthouse.metadata``: the catalog returns domain
dataclasses built from them.

Every name, path and key column is :class:`Utf8Bytes`, so uniqueness is case-sensitive and
ordering is UTF-8 byte order on every database. MariaDB tables are InnoDB with a binary utf8mb4
collation, so the remaining text columns (ids, digests) compare exactly too.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from weighthouse.metadata.column_types import UtcDateTime, Utf8Bytes

NAME_BYTES = 96
FULL_NAME_BYTES = 2 * NAME_BYTES + 1
REF_NAME_BYTES = 128
KEY_BYTES = 1024
ID = 32  # uuid4().hex
COMMIT_ID = 40
TREE_ID = 64
SHA256 = 64

# Stable constraint names, so later migrations can refer to them on every database.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

MYSQL_TABLE_OPTIONS: dict[str, Any] = {
    "mysql_engine": "InnoDB",
    "mysql_charset": "utf8mb4",
    "mysql_collate": "utf8mb4_bin",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UserRow(Base):
    __tablename__ = "users"
    __table_args__ = (MYSQL_TABLE_OPTIONS,)

    id: Mapped[str] = mapped_column(String(ID), primary_key=True)
    name: Mapped[str] = mapped_column(Utf8Bytes(NAME_BYTES), unique=True)
    is_admin: Mapped[bool] = mapped_column(Boolean)
    disabled: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class TokenRow(Base):
    """An API token; only the SHA-256 hex of its secret is stored."""

    __tablename__ = "tokens"
    __table_args__ = (MYSQL_TABLE_OPTIONS,)

    id: Mapped[str] = mapped_column(String(ID), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(ID), ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(255))
    scope: Mapped[str] = mapped_column(String(16))
    secret_sha256: Mapped[str] = mapped_column(String(SHA256))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    last_used_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class RepoRow(Base):
    """A repo. ``full_name`` (``namespace/name``) orders listings and is their cursor, since
    ordering by the pair would differ (``a-b/x`` sorts before ``a/x``); ``search_name`` is its
    lower-case form for case-insensitive search."""

    __tablename__ = "repos"
    __table_args__ = (
        UniqueConstraint("type", "namespace", "name"),
        Index(None, "full_name"),
        MYSQL_TABLE_OPTIONS,
    )

    id: Mapped[str] = mapped_column(String(ID), primary_key=True)
    type: Mapped[str] = mapped_column(String(16))
    namespace: Mapped[str] = mapped_column(Utf8Bytes(NAME_BYTES))
    name: Mapped[str] = mapped_column(Utf8Bytes(NAME_BYTES))
    full_name: Mapped[str] = mapped_column(Utf8Bytes(FULL_NAME_BYTES))
    search_name: Mapped[str] = mapped_column(String(FULL_NAME_BYTES))
    private: Mapped[bool] = mapped_column(Boolean)
    owner_id: Mapped[str] = mapped_column(String(ID), ForeignKey("users.id"), index=True)
    description: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class RefRow(Base):
    """A branch or tag; one name per repo across both kinds."""

    __tablename__ = "refs"
    __table_args__ = (MYSQL_TABLE_OPTIONS,)

    repo_id: Mapped[str] = mapped_column(String(ID), ForeignKey("repos.id"), primary_key=True)
    name: Mapped[str] = mapped_column(Utf8Bytes(REF_NAME_BYTES), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    commit_id: Mapped[str] = mapped_column(String(COMMIT_ID))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class CommitRow(Base):
    __tablename__ = "commits"
    __table_args__ = (MYSQL_TABLE_OPTIONS,)

    repo_id: Mapped[str] = mapped_column(String(ID), ForeignKey("repos.id"), primary_key=True)
    id: Mapped[str] = mapped_column(String(COMMIT_ID), primary_key=True)
    tree_id: Mapped[str] = mapped_column(String(TREE_ID))
    parent_id: Mapped[str | None] = mapped_column(String(COMMIT_ID))
    author: Mapped[str] = mapped_column(Text)
    message: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class TreeRow(Base):
    """A stored directory. It exists apart from its entries so an empty tree can be stored."""

    __tablename__ = "trees"
    __table_args__ = (MYSQL_TABLE_OPTIONS,)

    repo_id: Mapped[str] = mapped_column(String(ID), ForeignKey("repos.id"), primary_key=True)
    tree_id: Mapped[str] = mapped_column(String(TREE_ID), primary_key=True)


class TreeEntryRow(Base):
    """One name in a directory: a file with its digests, or a subdirectory's ``child_tree_id``."""

    __tablename__ = "tree_entries"
    __table_args__ = (
        ForeignKeyConstraint(["repo_id", "tree_id"], ["trees.repo_id", "trees.tree_id"]),
        MYSQL_TABLE_OPTIONS,
    )

    repo_id: Mapped[str] = mapped_column(String(ID), primary_key=True)
    tree_id: Mapped[str] = mapped_column(String(TREE_ID), primary_key=True)
    name: Mapped[str] = mapped_column(Utf8Bytes(KEY_BYTES), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    child_tree_id: Mapped[str | None] = mapped_column(String(TREE_ID))
    # Indexed for the garbage collector's is_referenced.
    sha256: Mapped[str | None] = mapped_column(String(SHA256), index=True)
    size: Mapped[int] = mapped_column(BigInteger)
    git_sha1: Mapped[str | None] = mapped_column(String(40))


class ObjectRow(Base):
    """A bucket object; the key is stored verbatim as UTF-8 bytes."""

    __tablename__ = "objects"
    __table_args__ = (MYSQL_TABLE_OPTIONS,)

    repo_id: Mapped[str] = mapped_column(String(ID), ForeignKey("repos.id"), primary_key=True)
    key: Mapped[str] = mapped_column(Utf8Bytes(KEY_BYTES), primary_key=True)
    # Indexed for the garbage collector's is_referenced.
    sha256: Mapped[str] = mapped_column(String(SHA256), index=True)
    size: Mapped[int] = mapped_column(BigInteger)
    md5: Mapped[str] = mapped_column(String(32))
    content_type: Mapped[str] = mapped_column(String(255))
    # "metadata" is reserved on declarative classes, hence the attribute name.
    user_metadata: Mapped[dict[str, str]] = mapped_column("metadata", JSON)
    modified_at: Mapped[datetime] = mapped_column(UtcDateTime())


# The tables themselves, for Core statements (the catalog never loads ORM objects).
users = cast(Table, UserRow.__table__)
tokens = cast(Table, TokenRow.__table__)
repos = cast(Table, RepoRow.__table__)
refs = cast(Table, RefRow.__table__)
commits = cast(Table, CommitRow.__table__)
trees = cast(Table, TreeRow.__table__)
tree_entries = cast(Table, TreeEntryRow.__table__)
objects = cast(Table, ObjectRow.__table__)
