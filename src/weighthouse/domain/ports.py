"""Ports: what the domain needs from the outside, as Protocols.

All ports are synchronous. Front-ends that run on an event loop call use cases in a worker
thread; the blob store streams from an iterator the front-end feeds. The catalog's role ports
live in :mod:`weighthouse.domain.catalog`; :class:`Catalog` and :class:`RepoQuery` are
importable from here too.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import BinaryIO, Protocol

from weighthouse.domain.catalog import Catalog as Catalog
from weighthouse.domain.catalog import RepoQuery as RepoQuery
from weighthouse.domain.model import BlobDigest

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
