"""Ports: what the domain needs from the outside, as Protocols.

All ports are synchronous. Front-ends that run on an event loop call use cases in a worker
thread; the blob store streams from an iterator the front-end feeds.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import BinaryIO, Protocol

from weighthouse.domain.model import (
    BlobDigest,
    BucketObject,
    Commit,
    Ref,
    RefKind,
    Repo,
    RepoType,
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

    ``after`` is ``(namespace/name, type)`` of the last repo of the previous page. Private repos are
    included only when owned by ``viewer_id``, or when ``see_all`` is set. ``search`` matches a
    case-insensitive substring of ``namespace/name``.
    """

    type: RepoType | None = None
    namespace: str | None = None
    search: str | None = None
    after: tuple[str, RepoType] | None = None
    limit: int = 50
    viewer_id: str | None = None
    see_all: bool = False


class Catalog(Protocol):
    """Metadata: accounts, repos, refs, commits, trees and bucket objects.

    Every method is one transaction. Methods raise the domain's ``*NotFoundError`` and
    ``*ExistsError`` as documented, and :class:`~weighthouse.domain.errors.StorageError` when the
    database cannot be reached (the caller may retry; nothing was changed).
    Names, paths and keys compare by their UTF-8 bytes on every database.
    """

    # --- accounts -------------------------------------------------------------------------
    def add_user(self, user: User) -> None:
        """Raises ``UserExistsError`` when the name is taken."""
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
