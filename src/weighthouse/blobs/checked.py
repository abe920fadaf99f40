"""Behaviour every driver shares, written once (distribution's ``driver/base`` wrapper)."""

from __future__ import annotations

import errno
from collections.abc import Iterator
from contextlib import suppress
from datetime import datetime

from weighthouse.blobs.driver import BlobDriver, BlobInfo, BlobReader, BlobWriter
from weighthouse.blobs.errors import BlobDriverError, BlobNotFoundError, BlobStorageFullError
from weighthouse.blobs.keys import check_key, check_prefix, check_range, commit_key

_FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT})


class normalised_errors:  # noqa: N801 - used as a context manager, named as one
    """Turn whatever a driver raises into a ``BlobDriverError`` carrying the driver's name.

    ``missing_key`` names the key a ``FileNotFoundError`` means is absent (reads only: during a
    commit, a missing file means a swept temporary, not a missing blob). A class rather than a
    generator: a blob read passes through several of these, and a generator's context manager
    costs four times as much to enter and leave.
    """

    __slots__ = ("driver", "missing_key")

    def __init__(self, driver: str, missing_key: str | None = None) -> None:
        self.driver = driver
        self.missing_key = missing_key

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: object, exc: BaseException | None, traceback: object) -> None:
        if exc is None or isinstance(exc, BlobDriverError) or not isinstance(exc, Exception):
            return
        driver = self.driver
        if isinstance(exc, FileNotFoundError):
            if self.missing_key is None:
                raise BlobDriverError(driver, str(exc)) from exc
            raise BlobNotFoundError(self.missing_key, driver) from exc
        if isinstance(exc, OSError):
            if exc.errno in _FULL_ERRNOS:
                raise BlobStorageFullError(driver, str(exc)) from exc
            raise BlobDriverError(driver, str(exc)) from exc
        raise BlobDriverError(driver, f"{type(exc).__name__}: {exc}") from exc


class CheckedDriver:
    """Wraps any driver: checks every key against the one key rule before the driver sees it,
    and normalises unknown exceptions into ``BlobDriverError(driver=...)``, also those of the
    readers it hands out.
    """

    def __init__(self, inner: BlobDriver) -> None:
        self.inner = inner
        self.name = inner.name
        self.local_reads: bool = getattr(inner, "local_reads", False)
        self.loop_writes: int = getattr(inner, "loop_writes", 0)

    @classmethod
    def wrap(cls, driver: BlobDriver) -> CheckedDriver:
        """Wrap ``driver`` unless it is wrapped already, so checks run once."""
        return driver if isinstance(driver, CheckedDriver) else cls(driver)

    def reader(self, key: str) -> BlobReader:
        check_key(key, self.name)
        with normalised_errors(self.name, key):
            return _CheckedReader(self.inner.reader(key), self.name)

    def writer(self, key: str | None = None) -> BlobWriter:
        if key is not None:
            check_key(key, self.name)
        with normalised_errors(self.name):
            return _CheckedWriter(self.inner.writer(key), key, self.name)

    def stat(self, key: str) -> BlobInfo:
        check_key(key, self.name)
        with normalised_errors(self.name, key):
            return self.inner.stat(key)

    def delete(self, key: str) -> None:
        check_key(key, self.name)
        with normalised_errors(self.name):
            self.inner.delete(key)

    def walk(self, prefix: str = "") -> Iterator[BlobInfo]:
        check_prefix(prefix, self.name)
        with normalised_errors(self.name):
            yield from self.inner.walk(prefix)

    def presigned_url(self, key: str, *, expires_in: int) -> str | None:
        check_key(key, self.name)
        if expires_in <= 0:
            raise ValueError(f"expires_in must be positive seconds, not {expires_in}")
        with normalised_errors(self.name):
            return self.inner.presigned_url(key, expires_in=expires_in)

    def sweep_temporaries(self, older_than: datetime) -> int:
        if older_than.tzinfo is None:
            raise ValueError("older_than must be timezone-aware")
        with normalised_errors(self.name):
            return self.inner.sweep_temporaries(older_than)

    def check_ready(self) -> None:
        with normalised_errors(self.name):
            self.inner.check_ready()


class _CheckedReader(BlobReader):
    def __init__(self, inner: BlobReader, driver: str) -> None:
        self._inner = inner
        self._driver = driver
        self.key = inner.key
        self.size = inner.size

    def read(self, offset: int, length: int) -> bytes:
        check_range(offset, length)
        with normalised_errors(self._driver):
            return self._inner.read(offset, length)

    def local_path(self) -> str | None:
        with normalised_errors(self._driver):
            return self._inner.local_path()

    def close(self) -> None:
        with suppress(Exception):
            self._inner.close()


class _CheckedWriter(BlobWriter):
    def __init__(self, inner: BlobWriter, key: str | None, driver: str) -> None:
        self._inner = inner
        self._key = key
        self._driver = driver

    def write(self, data: bytes) -> None:
        with normalised_errors(self._driver):
            self._inner.write(data)

    def commit(self, key: str | None = None) -> None:
        try:
            target = commit_key(self._key, key, self._driver)
        except BlobDriverError:
            self.cancel()
            raise
        with normalised_errors(self._driver):
            self._inner.commit(target)

    def retract(self) -> bool:
        with normalised_errors(self._driver):
            return self._inner.retract()

    def cancel(self) -> None:
        # Cancel runs on error paths; a failing cancel must not hide the original error.
        with suppress(Exception):
            self._inner.cancel()
