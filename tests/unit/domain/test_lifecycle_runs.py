"""Carrying out lifecycle rules on the in-memory catalog, with a clock the tests move: current
objects expire (deleted, or hidden by a delete marker in a versioned bucket), noncurrent
versions go after their days beyond the newest ones kept, lone delete markers go, old multipart
uploads are aborted; a dry run changes nothing, a second run finds nothing, an object replaced
since it was read stays, and each change is audited. Also who may set and read the rules, and
the expiry the bucket's rules give an object."""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta

import pytest
from tests.unit.domain.conftest import Hub

from weighthouse.domain.access import ANONYMOUS, Principal
from weighthouse.domain.bucket_configurations import BucketConfigurations
from weighthouse.domain.errors import (
    InvalidLifecycleError,
    PermissionDeniedError,
    RepoNotFoundError,
    UploadNotFoundError,
)
from weighthouse.domain.lifecycle import LIFECYCLE, LifecycleFilter, LifecycleRule
from weighthouse.domain.lifecycle_runs import ABORT, EXPIRE, LifecycleReport, LifecycleRuns
from weighthouse.domain.model import MultipartUpload, RepoId, RepoType, Role
from weighthouse.domain.object_locks import ObjectLocks
from weighthouse.domain.object_versions import Versioning

pytestmark = pytest.mark.unit

BUCKET = RepoId(RepoType.BUCKET, "alice", "aging")
DAY = timedelta(days=1)


@pytest.fixture
def configurations(hub: Hub) -> BucketConfigurations:
    return BucketConfigurations(hub.catalog)


@pytest.fixture
def runs(hub: Hub) -> LifecycleRuns:
    return LifecycleRuns(hub.catalog, hub.clock, hub.audit, page=2)


@pytest.fixture
def bucket(hub: Hub, alice: Principal) -> RepoId:
    hub.repos.create(alice, BUCKET, private=True)
    return BUCKET


def rule(rule_id: str = "r", prefix: str | None = None, **fields: object) -> LifecycleRule:
    return LifecycleRule(
        id=rule_id,
        enabled=True,
        filter=LifecycleFilter(prefix=prefix),
        **fields,  # type: ignore[arg-type]
    )


def keys(hub: Hub, alice: Principal, bucket: RepoId) -> list[str]:
    return [o.key for o in hub.buckets.list(alice, bucket).objects]


def versions(hub: Hub, alice: Principal, bucket: RepoId) -> list[tuple[str, bool]]:
    """``(key, delete marker)`` of every version, in listing order."""
    return [(v.key, v.delete_marker) for v in hub.buckets.list_versions(alice, bucket).versions]


def test_objects_expire_at_the_midnight_after_their_days(
    hub: Hub,
    alice: Principal,
    bucket: RepoId,
    configurations: BucketConfigurations,
    runs: LifecycleRuns,
) -> None:
    for key in ("logs/a", "logs/b", "logs/c", "keep/a", "tmp/a"):
        hub.buckets.put(alice, bucket, key, [key.encode()])
    configurations.set_lifecycle(
        alice,
        bucket,
        [rule("logs", "logs/", expiration_days=1), rule("tmp", "tmp/", expiration_days=3)],
    )
    # Written at 12:00 on 1 December: one day ends at 00:00 on 3 December.
    assert runs.apply(datetime(2026, 12, 2, 23, 59, tzinfo=UTC)) == LifecycleReport(buckets=1)
    assert len(keys(hub, alice, bucket)) == 5
    report = runs.apply(datetime(2026, 12, 3, tzinfo=UTC))
    assert report == LifecycleReport(buckets=1, objects_expired=3)
    assert keys(hub, alice, bucket) == ["keep/a", "tmp/a"]
    assert runs.apply(datetime(2026, 12, 3, tzinfo=UTC)) == LifecycleReport(buckets=1)
    events = list(hub.audit.events(EXPIRE))
    assert sorted(e.target for e in events) == [
        "bucket:alice/aging/logs/a",
        "bucket:alice/aging/logs/b",
        "bucket:alice/aging/logs/c",
    ]
    assert {e.detail["rule"] for e in events} == {"logs"}
    assert all(e.actor is None and e.detail["what"] == "current" for e in events)


def test_a_dry_run_counts_and_changes_nothing(
    hub: Hub,
    alice: Principal,
    bucket: RepoId,
    configurations: BucketConfigurations,
    runs: LifecycleRuns,
) -> None:
    hub.buckets.put(alice, bucket, "a", [b"a"])
    configurations.set_lifecycle(alice, bucket, [rule(expiration_days=1)])
    later = hub.clock() + 3 * DAY
    assert runs.apply(later, dry_run=True) == LifecycleReport(
        buckets=1, objects_expired=1, dry_run=True
    )
    assert keys(hub, alice, bucket) == ["a"]
    assert not list(hub.audit.events(EXPIRE))


def test_filters_and_disabled_rules_decide_what_expires(
    hub: Hub,
    alice: Principal,
    bucket: RepoId,
    configurations: BucketConfigurations,
    runs: LifecycleRuns,
) -> None:
    hub.buckets.put(alice, bucket, "tagged", [b"x"], tags=[("kind", "scratch")])
    hub.buckets.put(alice, bucket, "other-tag", [b"x"], tags=[("kind", "model")])
    hub.buckets.put(alice, bucket, "big", [b"x" * 100])
    hub.buckets.put(alice, bucket, "off/a", [b"x"])
    configurations.set_lifecycle(
        alice,
        bucket,
        [
            LifecycleRule(
                id="scratch",
                enabled=True,
                filter=LifecycleFilter(tags=(("kind", "scratch"),)),
                expiration_days=1,
            ),
            LifecycleRule(
                id="big",
                enabled=True,
                filter=LifecycleFilter(size_greater_than=50),
                expiration_days=1,
            ),
            LifecycleRule(
                id="off", enabled=False, filter=LifecycleFilter(prefix="off/"), expiration_days=1
            ),
        ],
    )
    runs.apply(hub.clock() + 5 * DAY)
    assert keys(hub, alice, bucket) == ["off/a", "other-tag"]


def test_a_date_expires_everything_it_selects_once_passed(
    hub: Hub,
    alice: Principal,
    bucket: RepoId,
    configurations: BucketConfigurations,
    runs: LifecycleRuns,
) -> None:
    hub.buckets.put(alice, bucket, "past/a", [b"a"])
    hub.buckets.put(alice, bucket, "future/a", [b"a"])
    configurations.set_lifecycle(
        alice,
        bucket,
        [
            rule("past", "past/", expiration_date=datetime(2015, 1, 1, tzinfo=UTC)),
            rule("future", "future/", expiration_date=datetime(2030, 1, 1, tzinfo=UTC)),
        ],
    )
    runs.apply()
    assert keys(hub, alice, bucket) == ["future/a"]


def test_an_object_replaced_since_it_was_read_does_not_expire(
    hub: Hub,
    alice: Principal,
    bucket: RepoId,
    configurations: BucketConfigurations,
) -> None:
    hub.buckets.put(alice, bucket, "k", [b"old"])
    configurations.set_lifecycle(alice, bucket, [rule(expiration_days=1)])
    # A run that read the old object, then a writer replaced it before the run deleted it.
    catalog = hub.catalog
    replaced = False

    class Interleaved:
        def __getattr__(self, name: str) -> object:
            return getattr(catalog, name)

        def list_object_versions(self, *args: object) -> object:
            nonlocal replaced
            found = catalog.list_object_versions(*args)  # type: ignore[arg-type]
            if found and not replaced:
                replaced = True
                hub.buckets.put(alice, bucket, "k", [b"new"])
            return found

    racing = LifecycleRuns(Interleaved(), hub.clock, hub.audit)  # type: ignore[arg-type]
    report = racing.apply(hub.clock() + 3 * DAY)
    assert report.objects_expired == 1  # decided, then refused by the catalog's condition
    assert keys(hub, alice, bucket) == ["k"]
    assert not list(hub.audit.events(EXPIRE))


def test_in_a_versioned_bucket_expiry_adds_a_delete_marker(
    hub: Hub,
    alice: Principal,
    bucket: RepoId,
    configurations: BucketConfigurations,
    runs: LifecycleRuns,
) -> None:
    hub.buckets.set_versioning(alice, bucket, Versioning.ENABLED)
    hub.buckets.put(alice, bucket, "k", [b"1"])
    configurations.set_lifecycle(alice, bucket, [rule(expiration_days=1)])
    later = hub.clock() + 2 * DAY
    assert runs.apply(later).objects_expired == 1
    assert versions(hub, alice, bucket) == [("k", True), ("k", False)]
    # The marker is now the latest and the object is noncurrent: nothing more to do.
    assert runs.apply(later) == LifecycleReport(buckets=1)


def test_noncurrent_versions_go_after_their_days_beyond_the_newest_kept(
    hub: Hub,
    alice: Principal,
    bucket: RepoId,
    configurations: BucketConfigurations,
    runs: LifecycleRuns,
) -> None:
    hub.buckets.set_versioning(alice, bucket, Versioning.ENABLED)
    for n in range(5):  # one a day: the nth became noncurrent when the n+1th was written
        hub.buckets.put(alice, bucket, "k", [f"v{n}".encode()])
        hub.buckets.put(alice, bucket, "other", [f"v{n}".encode()])
        hub.clock.advance(86400)
    configurations.set_lifecycle(
        alice,
        bucket,
        [rule("k", "k", noncurrent_days=1, newer_noncurrent_versions=1)],
    )
    # v0 to v3 became noncurrent at noon on 2 to 5 December: one day each ends at midnight
    # on 4 to 7 December.
    assert runs.apply(datetime(2026, 12, 3, 23, tzinfo=UTC)).versions_removed == 0
    assert runs.apply(datetime(2026, 12, 4, tzinfo=UTC)).versions_removed == 1  # v0
    assert runs.apply(datetime(2026, 12, 6, tzinfo=UTC)).versions_removed == 2  # v1, v2
    # v3's days are over too, but it is the one newest noncurrent version kept.
    assert runs.apply(datetime(2026, 12, 30, tzinfo=UTC)).versions_removed == 0
    listed = hub.buckets.list_versions(alice, bucket, prefix="k").versions
    kept = [hub.buckets.head(alice, bucket, "k", version_id=v.version_id) for v in listed]
    assert [o.sha256 for o in kept] == [hashlib.sha256(v).hexdigest() for v in (b"v4", b"v3")]
    assert len(hub.buckets.list_versions(alice, bucket, prefix="other").versions) == 5
    assert {e.detail["what"] for e in hub.audit.events(EXPIRE)} == {"noncurrent"}


def test_a_delete_marker_alone_on_its_key_goes_when_a_rule_asks(
    hub: Hub,
    alice: Principal,
    bucket: RepoId,
    configurations: BucketConfigurations,
    runs: LifecycleRuns,
) -> None:
    hub.buckets.set_versioning(alice, bucket, Versioning.ENABLED)
    for key in ("test1/a", "test2/a"):
        hub.buckets.put(alice, bucket, key, [b"x"])
        hub.buckets.delete(alice, bucket, key)
    configurations.set_lifecycle(
        alice,
        bucket,
        [rule("m", "test1/", noncurrent_days=1, expired_object_delete_marker=True)],
    )
    later = hub.clock() + 2 * DAY
    # First the noncurrent object goes; then the marker is alone, and goes at the next run.
    assert runs.apply(later) == LifecycleReport(buckets=1, versions_removed=1)
    assert runs.apply(later) == LifecycleReport(buckets=1, delete_markers_removed=1)
    assert versions(hub, alice, bucket) == [("test2/a", True), ("test2/a", False)]


def test_incomplete_multipart_uploads_are_aborted_after_their_days(
    hub: Hub,
    alice: Principal,
    bucket: RepoId,
    configurations: BucketConfigurations,
    runs: LifecycleRuns,
) -> None:
    repo = hub.catalog.get_repo(RepoType.BUCKET, "alice", "aging")
    assert alice.user is not None
    started = {}
    for key in ("test1/a", "test1/b", "test1/c", "test2/a"):
        upload_id = secrets.token_hex(24)
        hub.catalog.add_upload(
            MultipartUpload(
                id=upload_id,
                repo_id=repo.id,
                key=key,
                initiator_id=alice.user.id,
                created_at=hub.clock(),
                content_type="text/plain",
            )
        )
        started[key] = upload_id
    configurations.set_lifecycle(alice, bucket, [rule("mpu", "test1/", abort_days=2)])
    assert runs.apply(hub.clock() + 2 * DAY).uploads_aborted == 0
    assert runs.apply(hub.clock() + 3 * DAY).uploads_aborted == 3
    for key, upload_id in started.items():
        if key.startswith("test1/"):
            with pytest.raises(UploadNotFoundError):
                hub.catalog.get_upload(upload_id)
        else:
            assert hub.catalog.get_upload(upload_id).key == key
    assert len(list(hub.audit.events(ABORT))) == 3
    assert runs.apply(hub.clock() + 3 * DAY).uploads_aborted == 0


def test_only_buckets_with_rules_are_read_and_every_one_is(
    hub: Hub, alice: Principal, configurations: BucketConfigurations, runs: LifecycleRuns
) -> None:
    for n in range(5):  # more buckets than a page of the run
        bucket = RepoId(RepoType.BUCKET, "alice", f"b{n}")
        hub.repos.create(alice, bucket, private=True)
        hub.buckets.put(alice, bucket, "k", [b"k"])
        if n != 2:
            configurations.set_lifecycle(alice, bucket, [rule(expiration_days=1)])
    report = runs.apply(hub.clock() + 3 * DAY)
    assert report == LifecycleReport(buckets=4, objects_expired=4)
    assert keys(hub, alice, RepoId(RepoType.BUCKET, "alice", "b2")) == ["k"]


def test_rules_are_set_by_admins_and_read_by_readers(
    hub: Hub,
    alice: Principal,
    bob: Principal,
    bucket: RepoId,
    configurations: BucketConfigurations,
) -> None:
    rules = [rule(expiration_days=1)]
    assert configurations.lifecycle(alice, bucket) is None
    for stranger in (bob, ANONYMOUS):
        with pytest.raises(RepoNotFoundError):
            configurations.set_lifecycle(stranger, bucket, rules)
        with pytest.raises(RepoNotFoundError):
            configurations.lifecycle(stranger, bucket)
        with pytest.raises(RepoNotFoundError):
            configurations.check_settable(stranger, bucket)
    hub.orgs.set_collaborator(alice, bucket, "bob", Role.WRITE)
    with pytest.raises(PermissionDeniedError):
        configurations.set_lifecycle(bob, bucket, rules)
    configurations.set_lifecycle(alice, bucket, rules)
    assert configurations.lifecycle(bob, bucket) == tuple(rules)
    with pytest.raises(InvalidLifecycleError):
        configurations.set_lifecycle(alice, bucket, [])
    configurations.remove(alice, bucket, LIFECYCLE)
    assert configurations.lifecycle(alice, bucket) is None


def test_an_objects_expiry_follows_the_buckets_rules(
    hub: Hub, alice: Principal, bucket: RepoId, configurations: BucketConfigurations
) -> None:
    obj = hub.buckets.put(alice, bucket, "logs/a", [b"a"])
    assert configurations.expiration(bucket, obj) is None
    configurations.set_lifecycle(alice, bucket, [rule("logs", "logs/", expiration_days=2)])
    assert configurations.expiration(bucket, obj) == (datetime(2026, 12, 4, tzinfo=UTC), "logs")
    elsewhere = hub.buckets.put(alice, bucket, "data/a", [b"a"])
    assert configurations.expiration(bucket, elsewhere) is None
    gone = RepoId(RepoType.BUCKET, "alice", "nothing")
    assert configurations.expiration(gone, obj) is None


def test_a_version_under_a_legal_hold_outlives_its_rule(
    hub: Hub,
    alice: Principal,
    bucket: RepoId,
    configurations: BucketConfigurations,
    runs: LifecycleRuns,
) -> None:
    locks = ObjectLocks(hub.catalog, hub.clock)
    hub.buckets.set_versioning(alice, bucket, Versioning.ENABLED)
    locks.configure(alice, bucket, None)
    held = hub.buckets.put(alice, bucket, "k", [b"held"])
    locks.set_legal_hold(alice, bucket, "k", held.version_id, True)
    hub.buckets.put(alice, bucket, "k", [b"free"])
    hub.buckets.put(alice, bucket, "k", [b"latest"])
    configurations.set_lifecycle(alice, bucket, [rule(noncurrent_days=1)])
    later = hub.clock() + 5 * DAY
    report = runs.apply(later)
    assert (report.versions_removed, report.locked_versions_kept) == (1, 1)
    assert [v.version_id for v in hub.buckets.list_versions(alice, bucket).versions][1:] == [
        held.version_id
    ]
    # Tried again at every run, and gone at the first after the hold is lifted.
    assert runs.apply(later).locked_versions_kept == 1
    locks.set_legal_hold(alice, bucket, "k", held.version_id, False)
    assert runs.apply(later) == LifecycleReport(buckets=1, versions_removed=1)
    assert len(hub.buckets.list_versions(alice, bucket).versions) == 1
