"""Object lock use cases (see :mod:`~weighthouse.domain.object_lock` for the rules): a
bucket's object lock configuration, and each object version's retention and legal hold.

Reading asks for read access to the bucket, changing a version's lock for write access, and
changing the bucket's configuration for admin access (a setting of the bucket, as its
versioning). Every change of a version's lock is decided under the bucket's lock by the
catalog, so two racing changes cannot both shorten a retention.
"""

from __future__ import annotations

from typing import Protocol

from weighthouse.domain.access import (
    GET_LEGAL_HOLD,
    GET_RETENTION,
    Principal,
    may_bypass_governance,
    may_read_object_lock,
    require_object_lock_read,
)
from weighthouse.domain.catalog import ObjectCatalog
from weighthouse.domain.errors import (
    InvalidInputError,
    ObjectLockNotEnabledError,
    VersionNotFoundError,
)
from weighthouse.domain.model import BucketObject, Repo, RepoId, RepoType, Role
from weighthouse.domain.names import check_key
from weighthouse.domain.object_lock import (
    DefaultRetention,
    ObjectLockConfiguration,
    Retention,
    check_retention,
    require_retention_change,
)
from weighthouse.domain.object_lock_catalog import LockChange, ObjectLockCatalog
from weighthouse.domain.object_versions import ObjectVersionCatalog, find_object_version
from weighthouse.domain.ports import Clock
from weighthouse.domain.repos import RepoLookup, find_bucket, require_bucket, stored_repo


class LockCatalog(RepoLookup, ObjectCatalog, ObjectVersionCatalog, ObjectLockCatalog, Protocol):
    """What :class:`ObjectLocks` uses."""


class ObjectLocks:
    def __init__(self, catalog: LockCatalog, clock: Clock) -> None:
        self._catalog = catalog
        self._clock = clock

    def configuration(self, principal: Principal, bucket: RepoId) -> ObjectLockConfiguration | None:
        """The bucket's object lock, ``None`` when it is not enabled."""
        return self._catalog.bucket_object_lock(
            find_bucket(self._catalog, principal, bucket, Role.READ).id
        )

    def configure(
        self,
        principal: Principal,
        bucket: RepoId,
        rule: DefaultRetention | None,
        *,
        enable_versioning: bool = False,
    ) -> None:
        """Enable the bucket's object lock with the default retention ``rule`` (or none), or
        replace its rule; it is never disabled. Needs versioning ``Enabled``
        (``InvalidBucketStateError``) unless ``enable_versioning``, which enables it in the
        same write (a bucket created with object lock)."""
        repo = find_bucket(self._catalog, principal, bucket, Role.ADMIN)
        self._catalog.set_bucket_object_lock(
            repo.id, ObjectLockConfiguration(rule), enable_versioning=enable_versioning
        )

    def require_enabled(self, repo_id: str) -> None:
        """``ObjectLockNotEnabledError`` unless the bucket's object lock is enabled."""
        if self._catalog.bucket_object_lock(repo_id) is None:
            raise ObjectLockNotEnabledError(
                "the bucket is missing an object lock configuration", repo_id=repo_id
            )

    def _bucket(self, bucket: RepoId) -> Repo:
        """The bucket, before any access check (which the caller makes)."""
        if bucket.type is not RepoType.BUCKET:
            raise InvalidInputError("not a bucket id")
        repo = stored_repo(self._catalog, bucket)
        require_bucket(repo)
        return repo

    def version(
        self, principal: Principal, bucket: RepoId, key: str, version_id: str | None, action: str
    ) -> BucketObject:
        """The object version whose retention (``action``
        :data:`~weighthouse.domain.access.GET_RETENTION`) or legal hold
        (:data:`~weighthouse.domain.access.GET_LEGAL_HOLD`) is asked for (the latest object
        without ``version_id``), in a bucket whose object lock is enabled; needs that
        permission (:func:`~weighthouse.domain.access.require_object_lock_read`)."""
        repo = self._bucket(bucket)
        key = check_key(key)
        require_object_lock_read(self._catalog, principal, repo, key, action)
        self.require_enabled(repo.id)
        return self._find(repo.id, key, version_id)

    def readable(
        self, principal: Principal, bucket: RepoId, obj: BucketObject
    ) -> tuple[Retention | None, bool | None]:
        """The retention and legal hold of ``obj``, which the caller has read, as far as they
        may read them (``None`` for what they may not): S3 shows them on a GET or HEAD only
        to callers with ``s3:GetObjectRetention`` and ``s3:GetObjectLegalHold``. Costs no
        read for an object without either."""
        if obj.retention is None and obj.legal_hold is None:
            return None, None
        repo = self._bucket(bucket)

        def may(action: str) -> bool:
            return may_read_object_lock(self._catalog, principal, repo, obj.key, action)

        retention = obj.retention if obj.retention is not None and may(GET_RETENTION) else None
        legal_hold = obj.legal_hold if obj.legal_hold is not None and may(GET_LEGAL_HOLD) else None
        return retention, legal_hold

    def _find(self, repo_id: str, key: str, version_id: str | None) -> BucketObject:
        if version_id is None:
            return self._catalog.get_object(repo_id, key)
        return find_object_version(self._catalog, repo_id, key, version_id)

    def set_retention(
        self,
        principal: Principal,
        bucket: RepoId,
        key: str,
        version_id: str | None,
        retention: Retention | None,
        *,
        bypass_governance: bool = False,
    ) -> BucketObject:
        """Give the version a new retention (``None`` removes it), as
        :func:`~weighthouse.domain.object_lock.require_retention_change` allows;
        ``bypass_governance`` counts only for a caller who may bypass. Needs write access;
        ``InvalidInputError`` for a date not in the future."""
        repo = find_bucket(self._catalog, principal, bucket, Role.WRITE)
        self.require_enabled(repo.id)
        key = check_key(key)
        now = self._clock()
        if retention is not None:
            retention = check_retention(retention, now)
        bypass = bypass_governance and may_bypass_governance(self._catalog, principal, repo, key)
        target = self._find(repo.id, key, version_id)

        def change(stored: BucketObject) -> tuple[Retention | None, bool | None]:
            require_retention_change(
                stored.retention, retention, self._clock(), bypass_governance=bypass
            )
            return retention, stored.legal_hold

        return self._change(repo.id, key, target.version_id, change)

    def set_legal_hold(
        self, principal: Principal, bucket: RepoId, key: str, version_id: str | None, on: bool
    ) -> BucketObject:
        """Put the version's legal hold on or off; needs write access."""
        repo = find_bucket(self._catalog, principal, bucket, Role.WRITE)
        self.require_enabled(repo.id)
        key = check_key(key)
        target = self._find(repo.id, key, version_id)
        return self._change(repo.id, key, target.version_id, lambda stored: (stored.retention, on))

    def _change(self, repo_id: str, key: str, version_id: str, change: LockChange) -> BucketObject:
        changed = self._catalog.change_object_lock(repo_id, key, version_id, change)
        if changed is None:
            raise VersionNotFoundError(
                f"no version {version_id!r} of {key!r}", key=key, version_id=version_id
            )
        return changed
