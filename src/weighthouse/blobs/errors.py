"""Driver errors: what level-1 drivers raise. The content store maps them onto domain errors.

BlobDriverError               any failure of the backend; carries the driver's name
├── BlobNotFoundError         no committed blob at that key
├── BlobStorageFullError      out of space or quota (ENOSPC, EDQUOT)
└── InvalidBlobKeyError       a key or prefix outside the key rule (a programming error)
"""

from __future__ import annotations


class BlobDriverError(Exception):
    """A driver failed. Nothing was committed by the call that raised it."""

    def __init__(self, driver: str, detail: str) -> None:
        super().__init__(f"{driver}: {detail}")
        self.driver = driver
        self.detail = detail


class BlobNotFoundError(BlobDriverError):
    """No committed blob exists at ``key``."""

    def __init__(self, key: str, driver: str) -> None:
        super().__init__(driver, f"no blob at {key!r}")
        self.key = key


class BlobStorageFullError(BlobDriverError):
    """The backend has no room left (ENOSPC) or the quota is spent (EDQUOT)."""


class InvalidBlobKeyError(BlobDriverError):
    """A key or prefix breaks the key rule; keys are internal, so this is a bug in the caller."""

    def __init__(self, key: object, driver: str) -> None:
        super().__init__(driver, f"invalid blob key {key!r}")
        self.key = key
