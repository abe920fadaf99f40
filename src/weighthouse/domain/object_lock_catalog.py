"""The catalog's role for object lock (see :mod:`~weighthouse.domain.object_lock`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from weighthouse.domain.model import BucketObject
from weighthouse.domain.object_lock import ObjectLockConfiguration, Retention

LockChange = Callable[[BucketObject], tuple[Retention | None, bool | None]]
"""Given a version's object as stored, its new retention and legal hold (``None``: never
set), or an exception, and then nothing changes."""


class ObjectLockCatalog(Protocol):
    """Object lock of buckets and object versions. Part of
    :class:`~weighthouse.domain.catalog.Catalog`.

    A new object version (``put_object`` while the bucket's object lock is enabled) stores the
    retention and legal hold of the object given, its retention defaulted as
    :func:`new_version_lock` says, under the bucket's lock. ``delete_object_version`` refuses a
    locked version, and ``delete_repo`` a bucket holding one (see their contracts)."""

    def bucket_object_lock(self, repo_id: str) -> ObjectLockConfiguration | None:
        """The bucket's object lock, ``None`` when it is not enabled (or no such bucket)."""
        ...

    def set_bucket_object_lock(
        self, repo_id: str, configuration: ObjectLockConfiguration, *, enable_versioning: bool
    ) -> None:
        """Enable the bucket's object lock, or replace its default retention. Unless it is
        already enabled the bucket's versioning must be ``Enabled`` (with
        ``enable_versioning``, it is set so in the same write): ``InvalidBucketStateError``
        otherwise. Raises ``RepoNotFoundError`` when the bucket does not exist."""
        ...

    def change_object_lock(
        self, repo_id: str, key: str, version_id: str, change: LockChange
    ) -> BucketObject | None:
        """Under the bucket's lock, store the retention and legal hold ``change`` returns for
        that object version, and return the object as it now is; ``None`` when there is no
        such object version (a delete marker has no lock). What ``change`` raises propagates
        and nothing changes."""
        ...
