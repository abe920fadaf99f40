"""Domain objects: plain frozen dataclasses, no persistence or wire concerns."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Generic, TypeVar

from weighthouse.domain.object_lock import Retention

T = TypeVar("T")


class RepoType(enum.StrEnum):
    """What a repo holds. Models and datasets are versioned; buckets are mutable key stores."""

    MODEL = "model"
    DATASET = "dataset"
    BUCKET = "bucket"

    @property
    def versioned(self) -> bool:
        return self is not RepoType.BUCKET


class Scope(enum.StrEnum):
    """What a credential may do. Each scope includes the ones before it.

    ``read`` only reads; ``write`` uses everything its user may do; ``admin`` also carries a site
    admin's powers (and only site admins hold it).
    """

    READ = "read"
    WRITE = "write"
    ADMIN = "admin"

    def allows(self, needed: Scope) -> bool:
        order = (Scope.READ, Scope.WRITE, Scope.ADMIN)
        return order.index(self) >= order.index(needed)


class Role(enum.StrEnum):
    """What a member or collaborator may do. Each role includes the ones before it."""

    READ = "read"
    WRITE = "write"
    ADMIN = "admin"

    def allows(self, needed: Role) -> bool:
        order = (Role.READ, Role.WRITE, Role.ADMIN)
        return order.index(self) >= order.index(needed)

    def capped(self, scope: Scope) -> Role:
        """The role as far as a credential of ``scope`` may use it: a read-scoped credential
        only reads; ``write`` and ``admin`` credentials use the whole role."""
        return Role.READ if scope is Scope.READ else self


@dataclass(frozen=True)
class User:
    """A person who signs in. ``password_hash`` is an argon2id hash, never the password."""

    id: str
    name: str
    is_admin: bool
    created_at: datetime
    disabled: bool = False
    password_hash: str | None = None


@dataclass(frozen=True)
class Organization:
    """A shared namespace ("folder"). Organisation and user names share one namespace."""

    id: str
    name: str
    created_at: datetime
    description: str = ""


@dataclass(frozen=True)
class Member:
    """A user's role in an organisation, or on one repo (a collaborator)."""

    user_id: str
    user_name: str
    role: Role
    created_at: datetime


@dataclass(frozen=True)
class Session:
    """A signed-in session; the signed session token names it by ``id``."""

    id: str
    user_id: str
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None = None

    def is_active(self, now: datetime) -> bool:
        return self.revoked_at is None and now < self.expires_at


@dataclass(frozen=True)
class AuditEvent:
    """A security event: who did what to what, from where, and whether it succeeded."""

    id: int | None
    at: datetime
    action: str
    actor: str | None
    target: str
    client: str | None
    success: bool
    detail: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Token:
    """An API token. Only the SHA-256 of its secret is ever stored."""

    id: str
    user_id: str
    name: str
    scope: Scope
    secret_sha256: str
    created_at: datetime
    expires_at: datetime | None = None
    revoked_at: datetime | None = None
    last_used_at: datetime | None = None
    restrict_to: tuple[str, ...] = ()
    """Empty: every repo the user may use. Otherwise only these namespaces (``ns``) and repos
    (``ns/name``); private repos outside them are invisible and nothing outside is writable."""

    def is_active(self, now: datetime) -> bool:
        if self.revoked_at is not None:
            return False
        return self.expires_at is None or now < self.expires_at


@dataclass(frozen=True)
class AccessKey:
    """An S3 access key: a public id (20 upper-case letters and digits) and a secret that
    signing needs back, so it is stored encrypted (``sealed_secret``), never in the clear."""

    id: str
    user_id: str
    name: str
    scope: Scope
    sealed_secret: str
    created_at: datetime
    expires_at: datetime | None = None
    revoked_at: datetime | None = None
    last_used_at: datetime | None = None
    buckets: tuple[str, ...] = ()
    """Empty: every bucket the user may use. Otherwise only these namespaces (``ns``) and
    buckets (``ns/name``)."""

    def is_active(self, now: datetime) -> bool:
        if self.revoked_at is not None:
            return False
        return self.expires_at is None or now < self.expires_at


@dataclass(frozen=True)
class RepoId:
    """How callers name a repo: its type and ``namespace/name``."""

    type: RepoType
    namespace: str
    name: str

    def __str__(self) -> str:
        return f"{self.namespace}/{self.name}"


class Gating(enum.StrEnum):
    """Whether a repo's files need an access request: ``off``; ``auto`` (every request is
    accepted when made); ``manual`` (a repo admin accepts or rejects each one)."""

    OFF = "off"
    AUTO = "auto"
    MANUAL = "manual"


class AccessRequestStatus(enum.StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    REJECTED = "rejected"


@dataclass(frozen=True)
class AccessRequest:
    """One user's request for a gated repo's files; at most one per user and repo.

    ``user`` is the user's name when read back from the catalog (it follows renames);
    ``decided_by`` names whoever accepted or rejected it last, ``None`` while pending or
    when accepted by ``auto`` gating."""

    repo_id: str
    user_id: str
    status: AccessRequestStatus
    created_at: datetime
    updated_at: datetime
    user: str = ""
    decided_by: str | None = None
    reason: str = ""


@dataclass(frozen=True)
class Repo:
    """A model, dataset or bucket.

    ``size`` and ``updated_at`` are kept by the catalog, never set by a caller (``add_repo``
    and ``update_repo`` ignore them): ``size`` is the bytes of the files at the head of
    ``main`` (a bucket: of all its objects); ``updated_at`` is the time of the last commit to
    any branch or the last object write or delete, and the creation time before any.
    """

    id: str
    type: RepoType
    namespace: str
    name: str
    private: bool
    created_at: datetime
    owner_id: str
    description: str = ""
    gated: Gating = Gating.OFF
    # Figures the catalog keeps, not what a repo is: two reads of one repo compare equal
    # whatever was written in between.
    size: int = field(default=0, compare=False)
    updated_at: datetime | None = field(default=None, compare=False)
    # How many times the bucket's configurations (policy, ACL, CORS, tags...) changed, as read
    # with the repo; 0: it has none. ``None`` (a repo not read from a catalog that keeps it)
    # means unknown, and every configuration is read.
    configuration_revision: int | None = field(default=None, compare=False)

    @property
    def full_name(self) -> str:
        return f"{self.namespace}/{self.name}"


class RepoOrder(enum.StrEnum):
    """How a repo listing is ordered; ties go by ``namespace/name`` bytes, then type."""

    NAME = "name"  # ``namespace/name`` bytes, ascending
    UPDATED = "updated"  # most recently updated first
    SIZE = "size"  # largest first
    CREATED = "created"  # most recently created first
    LIKES = "likes"  # most liked first


class RefKind(enum.StrEnum):
    BRANCH = "branch"
    TAG = "tag"


@dataclass(frozen=True)
class Ref:
    """A branch (moves with each commit) or a tag (never moves)."""

    kind: RefKind
    name: str
    commit_id: str
    created_at: datetime


@dataclass(frozen=True)
class Commit:
    """An immutable snapshot: a root tree plus history. ``id`` is 40 lowercase hex digits."""

    id: str
    tree_id: str
    parent_id: str | None
    author: str
    message: str
    created_at: datetime


class EntryKind(enum.StrEnum):
    FILE = "file"
    DIRECTORY = "directory"


@dataclass(frozen=True)
class TreeEntry:
    """One name inside a directory tree.

    A file entry carries its content digests; a directory entry carries ``tree_id``.
    """

    name: str
    kind: EntryKind
    tree_id: str | None = None
    sha256: str | None = None
    size: int = 0
    git_sha1: str | None = None


@dataclass(frozen=True)
class Tree:
    """A directory: entries sorted by the UTF-8 bytes of their names."""

    id: str
    entries: tuple[TreeEntry, ...]


@dataclass(frozen=True)
class PathEntry:
    """A tree entry located at a full path within a revision."""

    path: str
    entry: TreeEntry


@dataclass(frozen=True)
class BlobDigest:
    """What hashing an upload produced. ``md5`` and ``git_sha1`` exist when asked for."""

    sha256: str
    size: int
    md5: str | None = None
    git_sha1: str | None = None


NULL_VERSION = "null"
"""The version id of an object written while its bucket's versioning was not enabled (S3's
``null`` version); a key holds at most one."""


# Access control lists (their rules are in :mod:`weighthouse.domain.acls`).


class Permission(enum.StrEnum):
    READ = "READ"
    WRITE = "WRITE"
    READ_ACP = "READ_ACP"
    WRITE_ACP = "WRITE_ACP"
    FULL_CONTROL = "FULL_CONTROL"

    def expanded(self) -> frozenset[Permission]:
        """The permissions this one gives: itself, or all four for ``FULL_CONTROL``."""
        if self is Permission.FULL_CONTROL:
            return ACL_FOUR
        return frozenset((self,))


ACL_FOUR = frozenset((Permission.READ, Permission.WRITE, Permission.READ_ACP, Permission.WRITE_ACP))


class GranteeKind(enum.StrEnum):
    USER = "user"
    ALL_USERS = "all"
    AUTHENTICATED_USERS = "authenticated"


@dataclass(frozen=True)
class Grantee:
    kind: GranteeKind
    id: str = ""  # the user's id; empty for a group

    @classmethod
    def user(cls, user_id: str) -> Grantee:
        return cls(GranteeKind.USER, user_id)


@dataclass(frozen=True)
class Grant:
    grantee: Grantee
    permission: Permission


@dataclass(frozen=True)
class Acl:
    """An owner and the grants given, in the order given."""

    owner_id: str
    grants: tuple[Grant, ...]


CUSTOMER = "SSE-C"
"""The kind of :class:`Encryption` under a customer's key (SSE-C)."""


@dataclass(frozen=True)
class Encryption:
    """How an object's (or an upload's) bytes are encrypted at rest; never a key in the clear.

    ``iv`` (hex) is the initial counter of the object's blob, empty for a joined object, whose
    parts' are ``part_ivs`` in order, and for an upload (each part has its own).
    ``sealed_key`` is the data key sealed by the server (``AES256``, ``aws:kms``);
    ``key_md5`` (base64, as S3 answers it) and ``verifier`` belong to a customer's key."""

    kind: str
    iv: str = ""
    sealed_key: str = field(default="", repr=False)
    kms_key_id: str = ""
    key_md5: str = ""
    verifier: str = field(default="", repr=False)
    part_ivs: tuple[str, ...] = ()

    @property
    def customer(self) -> bool:
        return self.kind == CUSTOMER


@dataclass(frozen=True)
class BucketObject:
    """An object. ``metadata`` is the user's (names in lower case); ``content_headers`` the
    stored HTTP content headers (:data:`CONTENT_HEADERS`, lower-case names) served with it;
    ``checksums`` the whole-object checksums a client declared and the upload verified, by
    algorithm (lower case) as the client wrote them (S3: base64 of the digest). One assembled from a
    multipart upload also keeps the sizes of its parts, in order, and ``parts_md5``, the MD5 of
    its parts' MD5 digests concatenated (S3's ETag of such an object is
    ``<parts_md5>-<number of parts>``). ``tags`` is its tag set, in key order (see
    :mod:`~weighthouse.domain.tagging`); a new object at the key replaces it with its own.
    ``version_id`` names this version of the key (see :mod:`~weighthouse.domain.object_versions`):
    :data:`NULL_VERSION` unless the bucket's versioning was enabled when it was written.
    ``acl`` is its access control list (see :mod:`~weighthouse.domain.acls`), ``None`` for the
    default: the bucket's owner owns it, with ``FULL_CONTROL``. ``encryption`` says how its
    bytes are encrypted at rest (see :mod:`~weighthouse.domain.encryption`), ``None`` for in
    the clear; then ``sha256`` names the blob of ciphertext, and ``size`` is the plaintext's.
    ``retention`` and ``legal_hold`` are this version's object lock (see
    :mod:`~weighthouse.domain.object_lock`); ``legal_hold`` is ``None`` while none was ever
    set, ``False`` once one was set off."""

    key: str
    sha256: str
    size: int
    md5: str
    content_type: str
    modified_at: datetime
    metadata: dict[str, str] = field(default_factory=dict)
    content_headers: dict[str, str] = field(default_factory=dict)
    checksums: dict[str, str] = field(default_factory=dict)
    part_sizes: tuple[int, ...] = ()
    parts_md5: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    version_id: str = NULL_VERSION
    acl: Acl | None = None
    encryption: Encryption | None = None
    retention: Retention | None = None
    legal_hold: bool | None = None

    @property
    def joined(self) -> bool:
        """Whether the object's bytes are its parts' blobs joined (see :class:`ManifestPart`):
        then ``sha256`` is its manifest id and ``md5`` is empty, as neither digest of the
        whole content was computed."""
        return is_manifest_id(self.sha256)

    @property
    def content_sha256(self) -> str | None:
        """The SHA-256 of the object's bytes, or ``None`` for a joined object (not known) and
        for an encrypted one (``sha256`` is then its ciphertext's)."""
        return None if self.joined or self.encryption is not None else self.sha256


MANIFEST_PREFIX = "parts-"
"""How the ``sha256`` of a joined object begins: never a blob's digest (not all hex)."""


@dataclass(frozen=True)
class ManifestPart:
    """One piece of a joined object: the blob ``sha256`` of ``size`` bytes.

    An object a multipart upload completes keeps its parts' blobs in order (its manifest)
    instead of a copy of their bytes, so completing writes no byte."""

    sha256: str
    size: int


def manifest_id(parts: Sequence[ManifestPart]) -> str:
    """The id of the object made of ``parts`` in this order: ``parts-`` and 58 hex digits of
    a SHA-256 over the parts' digests and sizes. Equal manifests, and only they, have equal
    ids, so the id serves every compare-and-swap a content digest serves."""
    # Imported here: hashlib loads OpenSSL (3.6 MiB of memory), which the jobs' app processes,
    # importing this module for the repo types, never use.
    import hashlib

    text = "".join(f"{part.sha256}:{part.size}\n" for part in parts)
    digits = hashlib.sha256(text.encode("ascii")).hexdigest()
    return MANIFEST_PREFIX + digits[: 64 - len(MANIFEST_PREFIX)]


def is_manifest_id(sha256: str) -> bool:
    """Whether an object's ``sha256`` names a manifest rather than a blob."""
    return sha256.startswith(MANIFEST_PREFIX)


# The content headers an object keeps besides its Content-Type, as S3 and HTTP caches use them.
CONTENT_HEADERS = (
    "cache-control",
    "content-disposition",
    "content-encoding",
    "content-language",
    "expires",
)


@dataclass(frozen=True)
class MultipartUpload:
    """An open multipart upload of ``key`` in the bucket ``repo_id``, started by
    ``initiator_id``; what the finished object will carry besides its bytes is fixed when it
    starts (its content type, user metadata, content headers, tags, ACL and object lock).
    ``checksum_algorithm`` (lower case, e.g. ``crc32``) is the one every part sends, or empty."""

    id: str
    repo_id: str
    key: str
    initiator_id: str
    created_at: datetime
    content_type: str
    metadata: dict[str, str] = field(default_factory=dict)
    checksum_algorithm: str = ""
    checksum_type: str = ""
    content_headers: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    acl: Acl | None = None
    encryption: Encryption | None = None
    retention: Retention | None = None
    legal_hold: bool | None = None


@dataclass(frozen=True)
class UploadedPart:
    """One stored part of a multipart upload; its bytes are the blob ``sha256``. ``checksum``
    is the value of the upload's checksum algorithm the client sent and the server verified,
    or empty."""

    number: int
    sha256: str
    size: int
    md5: str
    modified_at: datetime
    checksum: str = ""
    iv: str = ""
    """The initial counter (hex) of the part's encrypted blob; empty when not encrypted."""


@dataclass(frozen=True)
class ObjectListing:
    """One page of a bucket listing.

    ``next_after`` is the UTF-8 position to continue after (exclusive), ``None`` on the last page.
    It may end in a ``0xFF`` byte, which never occurs in UTF-8, to skip a whole common prefix.
    """

    objects: tuple[BucketObject, ...]
    common_prefixes: tuple[str, ...]
    next_after: bytes | None


@dataclass(frozen=True)
class TreeListing:
    """One page of a tree listing; ``next_after`` is the last path returned, ``None`` at the end."""

    entries: tuple[PathEntry, ...]
    next_after: str | None


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of results; ``next_after`` is where to continue, ``None`` at the end."""

    items: tuple[T, ...]
    next_after: str | None


@dataclass(frozen=True)
class DeploymentRecord:
    """The identity a catalog records for its deployment: made once, on the first start.

    ``store_marked_at`` is when the blob store was seen to carry the same id; from then on a
    store without it is not this deployment's store.
    """

    id: str
    created_at: datetime
    store_marked_at: datetime | None = None
