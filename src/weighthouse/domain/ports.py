"""Ports: what the domain needs from the outside, as Protocols.

All ports are synchronous. Front-ends that run on an event loop call use cases in a worker
thread; the blob store streams from an iterator the front-end feeds. The catalog's role ports
live in :mod:`weighthouse.domain.catalog`; :class:`Catalog` and :class:`RepoQuery` are
importable from here too.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import TracebackType
from typing import Protocol, Self

from weighthouse.domain.catalog import BlobSourceQuery as BlobSourceQuery
from weighthouse.domain.catalog import BlobSources as BlobSources
from weighthouse.domain.catalog import Catalog as Catalog
from weighthouse.domain.catalog import RepoQuery as RepoQuery
from weighthouse.domain.errors import InvalidInputError
from weighthouse.domain.model import BlobDigest, DeploymentRecord

Clock = Callable[[], datetime]
"""Returns the current time, timezone-aware, in UTC."""


@dataclass(frozen=True)
class StoredBlobInfo:
    """A blob as the store sees it; ``modified_at`` drives the garbage collector's grace period."""

    sha256: str
    size: int
    modified_at: datetime


READ_PIECE = 4 << 20
"""Bytes per piece when a reader streams a range: large enough that a 1 GiB download makes few
trips to a worker thread, small enough that memory stays flat whatever the file size."""


@dataclass(frozen=True)
class LocalFile:
    """A capability some blob stores offer: the blob is exactly the file at ``path`` on this
    host, ``size`` bytes long, for a zero-copy response (``sendfile``, ASGI
    ``http.response.pathsend``). The web server opens it; front-ends only hand it over."""

    path: str
    size: int


@dataclass(frozen=True)
class FileSpan:
    """``count`` bytes of the local file at ``path`` starting at ``offset``: one piece of a
    blob's bytes as local files (:meth:`BlobReader.local_spans`), for a zero-copy send of a
    range or of a blob made of several files. The web server opens it; front-ends only hand
    it over."""

    path: str
    offset: int
    count: int


class BlobReader(Protocol):
    """One open blob: its size, ranged reads, and the faster ways a store may offer to serve it.

    The bytes are those of the blob when it was opened. Use it as a context manager, or call
    :meth:`close`; a closed reader raises ``StorageError`` on reads. Implementations subclass
    this Protocol to inherit :meth:`iter_range` and the context manager. Reads from several
    threads at once are allowed. Errors: ``StorageError`` when the backend fails, also when the
    stored bytes end before ``size``.
    """

    size: int
    """Length of the blob in bytes."""

    def read_range(self, offset: int, length: int) -> bytes:
        """The bytes at ``[offset, offset + length)``, cut short only at the end of the blob.

        Raises :class:`~weighthouse.domain.errors.InvalidInputError` for a negative
        ``offset`` or ``length``, or an ``offset`` past ``size``.
        """
        ...

    def iter_range(
        self, offset: int = 0, length: int | None = None, *, piece: int = READ_PIECE
    ) -> Iterator[bytes]:
        """The bytes at ``[offset, offset + length)`` (``None``: to the end) in pieces of at
        most ``piece`` bytes, read one at a time as the iterator advances."""
        if piece < 1:
            raise InvalidInputError("piece must be at least one byte", piece=piece)
        if length is None:
            length = max(0, self.size - offset)
        position, end = offset, offset + length
        while True:
            # read_range checks offset and length, and returns b"" only at the end.
            data = self.read_range(position, min(piece, end - position))
            if not data:
                return
            position += len(data)
            yield data

    def local_file(self) -> LocalFile | None:
        """The blob as a local file for zero-copy sends; ``None`` when the store keeps it
        elsewhere. Cheap: no system call beyond what opening did."""
        ...

    def local_spans(self, offset: int, length: int) -> list[FileSpan] | None:
        """The bytes at ``[offset, offset + length)`` (cut short at the end of the blob) as
        spans of local files, in order, for zero-copy sends; ``None`` when any of them is kept
        elsewhere. A blob made of several files may open each of them to find its path.

        Raises :class:`~weighthouse.domain.errors.InvalidInputError` like :meth:`read_range`.
        """
        if offset < 0 or length < 0 or offset > self.size:
            raise InvalidInputError(
                f"range ({offset}, {length}) lies outside the blob ({self.size} bytes)",
                offset=offset,
                length=length,
            )
        local = self.local_file()
        if local is None:
            return None
        count = min(length, self.size - offset)
        return [FileSpan(local.path, offset, count)] if count else []

    def presigned_url(self, expires_in: int) -> str | None:
        """A URL from which anyone holding it may fetch the blob for ``expires_in`` seconds;
        ``None`` when the store cannot make one (the server then streams the bytes itself).
        Only hand it to a caller that may read the blob."""
        ...

    def close(self) -> None:
        """Release the reader. Idempotent; never raises."""
        ...

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class BlobStore(Protocol):
    """Content-addressed bytes, keyed by SHA-256 (64 lowercase hex digits).

    Identical content is stored once. Blobs are immutable; only the garbage collector deletes.
    Errors: :class:`~weighthouse.domain.errors.StorageFullError` when out of space,
    :class:`~weighthouse.domain.errors.StorageError` for any other failure of the backend.
    """

    local_reads: bool
    """True when opening and reading a blob waits on nothing but this machine's memory and
    disks (no network), so a front-end may make a short read on its event loop."""

    loop_writes: int
    """The largest blob (bytes) whose ``put`` or ``provisional`` waits on nothing an event loop
    cannot await (:mod:`weighthouse.on_loop`), so a front-end may store it from its loop; 0
    when a write may block."""

    def put(
        self,
        chunks: Iterable[bytes],
        *,
        size: int | None = None,
        sha256: str | None = None,
        md5: bool = False,
        git_sha1: bool = False,
        helpers: bool = True,
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

        A large stream is hashed on helper threads beside the one that writes it; with
        ``helpers=False`` all on the calling thread, for streams that arrive many at once (a
        push's xorbs), where the cores are busy anyway and each helper would only hold more
        of the stream in memory.
        """
        ...

    def provisional(
        self,
        chunks: Iterable[bytes],
        *,
        size: int | None = None,
        sha256: str | None = None,
        md5: bool = False,
        git_sha1: bool = False,
        helpers: bool = True,
    ) -> AbstractContextManager[BlobDigest]:
        """:meth:`put` for bytes a catalog change is about to reference, as a context manager
        around that change: ``with blobs.provisional(chunks) as digest: catalog.put(...)``.

        When the block raises :class:`~weighthouse.domain.errors.StorageError` (the catalog
        could not record the change, a full disk included), the blob is removed again at once
        if this call created it and no other put has stored the same bytes since; otherwise
        it stays for the garbage collector. The error propagates. Other errors leave the blob
        (a commit that lost a race may be retried by hash).
        """
        ...

    def reader(self, sha256: str) -> BlobReader:
        """Open the blob for reading; the caller closes the reader (it is a context manager).

        Raises :class:`~weighthouse.domain.errors.BlobMissingError` if the blob is absent.
        """
        ...

    def stat(self, sha256: str) -> StoredBlobInfo:
        """Size and modification time; raises ``BlobMissingError`` if absent."""
        ...

    def exists(self, sha256: str) -> bool: ...

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


class SecretCipher(Protocol):
    """Encrypts secrets the server must read back (an S3 secret access key, which verifying a
    signature needs), under keys kept outside the catalog, with authenticated encryption.

    ``context`` binds a sealed value to where it belongs (the access key's id): opening it with
    another context fails, so sealed values cannot be swapped between rows. The sealed text
    names the key that sealed it, so keys can be rotated: the newest seals, every key still
    held opens.
    """

    def seal(self, plaintext: bytes, *, context: bytes) -> str:
        """ASCII text safe to store; a new random nonce each time."""
        ...

    def open(self, sealed: str, *, context: bytes) -> bytes:
        """The plaintext. Raises ``AuthenticationError`` when the text is malformed, was
        tampered with, belongs to another context, or its key is no longer held."""
        ...


class ObjectCipher(Protocol):
    """AES-256 in counter mode over objects' bytes, for server-side encryption (see
    :mod:`~weighthouse.domain.encryption`). ``key`` is 32 bytes, ``iv`` the 16-byte initial
    counter block; the counter of the block at byte ``offset`` is ``iv + offset // 16``
    (modulo 2**128), so encrypting and decrypting are one operation, at any offset."""

    def stream(self, key: bytes, iv: bytes) -> Callable[[bytes], bytes]:
        """A transform for consecutive pieces from offset 0, each as long as it is given."""
        ...

    def at(self, key: bytes, iv: bytes, offset: int, data: bytes) -> bytes:
        """``data`` (the bytes at ``offset``) transformed."""
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


class JobDispatch(Protocol):
    """Tells workers that a job of a queue may be claimed: the engine's side of submitting.

    A hint only; the catalog stays the state of record. A hint may arrive before the job's
    row is committed (a job queued inside a unit of work), be lost (a broker that restarted),
    or claim another job of the queue than the one it was sent for: the worker claims the
    queue's oldest runnable job, and the engine's sweeper sends hints again for jobs that have
    waited without one. Never raises: a broker that is down delays jobs, never fails them.
    """

    def queued(self, queue: str) -> None: ...
