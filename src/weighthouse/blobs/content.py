"""Level 2 of blob storage: content addressed by SHA-256, on top of any driver.

Layout: ``sha256/<hex[0:2]>/<hex[2:4]>/<hex>``, as distribution's ``paths.go`` fans blobs out, so
no directory holds more than 256 entries before the last level.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from datetime import datetime

from weighthouse.blobs.checked import CheckedDriver
from weighthouse.blobs.driver import BlobDriver, BlobWriter
from weighthouse.blobs.driver import BlobReader as DriverReader
from weighthouse.blobs.errors import BlobDriverError, BlobNotFoundError, BlobStorageFullError
from weighthouse.blobs.hashing import Hasher, StreamHasher, git_blob_header
from weighthouse.domain.errors import (
    BlobMissingError,
    DigestMismatchError,
    InvalidInputError,
    StorageError,
    StorageFullError,
)
from weighthouse.domain.model import BlobDigest
from weighthouse.domain.ports import BlobReader, LocalFile, StoredBlobInfo

PREFIX = "sha256/"
_SHA256 = re.compile(r"[0-9a-f]{64}")
_KEY = re.compile(r"sha256/([0-9a-f]{2})/([0-9a-f]{2})/([0-9a-f]{64})")
_HASH_PIECE = 1024 * 1024


def blob_key(sha256: str) -> str:
    """The driver key of a blob, after checking that ``sha256`` is 64 lowercase hex digits.

    Raises :class:`~weighthouse.domain.errors.InvalidInputError` otherwise.
    """
    if not isinstance(sha256, str) or not _SHA256.fullmatch(sha256):
        raise InvalidInputError("sha256 must be 64 lowercase hex digits", sha256=sha256)
    return f"{PREFIX}{sha256[0:2]}/{sha256[2:4]}/{sha256}"


class _domain_errors:  # noqa: N801 - used as a context manager, named as one
    """Driver errors become domain errors; the domain never sees a driver's exception types.
    (A class: cheaper to enter and leave than a generator's context manager, on every read.)"""

    __slots__ = ("sha256",)

    def __init__(self, sha256: str | None = None) -> None:
        self.sha256 = sha256

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: object, exc: BaseException | None, traceback: object) -> None:
        if isinstance(exc, BlobNotFoundError):
            raise BlobMissingError(f"blob {self.sha256} is missing", sha256=self.sha256) from exc
        if isinstance(exc, BlobStorageFullError):
            raise StorageFullError("blob storage is full", driver=exc.driver) from exc
        if isinstance(exc, BlobDriverError):
            raise StorageError("blob storage failed", driver=exc.driver, detail=exc.detail) from exc


class ContentBlobStore:
    """The domain's ``BlobStore``: blobs named by their SHA-256, on any driver.

    The driver is wrapped in :class:`CheckedDriver` unless it already is.
    """

    def __init__(self, driver: BlobDriver) -> None:
        self.driver = CheckedDriver.wrap(driver)
        self.local_reads = self.driver.local_reads
        self.loop_writes = self.driver.loop_writes

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
        digest, _ = self._store(
            chunks, size=size, sha256=sha256, md5=md5, git_sha1=git_sha1, helpers=helpers
        )
        return digest

    @contextmanager
    def provisional(
        self,
        chunks: Iterable[bytes],
        *,
        size: int | None = None,
        sha256: str | None = None,
        md5: bool = False,
        git_sha1: bool = False,
        helpers: bool = True,
    ) -> Iterator[BlobDigest]:
        digest, writer = self._store(
            chunks, size=size, sha256=sha256, md5=md5, git_sha1=git_sha1, helpers=helpers
        )
        try:
            yield digest
        except StorageError:
            # The change that was to reference the bytes failed. The driver removes them only
            # if this put created them and nobody has stored them since; a failure to remove
            # leaves them to the garbage collector, and the original error is what matters.
            with suppress(StorageError), _domain_errors(digest.sha256):
                writer.retract()
            raise

    def _store(
        self,
        chunks: Iterable[bytes],
        *,
        size: int | None,
        sha256: str | None,
        md5: bool,
        git_sha1: bool,
        helpers: bool,
    ) -> tuple[BlobDigest, BlobWriter]:
        if sha256 is not None:
            blob_key(sha256)
        if size is not None and size < 0:
            raise InvalidInputError("size must not be negative", size=size)
        with (
            _domain_errors(),
            self.driver.writer() as writer,
            StreamHasher(
                md5=md5, git_sha1_size=size if git_sha1 else None, helpers=helpers
            ) as hasher,
        ):
            received = 0
            for chunk in chunks:
                # Helper threads hash a chunk after this loop has moved on, so it must be
                # immutable; only a caller breaking the type hint pays for this copy.
                data = chunk if type(chunk) is bytes else bytes(chunk)
                received += len(data)
                if size is not None and received > size:
                    raise _mismatch("size", size, f"more than {size}")
                hasher.update(data)
                writer.write(data)
            digests = hasher.digests()
            if size is not None and received != size:
                raise _mismatch("size", size, received)
            if sha256 is not None and digests.sha256 != sha256:
                raise _mismatch("sha256", sha256, digests.sha256)
            writer.commit(blob_key(digests.sha256))
        git = digests.git_sha1
        if git_sha1 and git is None:
            # git's header carries the size, so a stream of unknown size is hashed again from
            # the stored bytes (page cache) rather than held in memory.
            git = self._git_sha1(digests.sha256, received)
        digest = BlobDigest(sha256=digests.sha256, size=received, md5=digests.md5, git_sha1=git)
        return digest, writer

    def reader(self, sha256: str) -> BlobReader:
        key = blob_key(sha256)
        with _domain_errors(sha256):
            return ContentBlobReader(self.driver, self.driver.reader(key), sha256)

    def stat(self, sha256: str) -> StoredBlobInfo:
        key = blob_key(sha256)
        with _domain_errors(sha256):
            info = self.driver.stat(key)
        return StoredBlobInfo(sha256=sha256, size=info.size, modified_at=info.modified_at)

    def exists(self, sha256: str) -> bool:
        key = blob_key(sha256)
        with _domain_errors(sha256):
            try:
                self.driver.stat(key)
            except BlobNotFoundError:
                return False
        return True

    def delete(self, sha256: str) -> None:
        key = blob_key(sha256)
        with _domain_errors(sha256):
            self.driver.delete(key)

    def walk(self) -> Iterator[StoredBlobInfo]:
        with _domain_errors():
            for info in self.driver.walk(PREFIX):
                match = _KEY.fullmatch(info.key)
                # Anything else under the prefix is not a blob this store wrote: skip it.
                if match and match[3].startswith(match[1] + match[2]):
                    yield StoredBlobInfo(match[3], info.size, info.modified_at)

    def verify(self, sha256: str) -> bool:
        return self._hash_stored(sha256, hashlib.sha256()) == sha256

    def sweep_temporaries(self, older_than: datetime) -> int:
        with _domain_errors():
            return self.driver.sweep_temporaries(older_than)

    def check_ready(self) -> None:
        with _domain_errors():
            self.driver.check_ready()

    def _git_sha1(self, sha256: str, size: int) -> str:
        return self._hash_stored(sha256, hashlib.sha1(git_blob_header(size), usedforsecurity=False))

    def _hash_stored(self, sha256: str, hasher: Hasher) -> str:
        """Hex digest of ``hasher`` fed with the stored bytes of ``sha256``."""
        with self.reader(sha256) as reader:
            for piece in reader.iter_range(piece=_HASH_PIECE):
                hasher.update(piece)
        return hasher.hexdigest()


class ContentBlobReader(BlobReader):
    """The domain's reader over a driver's: checks ranges, and turns driver errors (also a
    blob that ends before its size) into domain errors."""

    def __init__(self, driver: CheckedDriver, inner: DriverReader, sha256: str) -> None:
        self._driver = driver
        self._inner = inner
        self.sha256 = sha256
        self.size = inner.size

    def read_range(self, offset: int, length: int) -> bytes:
        if offset < 0 or length < 0 or offset > self.size:
            raise InvalidInputError(
                f"range ({offset}, {length}) lies outside the blob ({self.size} bytes)",
                offset=offset,
                length=length,
                size=self.size,
            )
        want = min(length, self.size - offset)
        with _domain_errors(self.sha256):
            data = self._inner.read(offset, want)
        if len(data) != want:
            raise StorageError(
                f"blob {self.sha256} ended before its size",
                sha256=self.sha256,
                detail=f"read {len(data)} of {want} bytes at {offset}",
            )
        return data

    def local_file(self) -> LocalFile | None:
        with _domain_errors(self.sha256):
            path = self._inner.local_path()
        return None if path is None else LocalFile(path, self.size)

    def presigned_url(self, expires_in: int) -> str | None:
        if expires_in < 1:
            raise InvalidInputError("expires_in must be at least one second", expires_in=expires_in)
        with _domain_errors(self.sha256):
            return self._driver.presigned_url(self._inner.key, expires_in=expires_in)

    def close(self) -> None:
        self._inner.close()


def _mismatch(what: str, declared: object, received: object) -> DigestMismatchError:
    return DigestMismatchError(
        f"declared {what} {declared} does not match the bytes received ({received})",
        field=what,
        declared=declared,
        received=received,
    )
