"""Object lock on every catalog: a bucket's object lock enabled with versioning and never
suspended after, its default retention given to new versions, each version's retention and
legal hold stored, moved with it when it becomes an older version and changed under the
bucket's lock, and no locked version removed by id or with its bucket."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from tests.contract.catalog.samples import NOW, make_object, make_repo
from tests.contract.catalog.test_multipart_contract import make_upload

from weighthouse.domain.catalog import Catalog
from weighthouse.domain.errors import (
    InvalidBucketStateError,
    ObjectLockedError,
    RepoNotFoundError,
)
from weighthouse.domain.model import BucketObject, Repo, RepoType, User
from weighthouse.domain.object_lock import (
    DefaultRetention,
    LockMode,
    ObjectLockConfiguration,
    Retention,
)
from weighthouse.domain.object_versions import Versioning

pytestmark = pytest.mark.contract

LATER = NOW + timedelta(days=30)
GOVERNED = Retention(LockMode.GOVERNANCE, LATER)
COMPLIANT = Retention(LockMode.COMPLIANCE, LATER)


@pytest.fixture
def bucket(catalog: Catalog, user: User) -> Repo:
    stored = make_repo(user, name="locked", type=RepoType.BUCKET)
    catalog.add_repo(stored)
    catalog.set_bucket_object_lock(stored.id, ObjectLockConfiguration(), enable_versioning=True)
    return stored


def version(catalog: Catalog, bucket: Repo, key: str, version_id: str) -> BucketObject:
    found = catalog.get_object_version(bucket.id, key, version_id)
    assert found is not None and found.object is not None
    return found.object


def test_object_lock_is_enabled_with_versioning_and_keeps_it_on(
    catalog: Catalog, user: User, repo: Repo
) -> None:
    plain = make_repo(user, name="plain", type=RepoType.BUCKET)
    catalog.add_repo(plain)
    assert catalog.bucket_object_lock(plain.id) is None
    with pytest.raises(InvalidBucketStateError):
        catalog.set_bucket_object_lock(plain.id, ObjectLockConfiguration(), enable_versioning=False)
    catalog.set_bucket_versioning(plain.id, Versioning.SUSPENDED)
    with pytest.raises(InvalidBucketStateError):
        catalog.set_bucket_object_lock(plain.id, ObjectLockConfiguration(), enable_versioning=False)
    catalog.set_bucket_versioning(plain.id, Versioning.ENABLED)
    rule = ObjectLockConfiguration(DefaultRetention(LockMode.COMPLIANCE, years=2))
    catalog.set_bucket_object_lock(plain.id, rule, enable_versioning=False)
    assert catalog.bucket_object_lock(plain.id) == rule
    with pytest.raises(InvalidBucketStateError):
        catalog.set_bucket_versioning(plain.id, Versioning.SUSPENDED)
    assert catalog.bucket_versioning(plain.id) is Versioning.ENABLED
    catalog.set_bucket_versioning(plain.id, Versioning.ENABLED)  # setting it again is fine
    with pytest.raises(RepoNotFoundError):
        catalog.set_bucket_object_lock("no-such-bucket", rule, enable_versioning=True)
    with pytest.raises(RepoNotFoundError):
        catalog.set_bucket_object_lock(repo.id, rule, enable_versioning=True)  # a model


def test_a_bucket_created_with_object_lock_is_versioned(catalog: Catalog, bucket: Repo) -> None:
    assert catalog.bucket_versioning(bucket.id) is Versioning.ENABLED
    assert catalog.bucket_object_lock(bucket.id) == ObjectLockConfiguration()


def test_new_versions_get_the_default_retention_unless_they_ask(
    catalog: Catalog, bucket: Repo
) -> None:
    first = catalog.put_object(bucket.id, make_object("k", "one"))
    assert version(catalog, bucket, "k", first).retention is None
    rule = DefaultRetention(LockMode.GOVERNANCE, days=3)
    catalog.set_bucket_object_lock(
        bucket.id, ObjectLockConfiguration(rule), enable_versioning=False
    )
    second = catalog.put_object(bucket.id, make_object("k", "two"))
    assert catalog.get_object(bucket.id, "k").retention == Retention(
        LockMode.GOVERNANCE, NOW + timedelta(days=3)
    )
    asked = replace(make_object("k", "three"), retention=COMPLIANT, legal_hold=True)
    third = catalog.put_object(bucket.id, asked)
    latest = catalog.get_object(bucket.id, "k")
    assert (latest.retention, latest.legal_hold) == (COMPLIANT, True)
    # Older versions keep theirs, as listed and as read by id.
    assert version(catalog, bucket, "k", second).retention == Retention(
        LockMode.GOVERNANCE, NOW + timedelta(days=3)
    )
    listed = {v.version_id: v.object for v in catalog.list_object_versions(bucket.id, "", None, 9)}
    assert listed[third] is not None and listed[third].legal_hold
    assert listed[first] is not None and listed[first].retention is None


def test_a_locked_version_is_not_removed_by_id(catalog: Catalog, bucket: Repo) -> None:
    held = catalog.put_object(bucket.id, replace(make_object("k", "held"), legal_hold=True))
    governed = catalog.put_object(bucket.id, replace(make_object("k", "gov"), retention=GOVERNED))
    compliant = catalog.put_object(
        bucket.id, replace(make_object("k", "comp"), retention=COMPLIANT)
    )
    for version_id, bypass in ((held, True), (governed, False), (compliant, True)):
        with pytest.raises(ObjectLockedError):
            catalog.delete_object_version(bucket.id, "k", version_id, NOW, bypass_governance=bypass)
        assert catalog.get_object_version(bucket.id, "k", version_id) is not None
    # A governance retention yields to a bypass; any retention ends with its date.
    assert catalog.delete_object_version(bucket.id, "k", governed, NOW, bypass_governance=True)
    assert catalog.delete_object_version(bucket.id, "k", compliant, LATER) is not None
    assert catalog.get_object(bucket.id, "k").version_id == held
    # Deleting the key hides it behind a marker; the held version stays.
    assert catalog.delete_object(bucket.id, "k", at=NOW).marker is not None
    assert version(catalog, bucket, "k", held).legal_hold


def test_a_version_lock_changes_under_the_bucket_lock(catalog: Catalog, bucket: Repo) -> None:
    older = catalog.put_object(bucket.id, make_object("k", "older"))
    newer = catalog.put_object(bucket.id, make_object("k", "newer"))
    seen: list[tuple[Retention | None, bool | None]] = []

    def lengthen(stored: BucketObject) -> tuple[Retention | None, bool | None]:
        seen.append((stored.retention, stored.legal_hold))
        return COMPLIANT, True

    changed = catalog.change_object_lock(bucket.id, "k", older, lengthen)
    assert changed is not None and changed.version_id == older
    assert (changed.retention, changed.legal_hold) == (COMPLIANT, True)
    assert (version(catalog, bucket, "k", older).retention, seen) == (COMPLIANT, [(None, None)])
    assert catalog.get_object(bucket.id, "k").retention is None  # the latest is untouched
    catalog.change_object_lock(bucket.id, "k", newer, lambda stored: (GOVERNED, False))
    assert catalog.get_object(bucket.id, "k").retention == GOVERNED

    def refuse(stored: BucketObject) -> tuple[Retention | None, bool | None]:
        raise ObjectLockedError("no")

    with pytest.raises(ObjectLockedError):
        catalog.change_object_lock(bucket.id, "k", newer, refuse)
    assert catalog.get_object(bucket.id, "k").retention == GOVERNED
    marker = catalog.delete_object(bucket.id, "k", at=NOW).marker
    assert marker is not None
    assert catalog.change_object_lock(bucket.id, "k", marker, lengthen) is None
    assert catalog.change_object_lock(bucket.id, "nothing", newer, lengthen) is None
    # A version's lock moves with it when it stops being the latest.
    assert version(catalog, bucket, "k", newer).retention == GOVERNED


def test_a_lifted_legal_hold_is_told_from_one_never_set(catalog: Catalog, bucket: Repo) -> None:
    never = catalog.put_object(bucket.id, make_object("k", "never"))
    lifted = catalog.put_object(bucket.id, replace(make_object("k", "lifted"), legal_hold=False))
    assert catalog.get_object(bucket.id, "k").legal_hold is False
    assert version(catalog, bucket, "k", never).legal_hold is None
    catalog.change_object_lock(bucket.id, "k", never, lambda stored: (None, True))
    catalog.change_object_lock(bucket.id, "k", never, lambda stored: (None, False))
    assert version(catalog, bucket, "k", never).legal_hold is False
    # Kept as the version stops being the latest.
    catalog.put_object(bucket.id, make_object("k", "newest"))
    assert version(catalog, bucket, "k", lifted).legal_hold is False
    assert catalog.get_object(bucket.id, "k").legal_hold is None


def test_a_bucket_holding_a_locked_version_is_not_deleted(
    catalog: Catalog, bucket: Repo, user: User
) -> None:
    kept = catalog.put_object(bucket.id, replace(make_object("k"), retention=GOVERNED))
    catalog.put_object(bucket.id, make_object("k", "newer"))
    with pytest.raises(ObjectLockedError):
        catalog.delete_repo(bucket.id, at=NOW)
    assert version(catalog, bucket, "k", kept).retention == GOVERNED
    assert catalog.get_object(bucket.id, "k").size == len("newer")
    catalog.delete_repo(bucket.id, at=LATER)  # once the retention ends, it may go
    with pytest.raises(RepoNotFoundError):
        catalog.get_repo(bucket.type, bucket.namespace, bucket.name)
    held = make_repo(user, name="held", type=RepoType.BUCKET)
    catalog.add_repo(held)
    catalog.put_object(held.id, replace(make_object("k"), legal_hold=True))
    with pytest.raises(ObjectLockedError):
        catalog.delete_repo(held.id, at=LATER)


def test_an_upload_keeps_the_lock_its_object_gets(
    catalog: Catalog, bucket: Repo, user: User
) -> None:
    upload = make_upload(bucket, user, retention=COMPLIANT, legal_hold=True)
    catalog.add_upload(upload)
    stored = catalog.get_upload(upload.id)
    assert (stored.retention, stored.legal_hold) == (COMPLIANT, True)
    plain = make_upload(bucket, user)
    catalog.add_upload(plain)
    assert (catalog.get_upload(plain.id).retention, catalog.get_upload(plain.id).legal_hold) == (
        None,
        None,
    )
    lifted = make_upload(bucket, user, legal_hold=False)
    catalog.add_upload(lifted)
    assert catalog.get_upload(lifted.id).legal_hold is False


def test_retention_dates_keep_their_microseconds(catalog: Catalog, bucket: Repo) -> None:
    precise = Retention(LockMode.GOVERNANCE, LATER.replace(microsecond=654321))
    written = catalog.put_object(bucket.id, replace(make_object("k"), retention=precise))
    assert version(catalog, bucket, "k", written).retention == precise
