"""The permission service's decisions, on memberships and collaborations held in the memory
catalog: who gets which role on which repo, and what a refusal looks like."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace

import pytest
from tests.unit.domain.conftest import Hub

from weighthouse.domain.access import ANONYMOUS, Principal, repo_role, require_repo
from weighthouse.domain.access_lists import AccessLists
from weighthouse.domain.bucket_configurations import BucketConfigurations
from weighthouse.domain.bucket_policy import POLICY, PolicyRequest
from weighthouse.domain.errors import (
    AuthenticationError,
    ConflictError,
    MalformedPolicyError,
    PermissionDeniedError,
    RepoNotFoundError,
)
from weighthouse.domain.model import Repo, RepoId, RepoType, Role, Scope

pytestmark = pytest.mark.unit


@pytest.fixture
def acme(hub: Hub, alice: Principal, bob: Principal) -> dict[str, Repo]:
    """alice runs the organisation acme, where bob reads; carol collaborates on one repo."""
    hub.orgs.create(alice, "acme")
    hub.orgs.set_member(alice, "acme", "bob", Role.READ)
    hub.user("carol")
    repos = {
        name: hub.repos.create(alice, RepoId(RepoType.MODEL, "acme", name), private=private)
        for name, private in [("internal", True), ("shared", True), ("open", False)]
    }
    hub.orgs.set_collaborator(alice, RepoId(RepoType.MODEL, "acme", "shared"), "carol", Role.WRITE)
    return repos


def role(hub: Hub, principal: Principal, repo: Repo) -> Role | None:
    return repo_role(hub.catalog, principal, repo)


def test_roles_come_from_namespace_membership_collaboration_and_publicity(
    hub: Hub, alice: Principal, bob: Principal, acme: dict[str, Repo]
) -> None:
    carol = Principal(user=hub.catalog.get_user("carol"), scope=Scope.WRITE)
    stranger = hub.user("dave")
    expected = {
        "internal": (Role.ADMIN, Role.READ, None, None, None),
        "shared": (Role.ADMIN, Role.READ, Role.WRITE, None, None),
        "open": (Role.ADMIN, Role.READ, Role.READ, Role.READ, Role.READ),
    }
    for name, roles in expected.items():
        callers = (alice, bob, carol, stranger, ANONYMOUS)
        assert tuple(role(hub, c, acme[name]) for c in callers) == roles, name
    own = hub.repos.create(stranger, RepoId(RepoType.MODEL, "dave", "mine"), private=True)
    assert role(hub, stranger, own) is Role.ADMIN


def test_a_credential_narrows_the_role(hub: Hub, alice: Principal, acme: dict[str, Repo]) -> None:
    assert alice.user is not None
    read_only = Principal(user=alice.user, scope=Scope.READ)
    assert role(hub, read_only, acme["internal"]) is Role.READ
    elsewhere = replace(alice, restrict_to=("alice",))
    assert role(hub, elsewhere, acme["internal"]) is None
    assert role(hub, elsewhere, acme["open"]) is Role.READ
    one_repo = replace(alice, restrict_to=("acme/shared",))
    assert role(hub, one_repo, acme["shared"]) is Role.ADMIN
    assert role(hub, one_repo, acme["internal"]) is None


def test_site_admins_need_an_admin_scoped_credential(hub: Hub, acme: dict[str, Repo]) -> None:
    admin = hub.user("root", is_admin=True, scope=Scope.ADMIN)
    assert role(hub, admin, acme["internal"]) is Role.ADMIN
    assert role(hub, replace(admin, scope=Scope.WRITE), acme["internal"]) is None


def test_refusals_hide_private_repos_and_tell_who_must_sign_in(
    hub: Hub, bob: Principal, acme: dict[str, Repo]
) -> None:
    stranger = hub.user("dave")
    with pytest.raises(RepoNotFoundError):
        require_repo(hub.catalog, stranger, acme["internal"], Role.READ)
    with pytest.raises(RepoNotFoundError):
        require_repo(hub.catalog, ANONYMOUS, acme["internal"], Role.READ)
    with pytest.raises(AuthenticationError):
        require_repo(hub.catalog, ANONYMOUS, acme["open"], Role.WRITE)
    with pytest.raises(PermissionDeniedError):
        require_repo(hub.catalog, bob, acme["internal"], Role.WRITE)
    assert require_repo(hub.catalog, bob, acme["internal"], Role.READ) is Role.READ


def test_removing_a_member_or_collaborator_ends_access_at_the_next_check(
    hub: Hub, alice: Principal, bob: Principal, acme: dict[str, Repo]
) -> None:
    carol = Principal(user=hub.catalog.get_user("carol"), scope=Scope.WRITE)
    hub.orgs.remove_member(alice, "acme", "bob")
    assert role(hub, bob, acme["internal"]) is None
    hub.orgs.remove_collaborator(alice, RepoId(RepoType.MODEL, "acme", "shared"), "carol")
    assert role(hub, carol, acme["shared"]) is None
    with pytest.raises(RepoNotFoundError):
        hub.repos.get(carol, RepoId(RepoType.MODEL, "acme", "shared"))


def test_an_org_keeps_at_least_one_admin(hub: Hub, alice: Principal, acme: dict[str, Repo]) -> None:
    with pytest.raises(ConflictError, match="no admin left"):
        hub.orgs.remove_member(alice, "acme", "alice")
    hub.orgs.set_member(alice, "acme", "bob", Role.ADMIN)
    hub.orgs.remove_member(alice, "acme", "alice")
    assert role(hub, alice, acme["internal"]) is None


# Bucket policies, asked through the use cases every front-end calls.

DATA = RepoId(RepoType.BUCKET, "alice", "data")
OBJECTS_ARN = "arn:aws:s3:::alice--data/*"
BUCKET_ARN = "arn:aws:s3:::alice--data"


def asking(principal: Principal, action: str, key: str | None = None, **facts: str) -> Principal:
    return replace(
        principal, request=PolicyRequest(action, key, {k: (v,) for k, v in facts.items()})
    )


def set_policy(hub: Hub, owner: Principal, *statements: dict[str, object]) -> None:
    configurations = BucketConfigurations(hub.catalog)
    document = json.dumps({"Version": "2012-10-17", "Statement": list(statements)})
    configurations.set_policy(asking(owner, "s3:PutBucketPolicy"), DATA, document)


@pytest.fixture
def data(hub: Hub, alice: Principal) -> RepoId:
    hub.repos.create(alice, DATA, private=True)
    hub.buckets.put(alice, DATA, "k", [b"bytes"], tags=[("security", "public")])
    hub.buckets.put(alice, DATA, "secret", [b"bytes"], tags=[("security", "private")])
    return DATA


def outcome(call: Callable[[], object]) -> str:
    try:
        call()
    except RepoNotFoundError:
        return "404"
    except (PermissionDeniedError, AuthenticationError):
        return "403"
    return "ok"


def test_a_policy_allow_grants_what_the_core_would_not(
    hub: Hub, alice: Principal, bob: Principal, data: RepoId
) -> None:
    get = lambda who, key="k": outcome(  # noqa: E731
        lambda: hub.buckets.head(asking(who, "s3:GetObject", key), data, key)
    )
    assert (get(bob), get(ANONYMOUS)) == ("404", "404")
    set_policy(
        hub,
        alice,
        {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": OBJECTS_ARN},
        {"Effect": "Allow", "Principal": {"AWS": bob.viewer_id}, "Action": "s3:PutObject",
         "Resource": OBJECTS_ARN},
    )  # fmt: skip
    assert (get(bob), get(ANONYMOUS)) == ("ok", "ok")
    put = asking(bob, "s3:PutObject", "new")
    hub.buckets.put(put, data, "new", [b"from bob"])
    # What the policy does not grant is refused, not hidden: the bucket exists for them.
    listing = asking(bob, "s3:ListBucket")
    assert outcome(lambda: hub.buckets.list(listing, data)) == "403"
    assert (
        outcome(lambda: hub.buckets.delete(asking(bob, "s3:DeleteObject", "k"), data, "k")) == "403"
    )
    # A read-scoped credential still only reads, whatever the policy grants.
    assert bob.user is not None
    reader = Principal(user=bob.user, scope=Scope.READ)
    assert (
        outcome(lambda: hub.buckets.put(asking(reader, "s3:PutObject", "x"), data, "x", [b""]))
        == "403"
    )


def test_an_explicit_deny_wins_over_the_owner_except_for_the_policy_itself(
    hub: Hub, alice: Principal, bob: Principal, data: RepoId
) -> None:
    set_policy(
        hub,
        alice,
        {"Effect": "Deny", "Principal": "*", "Action": "s3:*",
         "Resource": [OBJECTS_ARN, BUCKET_ARN]},
        {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": OBJECTS_ARN},
    )  # fmt: skip
    assert outcome(lambda: hub.buckets.head(asking(alice, "s3:GetObject", "k"), data, "k")) == "403"
    assert outcome(lambda: hub.buckets.head(asking(bob, "s3:GetObject", "k"), data, "k")) == "403"
    configurations = BucketConfigurations(hub.catalog)
    assert configurations.policy(asking(alice, "s3:GetBucketPolicy"), data) is not None
    configurations.remove(asking(alice, "s3:DeleteBucketPolicy"), data, POLICY)
    assert outcome(lambda: hub.buckets.head(asking(alice, "s3:GetObject", "k"), data, "k")) == "ok"


def test_a_deny_on_a_bucket_the_caller_cannot_see_keeps_it_hidden(
    hub: Hub, alice: Principal, bob: Principal, data: RepoId
) -> None:
    set_policy(
        hub,
        alice,
        {"Effect": "Deny", "Principal": {"AWS": bob.viewer_id}, "Action": "s3:ListBucket",
         "Resource": BUCKET_ARN},
    )  # fmt: skip
    assert outcome(lambda: hub.buckets.list(asking(bob, "s3:ListBucket"), data)) == "404"
    assert outcome(lambda: hub.buckets.list(asking(alice, "s3:ListBucket"), data)) == "ok"


def test_conditions_see_the_request_facts_and_the_stored_tags(
    hub: Hub, alice: Principal, bob: Principal, data: RepoId
) -> None:
    set_policy(
        hub,
        alice,
        {"Effect": "Allow", "Principal": "*", "Action": ["s3:GetObject", "s3:GetObjectTagging"],
         "Resource": OBJECTS_ARN,
         "Condition": {"StringEquals": {"s3:ExistingObjectTag/security": "public"}}},
        {"Effect": "Deny", "Principal": "*", "Action": "s3:GetObject", "Resource": OBJECTS_ARN,
         "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
    )  # fmt: skip
    secure = {"aws:securetransport": "true"}
    get = lambda key, **facts: outcome(  # noqa: E731
        lambda: hub.buckets.head(asking(bob, "s3:GetObject", key, **facts), data, key)
    )
    assert get("k", **secure) == "ok"
    assert get("secret", **secure) == "403"
    assert get("k", **{"aws:securetransport": "false"}) == "403"
    tagging = asking(bob, "s3:GetObjectTagging", "k")
    hub.buckets.head(tagging, data, "k")  # through the object read of the tagging call


def test_a_call_that_does_not_say_what_it_does_meets_every_deny_that_could_apply(
    hub: Hub, alice: Principal, data: RepoId
) -> None:
    set_policy(
        hub,
        alice,
        {"Effect": "Deny", "Principal": "*", "Action": "s3:DeleteObject", "Resource": OBJECTS_ARN,
         "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
        {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": OBJECTS_ARN},
    )  # fmt: skip
    assert outcome(lambda: hub.buckets.delete(alice, data, "k")) == "403"
    assert outcome(lambda: hub.buckets.head(alice, data, "k")) == "ok"
    # Nor does it get what an Allow grants, though the Allow shows it the bucket.
    assert outcome(lambda: hub.buckets.head(ANONYMOUS, data, "k")) == "403"


def test_only_admins_read_set_and_remove_a_policy_and_bad_ones_are_refused(
    hub: Hub, alice: Principal, bob: Principal, data: RepoId
) -> None:
    hub.orgs.set_collaborator(alice, data, "bob", Role.WRITE)
    configurations = BucketConfigurations(hub.catalog)
    assert configurations.policy(alice, data) is None
    assert outcome(lambda: configurations.policy(bob, data)) == "403"
    allow = {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": OBJECTS_ARN}
    text = json.dumps({"Statement": allow})
    assert outcome(lambda: configurations.set_policy(bob, data, text)) == "403"
    configurations.set_policy(alice, data, text)
    assert configurations.policy(alice, data) == text
    assert configurations.policy_is_public(alice, data)
    with pytest.raises(MalformedPolicyError, match="invalid resource"):
        configurations.set_policy(alice, data, text.replace("alice--data", "alice--other"))
    assert configurations.policy(alice, data) == text


def test_a_stored_policy_that_cannot_be_read_fails_closed_but_the_owner_can_mend_it(
    hub: Hub, alice: Principal, data: RepoId
) -> None:
    bucket = hub.catalog.get_repo(data.type, data.namespace, data.name)
    hub.catalog.put_bucket_configuration(bucket.id, POLICY, {"text": '{"Statement": 1}'})
    assert outcome(lambda: hub.buckets.head(asking(alice, "s3:GetObject", "k"), data, "k")) == "403"
    configurations = BucketConfigurations(hub.catalog)
    assert configurations.policy(asking(alice, "s3:GetBucketPolicy"), data) == '{"Statement": 1}'
    configurations.remove(asking(alice, "s3:DeleteBucketPolicy"), data, POLICY)
    assert outcome(lambda: hub.buckets.head(asking(alice, "s3:GetObject", "k"), data, "k")) == "ok"


def test_an_allow_never_hands_over_the_buckets_settings(
    hub: Hub, alice: Principal, bob: Principal, data: RepoId
) -> None:
    set_policy(
        hub,
        alice,
        {"Effect": "Allow", "Principal": "*", "Action": "*",
         "Resource": [OBJECTS_ARN, BUCKET_ARN]},
    )  # fmt: skip
    configurations = BucketConfigurations(hub.catalog)
    text = json.dumps({"Statement": {"Effect": "Deny", "Principal": "*", "Action": "s3:*",
                                     "Resource": OBJECTS_ARN}})  # fmt: skip
    put = asking(bob, "s3:PutBucketPolicy")
    assert outcome(lambda: configurations.set_policy(put, data, text)) == "403"
    assert outcome(lambda: configurations.policy(asking(bob, "s3:GetBucketPolicy"), data)) == "403"
    assert outcome(lambda: hub.repos.delete(asking(bob, "s3:DeleteBucket"), data)) == "403"
    hub.buckets.put(asking(bob, "s3:PutObject", "from-bob"), data, "from-bob", [b"ok"])


def test_acl_grants_and_a_policy_decide_together(
    hub: Hub, alice: Principal, bob: Principal, data: RepoId
) -> None:
    lists = AccessLists(hub.catalog, hub.clock, hub.audit)
    lists.set_bucket_acl(alice, data, canned="authenticated-read")
    listing = asking(bob, "s3:ListBucket")
    assert outcome(lambda: hub.buckets.list(listing, data)) == "ok"
    # An Allow for something else does not hide what the ACL grants.
    set_policy(
        hub,
        alice,
        {"Effect": "Allow", "Principal": {"AWS": bob.viewer_id}, "Action": "s3:PutObject",
         "Resource": OBJECTS_ARN},
    )  # fmt: skip
    assert outcome(lambda: hub.buckets.list(listing, data)) == "ok"
    # A Deny of what the ACL grants is refused, not hidden: the ACL shows bob the bucket.
    set_policy(
        hub,
        alice,
        {"Effect": "Deny", "Principal": "*", "Action": "s3:ListBucket", "Resource": BUCKET_ARN},
    )
    assert outcome(lambda: hub.buckets.list(listing, data)) == "403"
    assert outcome(lambda: hub.buckets.list(asking(ANONYMOUS, "s3:ListBucket"), data)) == "404"
