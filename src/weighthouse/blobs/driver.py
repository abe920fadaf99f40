"""Level 1 of blob storage: a driver stores bytes at keys and knows nothing of digests.

Modelled on distribution/distribution's ``StorageDriver``. Keys obey
:mod:`weighthouse.blobs.keys`; every method raises a
:class:`~weighthouse.blobs.errors.BlobDriverError` subclass on failure, and
:class:`~weighthouse.blobs.checked.CheckedDriver` guarantees that for any driver.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType
from typing import Protocol, Self


@dataclass(frozen=True)
class BlobInfo:
    """A committed blob: ``size`` in bytes, ``modified_at`` timezone-aware UTC."""

    key: str
    size: int
    modified_at: datetime


class BlobWriter(Protocol):
    """An upload in progress to a temporary place; invisible until :meth:`commit`.

    Use it as a context manager: leaving the block without a commit (an exception, or a forgotten
    commit) cancels. Implementations subclass this Protocol to inherit that behaviour.
    """

    def write(self, data: bytes) -> None:
        """Append ``data``. After a failure the temporary is gone and the writer is cancelled.

        Raises ``BlobStorageFullError`` when out of space, ``BlobDriverError`` otherwise, also
        when the writer is already committed or cancelled.
        """
        ...

    def commit(self, key: str | None = None) -> None:
        """Make the bytes durable and visible at ``key`` (default: the key given to ``writer``).

        Durable means: data flushed to stable storage, atomically put in place, and the
        placement itself flushed. A crash before ``commit`` returns leaves the key absent or
        holding its previous content, never a prefix. Committing over an existing key replaces
        it atomically and refreshes its modification time. On failure the temporary is removed
        and the writer is cancelled; a failed flush is never retried. Committing twice, or after
        a cancel, raises ``BlobDriverError``.
        """
        ...

    def cancel(self) -> None:
        """Discard the temporary. Idempotent, and a no-op after a commit. Never raises."""
        ...

    def retract(self) -> bool:
        """Undo a commit whose bytes turned out not to be wanted (the catalog change that was
        to reference them failed), so they need not wait for the garbage collector.

        Removes the blob only if this writer's commit created the key (nothing was stored
        there before) and no commit has replaced it since, so bytes another writer stored
        at the same key are never lost. Returns ``True`` if it removed the blob; ``False``
        before a commit, after a retract, or when the blob is not only this writer's. A
        driver that cannot tell keeps the blob (this default). Raises ``BlobDriverError``.
        """
        return False

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.cancel()


class BlobReader(Protocol):
    """A committed blob opened for reading: ``size`` and reads at any offset.

    The bytes stay those of the blob when it was opened, even if the key is replaced or deleted
    meanwhile. Reads from several threads at once are allowed. Use it as a context manager or
    call :meth:`close`; implementations subclass this Protocol to inherit that behaviour.
    """

    key: str
    size: int

    def read(self, offset: int, length: int) -> bytes:
        """Up to ``length`` bytes at ``offset``; fewer only at the end of the blob, ``b""`` at or
        past it. Raises ``ValueError`` for a negative ``offset`` or ``length`` and
        ``BlobDriverError`` when the backend fails or the reader is closed."""
        ...

    def local_path(self) -> str | None:
        """The file-system path of the blob for zero-copy responses (``sendfile``), or ``None``
        when the bytes are not a whole file on a local disk."""
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


class BlobDriver(Protocol):
    """Bytes at keys. Knows nothing of digests, repos or revisions.

    All methods are thread-safe. Every failure raises a
    :class:`~weighthouse.blobs.errors.BlobDriverError`; a key outside the key rule raises
    :class:`~weighthouse.blobs.errors.InvalidBlobKeyError`.
    """

    name: str
    """Short backend name (``local``, ``memory``, ``s3``) carried by the driver's errors."""

    local_reads: bool
    """True when opening and reading a blob waits on nothing but this machine's memory and
    disks. A driver that leaves it out (a plugin written before it) counts as remote."""

    loop_writes: int
    """The largest blob (bytes) at a content key (``sha256/...``) whose write and commit wait
    on nothing but memory or a group commit that knows how to wait on an event loop
    (:mod:`weighthouse.on_loop`), so a front-end may store it from its loop; 0 when every
    commit may block (a file's fsync, a network). A driver that leaves it out counts as 0."""

    def reader(self, key: str) -> BlobReader:
        """Open a committed blob for reading; the caller closes the reader.

        Raises ``BlobNotFoundError``.
        """
        ...

    def writer(self, key: str | None = None) -> BlobWriter:
        """Start an upload. ``key`` may be left out and given to ``commit`` instead, for
        callers that learn the name from the bytes (content addressing)."""
        ...

    def stat(self, key: str) -> BlobInfo:
        """Size and modification time of a committed blob. Raises ``BlobNotFoundError``."""
        ...

    def delete(self, key: str) -> None:
        """Remove a committed blob. Idempotent: a missing key is fine."""
        ...

    def walk(self, prefix: str = "") -> Iterator[BlobInfo]:
        """Every committed key that starts with ``prefix`` (a plain string prefix), in no
        particular order. Never yields temporaries. Keys added or removed during the walk may or
        may not appear."""
        ...

    def presigned_url(self, key: str, *, expires_in: int) -> str | None:
        """A URL that serves ``key`` for ``expires_in`` seconds, or ``None``: the server proxies."""
        ...

    def sweep_temporaries(self, older_than: datetime) -> int:
        """Remove uploads never committed: those last written before ``older_than``, and those
        whose writer process on this host is gone. Returns how many were removed. A writer whose
        temporary was swept fails on ``commit``."""
        ...

    def check_ready(self) -> None:
        """Raise ``BlobDriverError`` if the backend cannot store or serve blobs right now."""
        ...
