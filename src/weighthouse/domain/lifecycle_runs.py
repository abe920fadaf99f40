"""Carrying out buckets' lifecycle rules (see :mod:`~weighthouse.domain.lifecycle`) at a given
time: the current objects that expired are deleted (a delete marker hides them in a versioned
bucket), noncurrent versions past their days are removed, delete markers left alone on their
key are removed where a rule asks for it, and multipart uploads past their days are aborted.

A run reads each bucket a page at a time and decides each change from what it read; every
change is the catalog's conditional write, so it is safe to run in several processes at once
and to run again: an object replaced since it was read is not deleted (the deletion names the
object's SHA-256), a version or upload another run removed first is simply gone, and a second
run finds nothing left to do. Each change is written with its audit event, in one unit.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from weighthouse.domain.audit import Audit
from weighthouse.domain.bucket_configurations_catalog import BucketConfigurationCatalog
from weighthouse.domain.catalog import MultipartCatalog, ObjectCatalog, UnitOfWork
from weighthouse.domain.errors import ObjectLockedError, UploadNotFoundError
from weighthouse.domain.lifecycle import LIFECYCLE, LifecycleRule, configured_rules
from weighthouse.domain.model import Repo
from weighthouse.domain.object_versions import ObjectVersion, ObjectVersionCatalog
from weighthouse.domain.ports import Clock

PAGE = 500
EXPIRE = "bucket.lifecycle.expire"
ABORT = "bucket.lifecycle.abort"


class LifecycleCatalog(
    BucketConfigurationCatalog,
    ObjectCatalog,
    ObjectVersionCatalog,
    MultipartCatalog,
    UnitOfWork,
    Protocol,
):
    """What :class:`LifecycleRuns` reads and changes."""


@dataclass
class LifecycleReport:
    """What a run did (or, dry, would do). ``locked_versions_kept``: noncurrent versions a
    rule would have removed but a retention or legal hold keeps."""

    buckets: int = 0
    objects_expired: int = 0
    versions_removed: int = 0
    delete_markers_removed: int = 0
    uploads_aborted: int = 0
    dry_run: bool = False
    locked_versions_kept: int = 0


class LifecycleRuns:
    def __init__(
        self, catalog: LifecycleCatalog, clock: Clock, audit: Audit, *, page: int = PAGE
    ) -> None:
        self._catalog = catalog
        self._clock = clock
        self._audit = audit
        self._page = page

    def apply(self, at: datetime | None = None, *, dry_run: bool = False) -> LifecycleReport:
        """Carry out every bucket's enabled rules as they stand at ``at`` (now when ``None``);
        with ``dry_run`` only count what would change."""
        now = at or self._clock()
        report = LifecycleReport(dry_run=dry_run)
        after: str | None = None
        while True:
            page = self._catalog.list_configured_buckets(LIFECYCLE, after, self._page)
            for repo, document in page:
                rules = tuple(r for r in configured_rules(document) or () if r.enabled)
                report.buckets += 1
                if rules:
                    self._apply_bucket(repo, rules, now, dry_run, report)
            if len(page) < self._page:
                return report
            after = page[-1][0].id

    def _apply_bucket(
        self,
        repo: Repo,
        rules: Sequence[LifecycleRule],
        now: datetime,
        dry_run: bool,
        report: LifecycleReport,
    ) -> None:
        if any(r.expires_current or r.expired_object_delete_marker or r.noncurrent_days
               for r in rules):  # fmt: skip
            for versions in self._keys(repo.id):
                self._apply_key(repo, rules, versions, now, dry_run, report)
        if any(r.abort_days is not None for r in rules):
            self._abort_uploads(repo, rules, now, dry_run, report)

    def _keys(self, repo_id: str) -> Iterator[list[ObjectVersion]]:
        """Every key's versions, newest first, one key at a time."""
        after = None
        key_versions: list[ObjectVersion] = []
        while True:
            page = self._catalog.list_object_versions(repo_id, "", after, self._page)
            for version in page:
                if key_versions and key_versions[0].key != version.key:
                    yield key_versions
                    key_versions = []
                key_versions.append(version)
            if len(page) < self._page:
                break
            after = (page[-1].key.encode("utf-8"), page[-1].position)
        if key_versions:
            yield key_versions

    def _apply_key(
        self,
        repo: Repo,
        rules: Sequence[LifecycleRule],
        versions: list[ObjectVersion],
        now: datetime,
        dry_run: bool,
        report: LifecycleReport,
    ) -> None:
        latest = versions[0]
        if latest.latest and latest.object is not None:
            rule = _expiring_rule(rules, latest, now)
            if rule is not None:
                report.objects_expired += 1
                if not dry_run:
                    self._expire_current(repo, latest, rule, now)
        elif latest.latest and len(versions) == 1:
            marker_rule = next(
                (
                    r
                    for r in rules
                    if r.expired_object_delete_marker
                    and not r.filter.object_only
                    and r.filter.selects_key(latest.key)
                ),
                None,
            )
            if marker_rule is not None and (
                dry_run or self._remove_version(repo, latest, marker_rule, "delete_marker", now)
            ):
                report.delete_markers_removed += 1
        for index, version in enumerate(versions[1:]):
            # Noncurrent since the next newer version was written; ``index`` newer noncurrent.
            since = versions[index].modified_at
            rule = _noncurrent_rule(rules, version, since, index, now)
            if rule is None:
                continue
            if dry_run or self._remove_version(repo, version, rule, "noncurrent", now):
                report.versions_removed += 1
            else:
                report.locked_versions_kept += 1

    def _expire_current(
        self, repo: Repo, version: ObjectVersion, rule: LifecycleRule, now: datetime
    ) -> None:
        assert version.object is not None
        sha256 = version.object.sha256

        def expire() -> None:
            deletion = self._catalog.delete_object(repo.id, version.key, if_sha256=sha256, at=now)
            if deletion.removed:
                self._record(EXPIRE, repo, version.key, rule, version.version_id, "current")

        self._catalog.run_atomic(expire)

    def _remove_version(
        self, repo: Repo, version: ObjectVersion, rule: LifecycleRule, what: str, now: datetime
    ) -> bool:
        """``False`` when a retention or legal hold keeps the version."""

        def remove() -> bool:
            try:
                removed = self._catalog.delete_object_version(
                    repo.id, version.key, version.version_id, now
                )
            except ObjectLockedError:
                # The lock outranks the rule, as in S3: tried again at every run until it ends.
                return False
            if removed is not None:
                self._record(EXPIRE, repo, version.key, rule, version.version_id, what)
            return True

        return self._catalog.run_atomic(remove)

    def _abort_uploads(
        self,
        repo: Repo,
        rules: Sequence[LifecycleRule],
        now: datetime,
        dry_run: bool,
        report: LifecycleReport,
    ) -> None:
        after: tuple[bytes, str] | None = None
        while True:
            page = self._catalog.list_uploads(repo.id, "", after, self._page)
            for upload in page:
                rule = next(
                    (
                        r
                        for r in rules
                        if r.filter.selects_key(upload.key)
                        and (due := r.abort_due(upload.created_at)) is not None
                        and due <= now
                    ),
                    None,
                )
                if rule is None:
                    continue
                report.uploads_aborted += 1
                if not dry_run:
                    self._abort(repo, upload.key, upload.id, rule)
            if len(page) < self._page:
                return
            after = (page[-1].key.encode("utf-8"), page[-1].id)

    def _abort(self, repo: Repo, key: str, upload_id: str, rule: LifecycleRule) -> None:
        def abort() -> None:
            try:
                self._catalog.end_upload(upload_id)
            except UploadNotFoundError:
                return  # completed, aborted or expired meanwhile
            self._record(ABORT, repo, key, rule, upload_id, "upload")

        self._catalog.run_atomic(abort)

    def _record(
        self, action: str, repo: Repo, key: str, rule: LifecycleRule, version: str, what: str
    ) -> None:
        self._audit.record(
            action,
            actor=None,
            target=f"bucket:{repo.full_name}/{key}",
            detail={"rule": rule.id, "version_id": version, "what": what},
        )


def _expiring_rule(
    rules: Sequence[LifecycleRule], version: ObjectVersion, now: datetime
) -> LifecycleRule | None:
    obj = version.object
    assert obj is not None
    for rule in rules:
        expiry = rule.current_expiry(obj.modified_at)
        if (
            expiry is not None
            and expiry <= now
            and rule.filter.selects(obj.key, obj.size, obj.tags)
        ):
            return rule
    return None


def _noncurrent_rule(
    rules: Sequence[LifecycleRule],
    version: ObjectVersion,
    since: datetime,
    newer: int,
    now: datetime,
) -> LifecycleRule | None:
    obj = version.object
    for rule in rules:
        expiry = rule.noncurrent_expiry(since)
        if expiry is None or expiry > now or newer < (rule.newer_noncurrent_versions or 0):
            continue
        if obj is None:
            if not rule.filter.object_only and rule.filter.selects_key(version.key):
                return rule
        elif rule.filter.selects(obj.key, obj.size, obj.tags):
            return rule
    return None
