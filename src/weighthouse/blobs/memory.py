"""A driver that keeps blobs in a dict: for tests and throw-away servers. Same contract as the
others, minus durability."""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from pydantic import BaseModel, ConfigDict

from weighthouse.blobs.driver import BlobInfo, BlobReader, BlobWriter
from weighthouse.blobs.errors import BlobDriverError, BlobNotFoundError
from weighthouse.blobs.keys import check_key, check_prefix, check_range, commit_key
from weighthouse.blobs.registry import DriverContext, DriverSpec

NAME = "memory"


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class _Stored:
    data: bytes
    modified_at: datetime


class MemoryBlobDriver:
    """Blobs in process memory. ``clock`` (aware UTC) stamps commits and writes, so tests can
    age blobs and temporaries without sleeping."""

    name = NAME
    local_reads = True
    loop_writes = sys.maxsize  # a commit is a dictionary entry: nothing to wait on

    def __init__(self, clock: Callable[[], datetime] = _utc_now) -> None:
        self.clock = clock
        self._lock = threading.Lock()
        self._blobs: dict[str, _Stored] = {}
        self._pending: set[_MemoryWriter] = set()

    def reader(self, key: str) -> BlobReader:
        return _MemoryReader(key, self._get(key).data)

    def writer(self, key: str | None = None) -> BlobWriter:
        if key is not None:
            check_key(key, NAME)
        writer = _MemoryWriter(self, key)
        with self._lock:
            self._pending.add(writer)
        return writer

    def stat(self, key: str) -> BlobInfo:
        stored = self._get(key)
        return BlobInfo(key, len(stored.data), stored.modified_at)

    def delete(self, key: str) -> None:
        check_key(key, NAME)
        with self._lock:
            self._blobs.pop(key, None)

    def walk(self, prefix: str = "") -> Iterator[BlobInfo]:
        check_prefix(prefix, NAME)
        with self._lock:
            items = [(k, v) for k, v in self._blobs.items() if k.startswith(prefix)]
        for key, stored in items:
            yield BlobInfo(key, len(stored.data), stored.modified_at)

    def presigned_url(self, key: str, *, expires_in: int) -> str | None:
        check_key(key, NAME)
        return None

    def sweep_temporaries(self, older_than: datetime) -> int:
        # Every writer of this driver lives in this process, so only age makes one stale.
        with self._lock:
            stale = {w for w in self._pending if w.last_written < older_than}
            self._pending -= stale
        for writer in stale:
            writer.swept()
        return len(stale)

    def check_ready(self) -> None:
        return None

    def _get(self, key: str) -> _Stored:
        check_key(key, NAME)
        with self._lock:
            stored = self._blobs.get(key)
        if stored is None:
            raise BlobNotFoundError(key, NAME)
        return stored

    def _commit(self, writer: _MemoryWriter, key: str, data: bytes) -> _Stored | None:
        """Store ``data`` at ``key``; the new entry if the key was empty, else ``None``."""
        with self._lock:
            if writer not in self._pending:
                raise BlobDriverError(NAME, "temporary was swept before commit")
            self._pending.discard(writer)
            created = key not in self._blobs
            stored = self._blobs[key] = _Stored(data, self.clock())
        return stored if created else None

    def _remove_if_same(self, key: str, stored: _Stored) -> bool:
        with self._lock:
            if self._blobs.get(key) is not stored:
                return False
            del self._blobs[key]
        return True

    def _forget(self, writer: _MemoryWriter) -> None:
        with self._lock:
            self._pending.discard(writer)


class _MemoryReader(BlobReader):
    """Holds the bytes the key had when opened; a later replace does not change them."""

    def __init__(self, key: str, data: bytes) -> None:
        self.key = key
        self.size = len(data)
        self._data: bytes | None = data

    def read(self, offset: int, length: int) -> bytes:
        check_range(offset, length)
        if self._data is None:
            raise BlobDriverError(NAME, "reader is closed")
        return self._data[offset : offset + length]

    def local_path(self) -> str | None:
        return None

    def close(self) -> None:
        self._data = None


class _MemoryWriter(BlobWriter):
    def __init__(self, driver: MemoryBlobDriver, key: str | None) -> None:
        self._driver = driver
        self._key = key
        self._parts: list[bytes] = []
        self._state = "open"
        self._created: tuple[str, _Stored] | None = None
        self.last_written = driver.clock()

    def write(self, data: bytes) -> None:
        if self._state != "open":
            raise BlobDriverError(NAME, f"writer is {self._state}")
        self._parts.append(bytes(data))
        self.last_written = self._driver.clock()

    def commit(self, key: str | None = None) -> None:
        if self._state != "open":
            raise BlobDriverError(NAME, f"writer is {self._state}")
        try:
            target = commit_key(self._key, key, NAME)
            created = self._driver._commit(self, target, b"".join(self._parts))
        except BlobDriverError:
            self.cancel()
            raise
        self._state = "committed"
        self._parts = []
        if created is not None:
            self._created = (target, created)

    def retract(self) -> bool:
        created, self._created = self._created, None
        if created is None:
            return False
        return self._driver._remove_if_same(*created)

    def cancel(self) -> None:
        if self._state != "open":
            return
        self._state = "cancelled"
        self._parts = []
        self._driver._forget(self)

    def swept(self) -> None:
        """Called by the driver's sweep: drop the bytes; a later commit fails."""
        self._parts = []


class MemoryDriverSettings(BaseModel):
    """The memory driver takes no settings; any key under ``WEIGHTHOUSE_BLOBS__MEMORY__`` is an
    error."""

    model_config = ConfigDict(extra="forbid")


def _create(settings: MemoryDriverSettings, context: DriverContext) -> MemoryBlobDriver:
    return MemoryBlobDriver()


SPEC = DriverSpec(
    name=NAME,
    settings=MemoryDriverSettings,
    factory=_create,
    description="process memory; for tests and throw-away servers, not durable",
)
