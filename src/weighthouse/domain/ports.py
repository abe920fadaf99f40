"""Ports: what the domain needs from the outside, as Protocols.

All ports are synchronous. Front-ends that run on an event loop call use cases in a worker
thread; the blob store streams from an iterator the front-end feeds.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import BinaryIO, Protocol

from weighthouse.domain.model import (
    AuditEvent,
    BlobDigest,
    BucketObject,
    Commit,
    DeploymentRecord,
    Member,
    Organization,
    Ref,
    RefKind,
    Repo,
    RepoType,
    Role,
    Session,
    Token,
    Tree,
    TreeEntry,
    User,
)

Clock = Callable[[], datetime]
"""Returns the current time, timezone-aware, in UTC."""


@dataclass(frozen=True)
class StoredBlobInfo:
    """A blob as the store sees it; ``modified_at`` drives the garbage collector's grace period."""

    sha256: str
    size: int
    modified_at: datetime


class BlobStore(Protocol):
    """Content-addressed bytes, keyed by SHA-256 (64 lowercase hex digits).

    Identical content is stored once. Blobs are immutable; only the garbage collector deletes.
    Errors: :class:`~weighthouse.domain.errors.StorageFullError` when out of space,
    :class:`~weighthouse.domain.errors.StorageError` for any other failure of the backend.
    """

    def put(
        self,
        chunks: Iterable[bytes],
        *,
        size: int | None = None,
        sha256: str | None = None,
        md5: bool = False,
        git_sha1: bool = False,
    ) -> BlobDigest:
        """Store a stream and return its digests.

        The bytes go to a temporary place while being hashed, are made durable (fsync, then an
        atomic rename into place, then an fsync of the directory), and only then is the digest
        returned: when ``put`` returns, the blob survives a crash. When ``size`` or ``sha256`` is
        given and the bytes do not match, raises
        :class:`~weighthouse.domain.errors.DigestMismatchError` and nothing is stored.
        ``md5`` and ``git_sha1`` ask for those digests too (the git one hashes
        ``b"blob <size>\\0" + data``). Storing content that already exists refreshes its
        modification time, so a concurrent garbage collection's grace period protects it.
        If ``chunks`` raises, the exception propagates and nothing is stored.
        """
        ...

    def open(self, sha256: str, offset: int = 0) -> BinaryIO:
        """A binary file object positioned at ``offset``. The caller closes it.

        Raises :class:`~weighthouse.domain.errors.BlobMissingError` if the blob is absent.
        """
        ...

    def stat(self, sha256: str) -> StoredBlobInfo:
        """Size and modification time; raises ``BlobMissingError`` if absent."""
        ...

    def exists(self, sha256: str) -> bool: ...

    def local_path(self, sha256: str) -> str | None:
        """A file-system path to the blob for zero-copy responses; ``None`` if not local."""
        ...

    def delete(self, sha256: str) -> None:
        """Remove a blob; a missing blob is fine. Only the garbage collector calls this."""
        ...

    def walk(self) -> Iterator[StoredBlobInfo]:
        """Every stored blob, in no particular order."""
        ...

    def verify(self, sha256: str) -> bool:
        """Re-hash the stored bytes: ``True`` if they still match their name."""
        ...

    def sweep_temporaries(self, older_than: datetime) -> int:
        """Remove temporary uploads last written before ``older_than``, and those whose writer
        process on this host is gone. Returns how many were removed."""
        ...

    def check_ready(self) -> None:
        """Raise :class:`~weighthouse.domain.errors.StorageError` if the store is unreachable."""
        ...


@dataclass(frozen=True)
class RepoQuery:
    """A page of repos, ordered by the UTF-8 bytes of ``namespace/name``, then by type.

    ``after`` is ``(namespace/name, type)`` of the last repo of the previous page. ``search``
    matches a case-insensitive substring of ``namespace/name``.

    Public repos are always listed. Private repos are listed when ``see_all`` is set, or when
    the user ``viewer_id`` may read them: the namespace is the viewer's own user name, or an
    organisation the viewer is a member of, or the viewer is a collaborator on the repo. When
    ``restrict_to`` is not empty, private repos are further limited to those entries
    (``namespace`` or ``namespace/name``), as a restricted token sees them.
    """

    type: RepoType | None = None
    namespace: str | None = None
    search: str | None = None
    after: tuple[str, RepoType] | None = None
    limit: int = 50
    viewer_id: str | None = None
    see_all: bool = False
    restrict_to: tuple[str, ...] = ()


class Catalog(Protocol):
    """Metadata: accounts, repos, refs, commits, trees and bucket objects.

    Every method is one transaction. Methods raise the domain's ``*NotFoundError`` and
    ``*ExistsError`` as documented, and :class:`~weighthouse.domain.errors.StorageError` when the
    database cannot be reached (the caller may retry; nothing was changed).
    Names, paths and keys compare by their UTF-8 bytes on every database.
    """

    # --- accounts -------------------------------------------------------------------------
    def add_user(self, user: User) -> None:
        """Raises ``UserExistsError`` when a user or an organisation has the name."""
        ...

    def set_password_hash(self, user_id: str, password_hash: str) -> None:
        """Raises ``UserNotFoundError``."""
        ...

    def set_user_disabled(self, user_id: str, disabled: bool) -> None:
        """Raises ``UserNotFoundError``."""
        ...

    def get_user(self, name: str) -> User:
        """Raises ``UserNotFoundError``."""
        ...

    def get_user_by_id(self, user_id: str) -> User:
        """Raises ``UserNotFoundError``."""
        ...

    def list_users(self) -> list[User]: ...

    def count_users(self) -> int: ...

    def add_token(self, token: Token) -> None:
        """Raises ``UserNotFoundError`` when the token's user does not exist."""
        ...

    def get_token(self, token_id: str) -> Token:
        """Raises ``TokenNotFoundError``."""
        ...

    def list_tokens(self, user_id: str) -> list[Token]: ...

    def revoke_token(self, token_id: str, at: datetime) -> None:
        """Idempotent: a second call keeps the first revocation time. Raises
        ``TokenNotFoundError``."""
        ...

    def touch_token(self, token_id: str, at: datetime) -> None:
        """Record a use; a missing token is ignored."""
        ...

    # --- sessions -------------------------------------------------------------------------
    def add_session(self, session: Session) -> None: ...

    def get_session(self, session_id: str) -> Session:
        """Raises ``SessionNotFoundError``."""
        ...

    def revoke_session(self, session_id: str, at: datetime) -> None:
        """Idempotent (keeps the first time); a missing session is ignored."""
        ...

    # --- organisations, members and collaborators -------------------------------------------
    def add_org(self, org: Organization, founder: Member) -> None:
        """Create the organisation with ``founder`` as its first member, in one transaction.

        Raises ``UserExistsError`` when a user or an organisation has the name."""
        ...

    def get_org(self, name: str) -> Organization:
        """Raises ``OrganizationNotFoundError``."""
        ...

    def list_orgs(self, member_id: str | None = None) -> list[Organization]:
        """All organisations by name, or those ``member_id`` belongs to."""
        ...

    def set_member(self, org_id: str, member: Member) -> None:
        """Add the member, or change its role."""
        ...

    def remove_member(self, org_id: str, user_id: str) -> bool:
        """``True`` if a membership was removed."""
        ...

    def list_members(self, org_id: str) -> list[Member]:
        """Ordered by user name."""
        ...

    def member_role(self, namespace: str, user_id: str) -> Role | None:
        """The user's role in the organisation named ``namespace``; ``None`` when there is no
        such organisation or the user is not a member. One query: access checks call this."""
        ...

    def set_collaborator(self, repo_id: str, member: Member) -> None:
        """Add a collaborator on one repo, or change its role."""
        ...

    def remove_collaborator(self, repo_id: str, user_id: str) -> bool: ...

    def list_collaborators(self, repo_id: str) -> list[Member]: ...

    def collaborator_role(self, repo_id: str, user_id: str) -> Role | None: ...

    # --- audit ------------------------------------------------------------------------------
    def record_event(self, event: AuditEvent) -> None:
        """Append an event (its ``id`` is assigned by the catalog, increasing)."""
        ...

    def list_events(
        self,
        *,
        before: int | None = None,
        limit: int = 100,
        actor: str | None = None,
        action: str | None = None,
    ) -> list[AuditEvent]:
        """Newest first; ``before`` is the id of the last event of the previous page."""
        ...

    # --- repos ----------------------------------------------------------------------------
    def add_repo(self, repo: Repo) -> None:
        """Raises ``RepoExistsError`` when ``(type, namespace, name)`` is taken (case-sensitive),
        ``UserNotFoundError`` when the owner does not exist."""
        ...

    def get_repo(self, type: RepoType, namespace: str, name: str) -> Repo:
        """Raises ``RepoNotFoundError``."""
        ...

    def list_repos(self, query: RepoQuery) -> list[Repo]: ...

    def update_repo(self, repo: Repo) -> None:
        """Store new ``private`` and ``description``; raises ``RepoNotFoundError``."""
        ...

    def delete_repo(self, repo_id: str) -> None:
        """Remove a repo with its refs, commits, trees and objects. Idempotent."""
        ...

    # --- refs and commits -----------------------------------------------------------------
    def get_ref(self, repo_id: str, kind: RefKind, name: str) -> Ref:
        """Raises ``RevisionNotFoundError``."""
        ...

    def list_refs(self, repo_id: str) -> list[Ref]: ...

    def create_ref(self, repo_id: str, ref: Ref) -> None:
        """Raises ``RefExistsError`` when a branch or tag of that name exists (either kind)."""
        ...

    def delete_ref(self, repo_id: str, kind: RefKind, name: str) -> None:
        """Raises ``RevisionNotFoundError``."""
        ...

    def get_commit(self, repo_id: str, commit_id: str) -> Commit:
        """Raises ``RevisionNotFoundError``."""
        ...

    def save_commit(
        self,
        repo_id: str,
        commit: Commit,
        trees: Sequence[Tree],
        branch: str,
        expected_head: str | None,
    ) -> None:
        """Atomically store ``trees`` (those already stored are skipped), the commit, and move
        ``branch`` from ``expected_head`` to ``commit.id`` (compare-and-swap).

        ``expected_head=None`` creates the branch, which must not exist yet. Raises
        ``CommitConflictError`` when the branch head is not ``expected_head`` (or exists when
        ``None`` was expected); then nothing is stored.
        """
        ...

    def get_tree(self, repo_id: str, tree_id: str) -> Tree:
        """All entries of a directory, sorted by name bytes. Raises ``RevisionNotFoundError``."""
        ...

    def get_entry(self, repo_id: str, tree_id: str, name: str) -> TreeEntry | None:
        """One entry of a directory by exact name, without loading the rest."""
        ...

    def list_entries(
        self, repo_id: str, tree_id: str, after: str | None, limit: int
    ) -> list[TreeEntry]:
        """Up to ``limit`` entries with name bytes greater than ``after``, in byte order."""
        ...

    # --- bucket objects -------------------------------------------------------------------
    def put_object(self, repo_id: str, obj: BucketObject) -> None:
        """Create or replace the object at ``obj.key``; the last writer wins."""
        ...

    def get_object(self, repo_id: str, key: str) -> BucketObject:
        """Raises ``EntryNotFoundError``."""
        ...

    def delete_object(self, repo_id: str, key: str) -> bool:
        """``True`` if an object was removed."""
        ...

    def list_objects(
        self, repo_id: str, prefix: str, after: bytes | None, limit: int
    ) -> list[BucketObject]:
        """Up to ``limit`` objects whose key starts with ``prefix`` and whose UTF-8 key bytes are
        greater than ``after``, in byte order."""
        ...

    # --- maintenance ----------------------------------------------------------------------
    def referenced_blobs(self) -> Iterator[tuple[str, int]]:
        """``(sha256, size)`` of every blob a tree entry or object refers to, each sha256 once
        (with the largest size recorded for it, so a disagreement shows up in fsck)."""
        ...

    def is_referenced(self, sha256: str) -> bool: ...

    def check_ready(self) -> None:
        """Raise ``StorageError`` if the database is unreachable."""
        ...


class PasswordHasher(Protocol):
    """A slow, salted password hash (argon2id). Hashes are self-describing strings."""

    def hash(self, password: str) -> str: ...

    def verify(self, password_hash: str, password: str) -> bool:
        """``False`` for a wrong password or a malformed hash; never raises for either."""
        ...

    def needs_rehash(self, password_hash: str) -> bool:
        """``True`` when the hash was made with weaker parameters than the current ones."""
        ...

    def dummy_verify(self, password: str) -> None:
        """Spend the time of one ``verify``, for users that do not exist (no timing oracle)."""
        ...


class RateLimiter(Protocol):
    """Counts attempts per key in a sliding window.

    Shared by every process of a deployment when backed by a shared store; per process
    otherwise.
    """

    def attempt(self, key: str, limit: int, window: timedelta) -> float | None:
        """Count one attempt. ``None`` if it is within ``limit`` per ``window``; otherwise the
        seconds until one would be allowed, and the attempt is not counted."""
        ...

    def reset(self, key: str) -> None: ...


class SessionSigner(Protocol):
    """Signs and verifies session tokens with a server-held key ring.

    The newest key signs; every key still in the ring verifies, so rotation does not sign
    anyone out. Keys live outside the repository and outside the catalog's tables.
    """

    def sign(self, claims: Mapping[str, str | int]) -> str: ...

    def verify(self, token: str) -> dict[str, str | int]:
        """The claims of an authentic token. Raises ``AuthenticationError`` for a malformed,
        tampered or unknown-key token. Does not check expiry: the caller does."""
        ...

    def rotate(self) -> str:
        """Add a new signing key and return its id."""
        ...


class DeploymentCatalog(Protocol):
    """The catalog's side of the deployment identity (one row, written once).

    Raises :class:`~weighthouse.domain.errors.StorageError` when the database is unreachable.
    """

    def deployment(self) -> DeploymentRecord | None:
        """The recorded identity; ``None`` before the first start."""
        ...

    def claim_deployment(self, record: DeploymentRecord) -> DeploymentRecord:
        """Record ``record`` unless an identity exists already, and return the one that is
        recorded now: of two processes claiming at once, both get the winner's."""
        ...

    def mark_store(self, deployment_id: str, at: datetime) -> None:
        """Note that the blob store carries ``deployment_id``. Idempotent: keeps the first
        time. Does nothing when the recorded identity is another one."""
        ...

    def holds_repos(self) -> bool:
        """Whether any repo or bucket exists."""
        ...


class DeploymentMarker(Protocol):
    """The blob store's side of the deployment identity: a marker at a reserved key.

    Raises :class:`~weighthouse.domain.errors.StorageError` when the store fails.
    """

    def read(self) -> str | None:
        """The deployment id of the marker; ``None`` when there is none."""
        ...

    def write(self, deployment_id: str) -> None:
        """Write the marker durably (replacing any)."""
        ...

    def holds_anything(self) -> bool:
        """Whether the store holds any blob, marker or other committed key (temporaries do
        not count)."""
        ...
