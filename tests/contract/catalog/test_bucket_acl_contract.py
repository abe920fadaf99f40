"""Bucket ACLs on every catalog: a replacement lands in the bucket's visibility, its
collaborators and its stored grants together, reads back as given, and goes with the
bucket."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from tests.contract.catalog.samples import make_repo, make_user

from weighthouse.domain.access import Principal
from weighthouse.domain.access_lists import AccessLists
from weighthouse.domain.acls import ALL_USERS, AUTHENTICATED_USERS, Grant, Grantee, Permission
from weighthouse.domain.audit import Audit
from weighthouse.domain.catalog import Catalog
from weighthouse.domain.model import Repo, RepoId, RepoType, Role, Scope, User

pytestmark = pytest.mark.contract

NOW = datetime(2026, 12, 5, 10, 0, tzinfo=UTC)


def clock() -> datetime:
    return NOW


@pytest.fixture
def bucket(catalog: Catalog, user: User) -> Repo:
    stored = make_repo(user, name="data", type=RepoType.BUCKET, private=True)
    catalog.add_repo(stored)
    return stored


def test_an_acl_is_kept_in_visibility_roles_and_stored_grants(
    catalog: Catalog, user: User, bucket: Repo
) -> None:
    bob, carol = make_user("bob"), make_user("carol")
    catalog.add_user(bob)
    catalog.add_user(carol)
    lists = AccessLists(catalog, clock, Audit(catalog, clock))
    owner = Principal(user=user, scope=Scope.WRITE)
    bucket_id = RepoId(RepoType.BUCKET, bucket.namespace, bucket.name)
    given = (
        Grant(ALL_USERS, Permission.READ),
        Grant(AUTHENTICATED_USERS, Permission.READ_ACP),
        Grant(Grantee.user(user.id), Permission.FULL_CONTROL),
        Grant(Grantee.user(bob.id), Permission.READ),
        Grant(Grantee.user(bob.id), Permission.WRITE),
        Grant(Grantee.user(carol.id), Permission.WRITE_ACP),
    )
    lists.set_bucket_acl(owner, bucket_id, given)
    assert not catalog.get_repo(RepoType.BUCKET, bucket.namespace, bucket.name).private
    assert catalog.collaborator_role(bucket.id, bob.id) is Role.WRITE
    assert catalog.collaborator_role(bucket.id, carol.id) is None
    assert catalog.get_bucket_configuration(bucket.id, "acl") == {
        "grants": [
            ["authenticated", "", "READ_ACP"],
            ["user", user.id, "FULL_CONTROL"],
            ["user", carol.id, "WRITE_ACP"],
        ]
    }
    view = lists.bucket_acl(owner, bucket_id)
    assert set(view.grants) == set(given)
    assert len(view.grants) == len(given)
    assert view.names == {user.id: "alice", bob.id: "bob", carol.id: "carol"}

    lists.set_bucket_acl(owner, bucket_id, canned="private")
    assert catalog.get_repo(RepoType.BUCKET, bucket.namespace, bucket.name).private
    assert catalog.list_collaborators(bucket.id) == []
    assert lists.bucket_acl(owner, bucket_id).grants == (
        Grant(Grantee.user(user.id), Permission.FULL_CONTROL),
    )


def test_an_acl_goes_with_its_bucket(catalog: Catalog, user: User, bucket: Repo) -> None:
    bob = make_user("bob")
    catalog.add_user(bob)
    lists = AccessLists(catalog, clock, Audit(catalog, clock))
    owner = Principal(user=user, scope=Scope.WRITE)
    bucket_id = RepoId(RepoType.BUCKET, bucket.namespace, bucket.name)
    lists.set_bucket_acl(owner, bucket_id, [Grant(Grantee.user(bob.id), Permission.READ_ACP)])
    catalog.delete_repo(bucket.id)
    assert catalog.get_bucket_configuration(bucket.id, "acl") is None
    # A new bucket of the same name starts from the default, not the old grants.
    again = make_repo(user, name="data", type=RepoType.BUCKET, private=True)
    catalog.add_repo(again)
    assert lists.bucket_acl(owner, bucket_id).grants == (
        Grant(Grantee.user(user.id), Permission.FULL_CONTROL),
    )
