"""Object lock use cases on the in-memory catalog: who may configure a bucket's lock and change
a version's, bypassing a governance retention (owner, policy grant, policy deny), and the paths
that must not remove a locked version: by id, with its bucket, or by overwriting it."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta

import pytest
from tests.unit.domain.conftest import Hub

from weighthouse.domain.access import ANONYMOUS, GET_LEGAL_HOLD, GET_RETENTION, Principal
from weighthouse.domain.access_lists import AccessLists
from weighthouse.domain.bucket_configurations import BucketConfigurations
from weighthouse.domain.bucket_policy import PolicyRequest
from weighthouse.domain.errors import (
    AuthenticationError,
    DeleteMarkerError,
    IntegrityCheckRequiredError,
    InvalidBucketStateError,
    InvalidInputError,
    ObjectLockedError,
    ObjectLockNotEnabledError,
    PermissionDeniedError,
    RepoNotFoundError,
    VersionNotFoundError,
)
from weighthouse.domain.model import RepoId, RepoType, Role
from weighthouse.domain.object_lock import DefaultRetention, LockMode, Retention
from weighthouse.domain.object_versions import Versioning

pytestmark = pytest.mark.unit

VAULT = RepoId(RepoType.BUCKET, "alice", "vault")
PLAIN = RepoId(RepoType.BUCKET, "alice", "plain")


@pytest.fixture
def vault(hub: Hub, alice: Principal) -> RepoId:
    hub.repos.create(alice, VAULT, private=True)
    hub.object_locks.configure(alice, VAULT, None, enable_versioning=True)
    return VAULT


def retention(hub: Hub, days: float, mode: LockMode = LockMode.GOVERNANCE) -> Retention:
    return Retention(mode, hub.clock() + timedelta(days=days))


def asking(principal: Principal, action: str, key: str | None = None) -> Principal:
    return replace(principal, request=PolicyRequest(action, key))


def set_policy(hub: Hub, owner: Principal, bucket: RepoId, user: Principal, *actions: str) -> None:
    assert user.user is not None
    statement = {
        "Effect": "Allow",
        "Principal": {"AWS": [user.user.id]},
        "Action": list(actions),
        "Resource": [f"arn:aws:s3:::alice--{bucket.name}/*"],
    }
    document = json.dumps({"Version": "2012-10-17", "Statement": [statement]})
    BucketConfigurations(hub.catalog).set_policy(
        asking(owner, "s3:PutBucketPolicy"), bucket, document
    )


def test_configuring_object_lock_is_for_admins_and_needs_versioning(
    hub: Hub, alice: Principal, bob: Principal
) -> None:
    hub.repos.create(alice, PLAIN, private=False)
    assert hub.object_locks.configuration(bob, PLAIN) is None
    rule = DefaultRetention(LockMode.GOVERNANCE, days=1)
    with pytest.raises(InvalidBucketStateError):
        hub.object_locks.configure(alice, PLAIN, rule)
    hub.orgs.set_collaborator(alice, PLAIN, "bob", Role.WRITE)
    with pytest.raises(PermissionDeniedError):
        hub.object_locks.configure(bob, PLAIN, rule, enable_versioning=True)
    with pytest.raises(AuthenticationError):
        hub.object_locks.configure(ANONYMOUS, PLAIN, rule, enable_versioning=True)
    hub.buckets.set_versioning(alice, PLAIN, Versioning.ENABLED)
    hub.object_locks.configure(alice, PLAIN, rule)
    configuration = hub.object_locks.configuration(bob, PLAIN)
    assert configuration is not None and configuration.rule == rule
    with pytest.raises(InvalidBucketStateError):
        hub.buckets.set_versioning(alice, PLAIN, Versioning.SUSPENDED)


def test_locks_need_a_bucket_with_object_lock_and_a_future_date(hub: Hub, alice: Principal) -> None:
    hub.repos.create(alice, PLAIN, private=True)
    hub.buckets.put(alice, PLAIN, "k", [b"x"])
    with pytest.raises(ObjectLockNotEnabledError):
        hub.buckets.put(alice, PLAIN, "k", [b"y"], legal_hold=True)
    with pytest.raises(ObjectLockNotEnabledError):
        hub.object_locks.set_legal_hold(alice, PLAIN, "k", None, True)
    with pytest.raises(ObjectLockNotEnabledError):
        hub.object_locks.version(alice, PLAIN, "k", None, GET_RETENTION)
    hub.buckets.set_versioning(alice, PLAIN, Versioning.ENABLED)
    hub.object_locks.configure(alice, PLAIN, None)
    with pytest.raises(InvalidInputError):
        hub.buckets.put(alice, PLAIN, "k", [b"y"], retention=retention(hub, -1))
    with pytest.raises(InvalidInputError):
        hub.object_locks.set_retention(alice, PLAIN, "k", None, retention(hub, 0))
    assert hub.object_locks.version(alice, PLAIN, "k", None, GET_RETENTION).retention is None


def test_a_version_lock_is_read_by_readers_and_changed_by_writers(
    hub: Hub, alice: Principal, bob: Principal, vault: RepoId
) -> None:
    stored = hub.buckets.put(alice, vault, "k", [b"x"])
    for stranger in (bob, ANONYMOUS):
        with pytest.raises(RepoNotFoundError):
            hub.object_locks.version(stranger, vault, "k", None, GET_RETENTION)
        with pytest.raises(RepoNotFoundError):
            hub.object_locks.set_legal_hold(stranger, vault, "k", None, True)
    hub.orgs.set_collaborator(alice, vault, "bob", Role.READ)
    assert (
        hub.object_locks.version(bob, vault, "k", stored.version_id, GET_LEGAL_HOLD).legal_hold
        is None
    )
    with pytest.raises(PermissionDeniedError):
        hub.object_locks.set_legal_hold(bob, vault, "k", None, True)
    hub.orgs.set_collaborator(alice, vault, "bob", Role.WRITE)
    hub.object_locks.set_legal_hold(bob, vault, "k", None, True)
    assert hub.object_locks.version(alice, vault, "k", None, GET_LEGAL_HOLD).legal_hold is True
    with pytest.raises(VersionNotFoundError):
        hub.object_locks.set_legal_hold(alice, vault, "k", "0" * 32, False)
    marker = hub.buckets.delete(alice, vault, "k").marker
    assert marker is not None
    with pytest.raises(DeleteMarkerError):
        hub.object_locks.set_legal_hold(alice, vault, "k", marker, False)


def test_only_who_may_bypass_lifts_a_governance_retention(
    hub: Hub, alice: Principal, bob: Principal, vault: RepoId
) -> None:
    hub.orgs.set_collaborator(alice, vault, "bob", Role.WRITE)
    kept = retention(hub, 10)
    version = hub.buckets.put(alice, vault, "k", [b"x"], retention=kept).version_id
    shorter = retention(hub, 1)
    for attempt in (
        lambda: hub.object_locks.set_retention(
            bob, vault, "k", None, shorter, bypass_governance=True
        ),
        lambda: hub.buckets.delete_version(bob, vault, "k", version, bypass_governance=True),
        lambda: hub.buckets.delete_version(alice, vault, "k", version),
        lambda: hub.object_locks.set_retention(alice, vault, "k", version, None),
    ):
        with pytest.raises(ObjectLockedError):
            attempt()
    assert hub.object_locks.version(alice, vault, "k", version, GET_RETENTION).retention == kept
    # A policy granting the bypass lets a writer use it.
    set_policy(hub, alice, vault, bob, "s3:BypassGovernanceRetention")
    hub.object_locks.set_retention(
        asking(bob, "s3:PutObjectRetention", "k"),
        vault,
        "k",
        None,
        shorter,
        bypass_governance=True,
    )
    assert hub.object_locks.version(alice, vault, "k", None, GET_RETENTION).retention == shorter
    # The owner may bypass without any policy; once the date passes, anyone who may write may.
    hub.buckets.delete_version(alice, vault, "k", version, bypass_governance=True)
    again = hub.buckets.put(alice, vault, "k", [b"y"], retention=retention(hub, 1))
    hub.clock.advance(timedelta(days=1, seconds=1).total_seconds())
    assert hub.buckets.delete_version(bob, vault, "k", again.version_id) is not None


def test_a_policy_deny_of_the_bypass_holds_for_the_owner_too(
    hub: Hub, alice: Principal, vault: RepoId
) -> None:
    version = hub.buckets.put(alice, vault, "k", [b"x"], retention=retention(hub, 1)).version_id
    assert alice.user is not None
    statement = {
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:BypassGovernanceRetention",
        "Resource": f"arn:aws:s3:::alice--{vault.name}/*",
    }
    document = json.dumps({"Version": "2012-10-17", "Statement": [statement]})
    BucketConfigurations(hub.catalog).set_policy(
        asking(alice, "s3:PutBucketPolicy"), vault, document
    )
    deleting = asking(alice, "s3:DeleteObjectVersion", "k")
    with pytest.raises(ObjectLockedError):
        hub.buckets.delete_version(deleting, vault, "k", version, bypass_governance=True)


def test_compliance_and_legal_holds_keep_versions_from_every_path(
    hub: Hub, alice: Principal, vault: RepoId
) -> None:
    compliant = retention(hub, 1, LockMode.COMPLIANCE)
    first = hub.buckets.put(alice, vault, "k", [b"one"], retention=compliant)
    second = hub.buckets.put(alice, vault, "k", [b"two"], legal_hold=True)
    for version in (first.version_id, second.version_id):
        with pytest.raises(ObjectLockedError):
            hub.buckets.delete_version(alice, vault, "k", version, bypass_governance=True)
    with pytest.raises(ObjectLockedError):
        hub.object_locks.set_retention(
            alice, vault, "k", first.version_id, retention(hub, 0.5), bypass_governance=True
        )
    # A new write and a deletion without an id add versions; none replaces a locked one.
    hub.buckets.put(alice, vault, "k", [b"three"])
    assert hub.buckets.delete(alice, vault, "k").marker is not None
    with pytest.raises(ObjectLockedError):
        hub.repos.delete(alice, vault)
    assert hub.buckets.head(alice, vault, "k", version_id=first.version_id).size == 3
    hub.object_locks.set_legal_hold(alice, vault, "k", second.version_id, False)
    hub.clock.advance(timedelta(days=1, seconds=1).total_seconds())
    hub.repos.delete(alice, vault)
    with pytest.raises(RepoNotFoundError):
        hub.object_locks.configuration(alice, vault)


def test_a_lock_is_read_only_with_its_own_permission_never_by_an_acl(
    hub: Hub, alice: Principal, bob: Principal, vault: RepoId
) -> None:
    stored = hub.buckets.put(
        alice, vault, "k", [b"x"], retention=retention(hub, 2), legal_hold=True
    )
    assert hub.object_locks.readable(alice, vault, stored) == (stored.retention, True)
    # An ACL lets every signed-in user read the object, not its lock.
    AccessLists(hub.catalog, hub.clock, hub.audit).set_bucket_acl(
        alice, vault, canned="authenticated-read"
    )
    get = asking(bob, "s3:GetObject", "k")
    obj, _ = hub.buckets.download(get, vault, "k")
    assert hub.object_locks.readable(get, vault, obj) == (None, None)
    for action in (GET_RETENTION, GET_LEGAL_HOLD):
        with pytest.raises(PermissionDeniedError):
            hub.object_locks.version(asking(bob, action, "k"), vault, "k", None, action)
    # Nor does a policy granting only reads; one granting s3:GetObjectRetention shows that.
    set_policy(hub, alice, vault, bob, "s3:GetObject")
    assert hub.object_locks.readable(get, vault, obj) == (None, None)
    set_policy(hub, alice, vault, bob, "s3:GetObject", "s3:GetObjectRetention")
    assert hub.object_locks.readable(get, vault, obj) == (stored.retention, None)
    retained = asking(bob, GET_RETENTION, "k")
    assert hub.object_locks.version(retained, vault, "k", None, GET_RETENTION) == obj
    # A stranger sees no bucket; a collaborator of its own reads both.
    with pytest.raises(RepoNotFoundError):
        hub.object_locks.version(ANONYMOUS, vault, "k", None, GET_RETENTION)
    hub.orgs.set_collaborator(alice, vault, "bob", Role.READ)
    assert hub.object_locks.readable(bob, vault, obj) == (stored.retention, True)


def test_a_locked_write_needs_a_digest_of_its_bytes(
    hub: Hub, alice: Principal, vault: RepoId
) -> None:
    put = hub.buckets.put
    put(alice, vault, "k", [b"x"], integrity_checked=False)  # no lock: none needed
    for hold in (True, False):
        with pytest.raises(IntegrityCheckRequiredError):
            put(alice, vault, "k", [b"x"], legal_hold=hold, integrity_checked=False)
    with pytest.raises(IntegrityCheckRequiredError):
        put(alice, vault, "k", [b"x"], retention=retention(hub, 1), integrity_checked=False)
    # The bucket's default retention locks every new version.
    hub.object_locks.configure(alice, vault, DefaultRetention(LockMode.GOVERNANCE, days=1))
    with pytest.raises(IntegrityCheckRequiredError):
        put(alice, vault, "k", [b"x"], integrity_checked=False)
    put(alice, vault, "k", [b"x"])
    assert hub.object_locks.version(alice, vault, "k", None, GET_RETENTION).retention is not None
