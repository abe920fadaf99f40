"""The catalog's tables. Rows never leave ``weighthouse.metadata``: the catalog returns domain
dataclasses built from them.

Every name, path and key column is :class:`Utf8Bytes`, so uniqueness is case-sensitive and
ordering is UTF-8 byte order on every database. MariaDB tables are InnoDB with a binary utf8mb4
collation, so the remaining text columns (ids, digests) compare exactly too.

Users and organisations share one namespace: each takes its name in ``namespaces`` (whose
primary key is the name) in the transaction that creates it, so the database itself refuses a
second account of either kind with that name, however many are created at once.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Double,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from weighthouse.metadata.column_types import UtcDateTime, Utf8Bytes

NAME_BYTES = 96
FULL_NAME_BYTES = 2 * NAME_BYTES + 1
REF_NAME_BYTES = 128
KEY_BYTES = 1024
ID = 32  # uuid4().hex
VERSION_ID = 32  # an object version id (see domain.object_versions)
COMMIT_ID = 40
TREE_ID = 64
SHA256 = 64
PASSWORD_HASH = 255
ROLE = 16
GATING = 16  # a gating mode or an access request status
AUDIT_ACTION = 64
AUDIT_ACTOR = 255
AUDIT_CLIENT = 255
ACCESS_KEY_ID = 128
SEALED_SECRET = 255
UPLOAD_ID = 48
JOB_NAME = 64
JOB_LABEL = 255
JOB_WORKER = 128
NOTIFY_URL = 2048
NOTIFY_SECRET = 255
CHECKSUM = 64  # base64 of a digest of at most 256 bits, with room for a "-N" suffix

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


class NamespaceRow(Base):
    """A name taken by a user or an organisation (``kind``). The primary key makes the name
    unique across both kinds; users and organisations insert their row here first."""

    __tablename__ = "namespaces"
    __table_args__ = (MYSQL_TABLE_OPTIONS,)

    name: Mapped[str] = mapped_column(Utf8Bytes(NAME_BYTES), primary_key=True)
    # The name in lower case, unique: ``Alice`` cannot be taken beside ``alice``. Clashes from
    # before this rule keep their exact name here (migration 0007 reports them).
    folded: Mapped[str] = mapped_column(Utf8Bytes(NAME_BYTES), unique=True)
    kind: Mapped[str] = mapped_column(String(16))


class UserRow(Base):
    """A person who signs in; ``password_hash`` is an argon2id hash, ``None`` for no password."""

    __tablename__ = "users"
    __table_args__ = (MYSQL_TABLE_OPTIONS,)

    id: Mapped[str] = mapped_column(String(ID), primary_key=True)
    name: Mapped[str] = mapped_column(Utf8Bytes(NAME_BYTES), unique=True)
    is_admin: Mapped[bool] = mapped_column(Boolean)
    disabled: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    password_hash: Mapped[str | None] = mapped_column(String(PASSWORD_HASH))


class OrganizationRow(Base):
    """An organisation: a namespace that members share."""

    __tablename__ = "organizations"
    __table_args__ = (MYSQL_TABLE_OPTIONS,)

    id: Mapped[str] = mapped_column(String(ID), primary_key=True)
    name: Mapped[str] = mapped_column(Utf8Bytes(NAME_BYTES), unique=True)
    description: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class MembershipRow(Base):
    """A user's role in an organisation. Indexed by user for "my organisations"."""

    __tablename__ = "memberships"
    __table_args__ = (MYSQL_TABLE_OPTIONS,)

    org_id: Mapped[str] = mapped_column(
        String(ID), ForeignKey("organizations.id"), primary_key=True
    )
    user_id: Mapped[str] = mapped_column(
        String(ID), ForeignKey("users.id"), primary_key=True, index=True
    )
    role: Mapped[str] = mapped_column(String(ROLE))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class SessionRow(Base):
    """A signed-in session, named by the signed session token."""

    __tablename__ = "sessions"
    __table_args__ = (MYSQL_TABLE_OPTIONS,)

    id: Mapped[str] = mapped_column(String(ID), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(ID), ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


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
    # A JSON list of ``namespace`` and ``namespace/name`` entries; empty for no restriction.
    restrict_to: Mapped[list[str]] = mapped_column(JSON, server_default=text("'[]'"))


class AccessKeyRow(Base):
    """An S3 access key. ``sealed_secret`` is the secret encrypted under a server key kept
    outside the catalog (``v1.<kid>.<nonce>.<ciphertext>``), never the secret itself."""

    __tablename__ = "access_keys"
    __table_args__ = (MYSQL_TABLE_OPTIONS,)

    id: Mapped[str] = mapped_column(String(ACCESS_KEY_ID), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(ID), ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(255))
    scope: Mapped[str] = mapped_column(String(16))
    sealed_secret: Mapped[str] = mapped_column(String(SEALED_SECRET))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    last_used_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # A JSON list of ``namespace`` and ``namespace/name`` entries; empty for no restriction.
    buckets: Mapped[list[str]] = mapped_column(JSON)


class RepoRow(Base):
    """A repo. ``full_name`` (``namespace/name``) orders listings and is their cursor, since
    ordering by the pair would differ (``a-b/x`` sorts before ``a/x``); ``search_name`` is its
    lower-case form for case-insensitive search."""

    __tablename__ = "repos"
    __table_args__ = (
        UniqueConstraint("type", "namespace", "name"),
        Index(None, "full_name"),
        Index(None, "updated_at"),
        Index(None, "size"),
        Index(None, "created_at"),
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
    gated: Mapped[str] = mapped_column(String(GATING), server_default=text("'off'"))
    # Kept in the transaction of every commit (size: to ``main`` only) and object write or
    # delete, so listings can sort by them; migration 0018 filled them for older repos.
    size: Mapped[int] = mapped_column(BigInteger, server_default=text("0"))
    updated_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # A bucket's versioning (Enabled, Suspended; NULL: never set) and the position of its
    # newest version, which every versioned write raises (migration 0025).
    versioning: Mapped[str | None] = mapped_column(String(16))
    version_counter: Mapped[int] = mapped_column(BigInteger, server_default=text("0"))
    # Raised in the transaction of every change to the bucket's configurations (policy, ACL,
    # CORS, tags...), 0 while it has none (migration 0028): a request reads it with the bucket
    # and skips, or answers from a process's cache, the configurations it would read.
    configuration_revision: Mapped[int] = mapped_column(BigInteger, server_default=text("0"))
    # A bucket's object lock once enabled: {} or its default retention, {"mode", "days" or
    # "years"} (see domain.object_lock); NULL: not enabled.
    object_lock: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class CollaboratorRow(Base):
    """A user's role on one repo; deleted with the repo."""

    __tablename__ = "collaborators"
    __table_args__ = (MYSQL_TABLE_OPTIONS,)

    repo_id: Mapped[str] = mapped_column(String(ID), ForeignKey("repos.id"), primary_key=True)
    user_id: Mapped[str] = mapped_column(
        String(ID), ForeignKey("users.id"), primary_key=True, index=True
    )
    role: Mapped[str] = mapped_column(String(ROLE))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class AccessRequestRow(Base):
    """A user's request for a gated repo's files; one per user and repo, deleted with the
    repo. ``decided_by`` is a user name as the audit log keeps it (it names, never grants)."""

    __tablename__ = "access_requests"
    __table_args__ = (Index(None, "repo_id", "status", "created_at"), MYSQL_TABLE_OPTIONS)

    repo_id: Mapped[str] = mapped_column(String(ID), ForeignKey("repos.id"), primary_key=True)
    user_id: Mapped[str] = mapped_column(
        String(ID), ForeignKey("users.id"), primary_key=True, index=True
    )
    status: Mapped[str] = mapped_column(String(GATING))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())
    decided_by: Mapped[str | None] = mapped_column(Utf8Bytes(NAME_BYTES), nullable=True)
    reason: Mapped[str] = mapped_column(Text)


class DiscussionRow(Base):
    """A discussion or pull request, numbered within its repo; deleted with the repo.
    ``target_branch`` and ``base_commit`` are set on pull requests only."""

    __tablename__ = "discussions"
    __table_args__ = (MYSQL_TABLE_OPTIONS,)

    repo_id: Mapped[str] = mapped_column(String(ID), ForeignKey("repos.id"), primary_key=True)
    num: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    title: Mapped[str] = mapped_column(Text)
    author_id: Mapped[str] = mapped_column(String(ID), ForeignKey("users.id"), index=True)
    status: Mapped[str] = mapped_column(String(GATING))
    is_pull_request: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    target_branch: Mapped[str | None] = mapped_column(Utf8Bytes(REF_NAME_BYTES), nullable=True)
    base_commit: Mapped[str | None] = mapped_column(String(COMMIT_ID), nullable=True)
    merge_commit: Mapped[str | None] = mapped_column(String(COMMIT_ID), nullable=True)


class DiscussionEventRow(Base):
    """One event of a discussion, numbered within it; deleted with the repo."""

    __tablename__ = "discussion_events"
    __table_args__ = (
        ForeignKeyConstraint(["repo_id", "num"], ["discussions.repo_id", "discussions.num"]),
        MYSQL_TABLE_OPTIONS,
    )

    repo_id: Mapped[str] = mapped_column(String(ID), primary_key=True)
    num: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    kind: Mapped[str] = mapped_column(String(GATING))
    author_id: Mapped[str] = mapped_column(String(ID), ForeignKey("users.id"), index=True)
    content: Mapped[str] = mapped_column(Text)
    old: Mapped[str] = mapped_column(Text)
    edited: Mapped[bool] = mapped_column(Boolean)
    hidden: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class RepoLikeRow(Base):
    """A user likes a repo; deleted with the repo."""

    __tablename__ = "repo_likes"
    __table_args__ = (MYSQL_TABLE_OPTIONS,)

    repo_id: Mapped[str] = mapped_column(String(ID), ForeignKey("repos.id"), primary_key=True)
    user_id: Mapped[str] = mapped_column(
        String(ID), ForeignKey("users.id"), primary_key=True, index=True
    )
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


class DeletedTagRow(Base):
    """A tag as it was when deleted: which commit it named. A writer may re-create a deleted
    tag only on a commit every deletion of that name named (see ``Revisions.create_ref``)."""

    __tablename__ = "deleted_tags"
    __table_args__ = (MYSQL_TABLE_OPTIONS,)

    repo_id: Mapped[str] = mapped_column(String(ID), ForeignKey("repos.id"), primary_key=True)
    name: Mapped[str] = mapped_column(Utf8Bytes(REF_NAME_BYTES), primary_key=True)
    commit_id: Mapped[str] = mapped_column(String(COMMIT_ID), primary_key=True)
    deleted_at: Mapped[datetime] = mapped_column(UtcDateTime())


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
    # The bytes of every file beneath, subfolders included: what a commit of this root tree
    # holds. A tree never changes, so neither does its size.
    size: Mapped[int] = mapped_column(BigInteger, server_default=text("0"))


class TreeEntryRow(Base):
    """One name in a directory: a file with its digests, or a subdirectory's ``child_tree_id``."""

    __tablename__ = "tree_entries"
    __table_args__ = (
        ForeignKeyConstraint(["repo_id", "tree_id"], ["trees.repo_id", "trees.tree_id"]),
        # Which repos hold a blob (proof before reuse), and whether any does (the garbage
        # collector's is_referenced), from the index alone.
        Index(None, "sha256", "repo_id"),
        MYSQL_TABLE_OPTIONS,
    )

    repo_id: Mapped[str] = mapped_column(String(ID), primary_key=True)
    tree_id: Mapped[str] = mapped_column(String(TREE_ID), primary_key=True)
    name: Mapped[str] = mapped_column(Utf8Bytes(KEY_BYTES), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    child_tree_id: Mapped[str | None] = mapped_column(String(TREE_ID))
    sha256: Mapped[str | None] = mapped_column(String(SHA256))
    size: Mapped[int] = mapped_column(BigInteger)
    git_sha1: Mapped[str | None] = mapped_column(String(40))


class ObjectRow(Base):
    """A bucket object; the key is stored verbatim as UTF-8 bytes."""

    __tablename__ = "objects"
    __table_args__ = (
        # As for tree entries: the buckets holding a blob, and whether any does.
        Index(None, "sha256", "repo_id"),
        MYSQL_TABLE_OPTIONS,
    )

    repo_id: Mapped[str] = mapped_column(String(ID), ForeignKey("repos.id"), primary_key=True)
    key: Mapped[str] = mapped_column(Utf8Bytes(KEY_BYTES), primary_key=True)
    sha256: Mapped[str] = mapped_column(String(SHA256))
    size: Mapped[int] = mapped_column(BigInteger)
    md5: Mapped[str] = mapped_column(String(32))
    content_type: Mapped[str] = mapped_column(String(255))
    # "metadata" is reserved on declarative classes, hence the attribute name.
    user_metadata: Mapped[dict[str, str]] = mapped_column("metadata", JSON)
    content_headers: Mapped[dict[str, str] | None] = mapped_column(JSON)
    checksums: Mapped[dict[str, str] | None] = mapped_column(JSON)
    modified_at: Mapped[datetime] = mapped_column(UtcDateTime())
    # Only for an object assembled from a multipart upload: its parts' sizes, in order, and
    # the MD5 of their MD5 digests (S3's ETag of such an object).
    part_sizes: Mapped[list[int] | None] = mapped_column(JSON)
    parts_md5: Mapped[str | None] = mapped_column(String(32))
    # The tag set as a JSON object, in the order given; NULL for none.
    tags: Mapped[dict[str, str] | None] = mapped_column(JSON)
    # Which version of the key this is ("null" unless written with versioning enabled) and its
    # position among the bucket's versions (0 for one written while it had no versioning).
    version_id: Mapped[str] = mapped_column(String(VERSION_ID), server_default=text("'null'"))
    position: Mapped[int] = mapped_column(BigInteger, server_default=text("0"))

    # The access control list, {"owner": id, "grants": [[kind, id, permission]...]}; NULL for
    # the default (the bucket's owner, full control).
    acl: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # How the bytes are encrypted at rest (weighthouse.domain.encryption); NULL: in the clear.
    encryption: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    # The version's object lock (migration 0029): a retention's mode and date, both or
    # neither, and its legal hold (NULL: never set, false: set off).
    lock_mode: Mapped[str | None] = mapped_column(String(16))
    retain_until: Mapped[datetime | None] = mapped_column(UtcDateTime())
    legal_hold: Mapped[bool | None] = mapped_column(Boolean)


class ObjectVersionRow(Base):
    """A version of a bucket key that is not its latest object: an older object, or a delete
    marker (``marker``; then no blob, ``sha256`` NULL). The key's latest object, when there is
    one, is its row of ``objects``. Listing walks ``(repo_id, key, position)``; the garbage
    collector keeps every blob (or manifest) a row names (hence the ``sha256`` index)."""

    __tablename__ = "object_versions"
    __table_args__ = (
        Index(None, "repo_id", "key", "position"),
        Index(None, "sha256"),
        MYSQL_TABLE_OPTIONS,
    )

    repo_id: Mapped[str] = mapped_column(String(ID), ForeignKey("repos.id"), primary_key=True)
    key: Mapped[str] = mapped_column(Utf8Bytes(KEY_BYTES), primary_key=True)
    version_id: Mapped[str] = mapped_column(String(VERSION_ID), primary_key=True)
    position: Mapped[int] = mapped_column(BigInteger)
    marker: Mapped[bool] = mapped_column(Boolean)
    sha256: Mapped[str | None] = mapped_column(String(SHA256))
    size: Mapped[int] = mapped_column(BigInteger)
    md5: Mapped[str] = mapped_column(String(32))
    content_type: Mapped[str] = mapped_column(String(255))
    user_metadata: Mapped[dict[str, str]] = mapped_column("metadata", JSON)
    content_headers: Mapped[dict[str, str] | None] = mapped_column(JSON)
    checksums: Mapped[dict[str, str] | None] = mapped_column(JSON)
    modified_at: Mapped[datetime] = mapped_column(UtcDateTime())
    part_sizes: Mapped[list[int] | None] = mapped_column(JSON)
    parts_md5: Mapped[str | None] = mapped_column(String(32))
    tags: Mapped[dict[str, str] | None] = mapped_column(JSON)
    encryption: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # The version's object lock (migration 0029): a retention's mode and date, both or
    # neither, and its legal hold (NULL: never set, false: set off).
    lock_mode: Mapped[str | None] = mapped_column(String(16))
    retain_until: Mapped[datetime | None] = mapped_column(UtcDateTime())
    legal_hold: Mapped[bool | None] = mapped_column(Boolean)
    # The version's access control list, as objects.acl (migration 0030): NULL for the
    # default, and always for a delete marker.
    acl: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class BucketConfigurationRow(Base):
    """A bucket's configuration ``name`` (its tags, its CORS rules) as the domain's JSON
    document; deleted with the bucket."""

    __tablename__ = "bucket_configurations"
    __table_args__ = (MYSQL_TABLE_OPTIONS,)

    repo_id: Mapped[str] = mapped_column(String(ID), ForeignKey("repos.id"), primary_key=True)
    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    document: Mapped[dict[str, Any]] = mapped_column(JSON)


class MultipartUploadRow(Base):
    """An open multipart upload; its parts are rows of ``multipart_parts``. Listing a bucket's
    uploads walks the ``(repo_id, key, id)`` index; the garbage collector finds abandoned
    uploads by ``created_at``."""

    __tablename__ = "multipart_uploads"
    __table_args__ = (
        Index(None, "repo_id", "key", "id"),
        Index(None, "created_at"),
        MYSQL_TABLE_OPTIONS,
    )

    id: Mapped[str] = mapped_column(String(UPLOAD_ID), primary_key=True)
    repo_id: Mapped[str] = mapped_column(String(ID), ForeignKey("repos.id"))
    key: Mapped[str] = mapped_column(Utf8Bytes(KEY_BYTES))
    initiator_id: Mapped[str] = mapped_column(String(ID), ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    content_type: Mapped[str] = mapped_column(String(255))
    user_metadata: Mapped[dict[str, str]] = mapped_column("metadata", JSON)
    checksum_algorithm: Mapped[str] = mapped_column(String(16))
    checksum_type: Mapped[str] = mapped_column(String(16))
    content_headers: Mapped[dict[str, str] | None] = mapped_column(JSON)
    tags: Mapped[dict[str, str] | None] = mapped_column(JSON)
    acl: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    encryption: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # The object lock the finished object gets (as on objects).
    lock_mode: Mapped[str | None] = mapped_column(String(16))
    retain_until: Mapped[datetime | None] = mapped_column(UtcDateTime())
    legal_hold: Mapped[bool | None] = mapped_column(Boolean)


class MultipartPartRow(Base):
    """A stored part of an open upload; its bytes are the blob ``sha256``, which the garbage
    collector keeps while the row exists (hence the index)."""

    __tablename__ = "multipart_parts"
    __table_args__ = (Index(None, "sha256"), MYSQL_TABLE_OPTIONS)

    upload_id: Mapped[str] = mapped_column(
        String(UPLOAD_ID), ForeignKey("multipart_uploads.id"), primary_key=True
    )
    number: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    sha256: Mapped[str] = mapped_column(String(SHA256))
    size: Mapped[int] = mapped_column(BigInteger)
    md5: Mapped[str] = mapped_column(String(32))
    checksum: Mapped[str] = mapped_column(String(CHECKSUM))
    modified_at: Mapped[datetime] = mapped_column(UtcDateTime())
    # The initial counter of the part's encrypted blob (hex); NULL when not encrypted.
    iv: Mapped[str | None] = mapped_column(String(32))


class ObjectManifestRow(Base):
    """A part of a joined object: the blob ``sha256`` of ``size`` bytes at ``number`` in the
    manifest ``manifest_id``, which objects name in their ``sha256`` column. Equal manifests
    are one set of rows, shared. The garbage collector keeps a part's blob while an object
    names its manifest (hence the index). ``recorded_at`` is when an object last came to
    name it: the garbage collector removes a manifest no object names only once that is older
    than its grace period, so a completion about to name it is never left without its rows."""

    __tablename__ = "object_manifests"
    __table_args__ = (Index(None, "sha256"), MYSQL_TABLE_OPTIONS)

    manifest_id: Mapped[str] = mapped_column(String(SHA256), primary_key=True)
    number: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    sha256: Mapped[str] = mapped_column(String(SHA256))
    size: Mapped[int] = mapped_column(BigInteger)
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime())


class AuditEventRow(Base):
    """A security event. The id grows with each event, so it orders the log (newest first) and
    pages it; the two indexes serve the listings filtered by actor or by action."""

    __tablename__ = "audit_events"
    __table_args__ = (
        Index(None, "actor", "id"),
        Index(None, "action", "id"),
        MYSQL_TABLE_OPTIONS,
    )

    # SQLite numbers rows itself only for an INTEGER PRIMARY KEY, not a BIGINT one.
    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True
    )
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    action: Mapped[str] = mapped_column(String(AUDIT_ACTION))
    actor: Mapped[str | None] = mapped_column(String(AUDIT_ACTOR))
    target: Mapped[str] = mapped_column(Text)
    client: Mapped[str | None] = mapped_column(String(AUDIT_CLIENT))
    success: Mapped[bool] = mapped_column(Boolean)
    detail: Mapped[dict[str, str]] = mapped_column(JSON)


class BlobUploadRow(Base):
    """A user sent the bytes of a blob at ``uploaded_at`` (the latest time, if more than once):
    their proof that they may commit it by hash within the grace period. The garbage collector
    deletes rows older than that; ``uploaded_at`` is indexed for it."""

    __tablename__ = "blob_uploads"
    __table_args__ = (Index(None, "uploaded_at"), MYSQL_TABLE_OPTIONS)

    user_id: Mapped[str] = mapped_column(String(ID), ForeignKey("users.id"), primary_key=True)
    sha256: Mapped[str] = mapped_column(String(SHA256), primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger)
    uploaded_at: Mapped[datetime] = mapped_column(UtcDateTime())


class XorbUploadRow(Base):
    """A user sent the Xet xorb ``xorb_hash`` (its string form), stored as the blob
    ``sha256``: where a later shard of theirs finds its chunks, within the grace period. Pruned
    with the upload records."""

    __tablename__ = "xorb_uploads"
    __table_args__ = (Index(None, "uploaded_at"), MYSQL_TABLE_OPTIONS)

    user_id: Mapped[str] = mapped_column(String(ID), ForeignKey("users.id"), primary_key=True)
    xorb_hash: Mapped[str] = mapped_column(String(SHA256), primary_key=True)
    sha256: Mapped[str] = mapped_column(String(SHA256))
    size: Mapped[int] = mapped_column(BigInteger)
    uploaded_at: Mapped[datetime] = mapped_column(UtcDateTime())


class DeploymentRow(Base):
    """The deployment's identity: at most one row, since ``slot`` is always 1 (a CHECK), so
    the primary key lets only the first of concurrent first starts record its id."""

    __tablename__ = "deployment"
    __table_args__ = (CheckConstraint("slot = 1", name="single_row"), MYSQL_TABLE_OPTIONS)

    slot: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    id: Mapped[str] = mapped_column(String(ID))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    store_marked_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class CredentialEpochRow(Base):
    """A value that changes whenever a credential ends or a user's standing changes (a token,
    session or access key revoked, a user disabled or given a new password, a membership or
    collaboration changed). Caches of authenticated principals compare it on every use. At
    most one row, like ``deployment``; no row reads as the empty epoch."""

    __tablename__ = "credential_epoch"
    __table_args__ = (CheckConstraint("slot = 1", name="single_row"), MYSQL_TABLE_OPTIONS)

    slot: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    epoch: Mapped[str] = mapped_column(String(ID))


class JobRow(Base):
    """A job of the job runner; its inputs, parameters, progress, log and output are JSON.
    Workers claim through ``(status, queue, run_after)``, find dead workers' jobs through
    ``(status, lease_until)``; owners list theirs through ``(owner_id, id)``."""

    __tablename__ = "jobs"
    __table_args__ = (
        Index(None, "status", "queue", "run_after"),
        Index(None, "status", "lease_until"),
        Index(None, "owner_id", "id"),
        Index(None, "app", "status"),
        Index(None, "notify_due_at"),
        MYSQL_TABLE_OPTIONS,
    )

    id: Mapped[str] = mapped_column(String(ID), primary_key=True)
    app: Mapped[str] = mapped_column(String(JOB_NAME))
    queue: Mapped[str] = mapped_column(String(JOB_NAME))
    owner_id: Mapped[str] = mapped_column(String(ID), ForeignKey("users.id"))
    label: Mapped[str] = mapped_column(String(JOB_LABEL))
    status: Mapped[str] = mapped_column(String(16))
    inputs: Mapped[list[dict[str, str]]] = mapped_column(JSON)
    params: Mapped[dict[str, Any]] = mapped_column(JSON)
    results: Mapped[dict[str, str] | None] = mapped_column(JSON)
    progress: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    log: Mapped[list[str]] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(Text)
    output: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    result_commit: Mapped[str | None] = mapped_column(String(COMMIT_ID))
    attempts: Mapped[int] = mapped_column(Integer)
    max_attempts: Mapped[int] = mapped_column(Integer)
    time_limit_seconds: Mapped[float] = mapped_column(Double)
    worker: Mapped[str | None] = mapped_column(String(JOB_WORKER))
    cancel_requested: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    run_after: Mapped[datetime] = mapped_column(UtcDateTime())
    lease_until: Mapped[datetime | None] = mapped_column(UtcDateTime())
    started_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # Callbacks (see domain.jobs_model.Notice); senders find due ones through notify_due_at,
    # which is NULL for jobs without callbacks or with all of theirs sent.
    notify_url: Mapped[str | None] = mapped_column(String(NOTIFY_URL))
    notify_secret: Mapped[str | None] = mapped_column(String(NOTIFY_SECRET))
    notify_stage: Mapped[int] = mapped_column(Integer, server_default="0")
    notify_attempts: Mapped[int] = mapped_column(Integer, server_default="0")
    notify_due_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    notify_error: Mapped[str | None] = mapped_column(Text)


class FindingRow(Base):
    """What an app (``inspect``, ``scan``) found in a file's content, by its SHA-256."""

    __tablename__ = "file_findings"
    __table_args__ = (MYSQL_TABLE_OPTIONS,)

    sha256: Mapped[str] = mapped_column(String(SHA256), primary_key=True)
    app: Mapped[str] = mapped_column(String(JOB_NAME), primary_key=True)
    result: Mapped[dict[str, Any]] = mapped_column(JSON)


# The tables themselves, for Core statements (the catalog never loads ORM objects).
namespaces = cast(Table, NamespaceRow.__table__)
users = cast(Table, UserRow.__table__)
organizations = cast(Table, OrganizationRow.__table__)
memberships = cast(Table, MembershipRow.__table__)
sessions = cast(Table, SessionRow.__table__)
tokens = cast(Table, TokenRow.__table__)
access_keys = cast(Table, AccessKeyRow.__table__)
repos = cast(Table, RepoRow.__table__)
collaborators = cast(Table, CollaboratorRow.__table__)
access_requests = cast(Table, AccessRequestRow.__table__)
refs = cast(Table, RefRow.__table__)
discussions = cast(Table, DiscussionRow.__table__)
discussion_events = cast(Table, DiscussionEventRow.__table__)
repo_likes = cast(Table, RepoLikeRow.__table__)
deleted_tags = cast(Table, DeletedTagRow.__table__)
commits = cast(Table, CommitRow.__table__)
trees = cast(Table, TreeRow.__table__)
tree_entries = cast(Table, TreeEntryRow.__table__)
objects = cast(Table, ObjectRow.__table__)
object_versions = cast(Table, ObjectVersionRow.__table__)
bucket_configurations = cast(Table, BucketConfigurationRow.__table__)
multipart_uploads = cast(Table, MultipartUploadRow.__table__)
multipart_parts = cast(Table, MultipartPartRow.__table__)
object_manifests = cast(Table, ObjectManifestRow.__table__)
audit_events = cast(Table, AuditEventRow.__table__)
blob_uploads = cast(Table, BlobUploadRow.__table__)
xorb_uploads = cast(Table, XorbUploadRow.__table__)
deployment = cast(Table, DeploymentRow.__table__)
credential_epoch = cast(Table, CredentialEpochRow.__table__)
jobs = cast(Table, JobRow.__table__)
file_findings = cast(Table, FindingRow.__table__)
