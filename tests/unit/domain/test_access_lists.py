"""Bucket and object ACLs on the in-memory catalog: what a replacement stores where, what the
permission service then allows each caller (for an object version, by that version's ACL),
and what a caller without rights gets."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import pytest
from tests.unit.domain.conftest import Hub

from weighthouse.domain.access import ANONYMOUS, Principal
from weighthouse.domain.access_lists import AccessLists
from weighthouse.domain.acls import (
    ALL_USERS,
    AUTHENTICATED_USERS,
    AclRequest,
    Grant,
    Grantee,
    Permission,
)
from weighthouse.domain.errors import (
    AclOwnerMismatchError,
    AuthenticationError,
    ConflictError,
    DeleteMarkerError,
    EntryNotFoundError,
    InvalidAclError,
    InvalidGranteeError,
    InvalidInputError,
    PermissionDeniedError,
    RepoNotFoundError,
    VersionNotFoundError,
)
from weighthouse.domain.model import NULL_VERSION, RepoId, RepoType, Role, Scope
from weighthouse.domain.object_versions import Versioning

pytestmark = pytest.mark.unit

BUCKET = RepoId(RepoType.BUCKET, "alice", "data")
R, W, RA, WA, FC = (
    Permission.READ,
    Permission.WRITE,
    Permission.READ_ACP,
    Permission.WRITE_ACP,
    Permission.FULL_CONTROL,
)


@pytest.fixture
def lists(hub: Hub) -> AccessLists:
    return AccessLists(hub.catalog, hub.clock, hub.audit)


@pytest.fixture
def bucket(hub: Hub, alice: Principal) -> RepoId:
    hub.repos.create(alice, BUCKET, private=True)
    hub.buckets.put(alice, BUCKET, "k", [b"x"])
    return BUCKET


def user_grant(principal: Principal, permission: Permission) -> Grant:
    assert principal.user is not None
    return Grant(Grantee.user(principal.user.id), permission)


def outcome(action: Callable[[], object]) -> str:
    try:
        action()
    except RepoNotFoundError:
        return "404"
    except (AuthenticationError, PermissionDeniedError):
        return "403"
    return "ok"


def test_the_default_acl_is_the_owners_full_control(
    hub: Hub, lists: AccessLists, alice: Principal, bucket: RepoId
) -> None:
    view = lists.bucket_acl(alice, bucket)
    assert alice.user is not None
    assert (view.owner_id, view.owner_name) == (alice.user.id, "alice")
    assert view.grants == (user_grant(alice, FC),)
    assert view.names == {alice.user.id: "alice"}


def test_public_read_is_the_buckets_visibility_both_ways(
    hub: Hub, lists: AccessLists, alice: Principal, bucket: RepoId
) -> None:
    lists.set_bucket_acl(alice, bucket, canned="public-read")
    assert not hub.repos.get(ANONYMOUS, bucket).private
    assert hub.buckets.list(ANONYMOUS, bucket).objects
    # Made private through the REST API's use case: the ACL says so at once.
    hub.repos.update(alice, bucket, private=True)
    assert lists.bucket_acl(alice, bucket).grants == (user_grant(alice, FC),)
    hub.repos.update(alice, bucket, private=False)
    assert lists.bucket_acl(alice, bucket).grants == (
        Grant(ALL_USERS, R),
        user_grant(alice, FC),
    )
    lists.set_bucket_acl(alice, bucket, canned="private")
    assert outcome(lambda: hub.buckets.list(ANONYMOUS, bucket)) == "404"
    assert [e.detail for e in hub.audit.events("repo.visibility")][:2] == [
        {"private": "true"},
        {"private": "false"},
    ]


def test_a_read_or_write_grant_is_a_collaborator_role(
    hub: Hub, lists: AccessLists, alice: Principal, bob: Principal, bucket: RepoId
) -> None:
    owner = user_grant(alice, FC)
    lists.set_bucket_acl(alice, bucket, [owner, user_grant(bob, R), user_grant(bob, W)])
    repo_id = hub.repos.get(alice, bucket).id
    members = hub.catalog.list_collaborators(repo_id)
    assert [(m.user_name, m.role) for m in members] == [("bob", Role.WRITE)]
    assert alice.user is not None
    # Only what no role states is stored: here the owner's own grant.
    assert hub.catalog.get_bucket_configuration(repo_id, "acl") == {
        "grants": [["user", alice.user.id, "FULL_CONTROL"]]
    }
    # Given a role through the REST API's use case, the ACL states it.
    hub.orgs.set_collaborator(alice, bucket, "bob", Role.READ)
    assert lists.bucket_acl(alice, bucket).grants == (owner, user_grant(bob, R))
    # Replacing the ACL removes collaborators it no longer names.
    lists.set_bucket_acl(alice, bucket, [owner])
    assert hub.catalog.list_collaborators(repo_id) == []
    assert outcome(lambda: hub.buckets.list(bob, bucket)) == "404"


# What a grant to bob lets him do: list, put, read the ACL, write the ACL.
ACTIONS = ("list", "put", "read_acp", "write_acp")


@pytest.mark.parametrize(
    ("permissions", "expected"),
    [
        ([R], ("ok", "403", "403", "403")),
        ([W], ("403", "ok", "403", "403")),
        ([RA], ("403", "403", "ok", "403")),
        ([WA], ("403", "403", "403", "ok")),
        ([FC], ("ok", "ok", "ok", "ok")),
        ([R, W], ("ok", "ok", "403", "403")),
        ([], ("404", "404", "404", "404")),
    ],
)
def test_each_permission_allows_its_own_operations(
    hub: Hub,
    lists: AccessLists,
    alice: Principal,
    bob: Principal,
    bucket: RepoId,
    permissions: list[Permission],
    expected: tuple[str, ...],
) -> None:
    grants = [user_grant(alice, FC), *(user_grant(bob, p) for p in permissions)]
    lists.set_bucket_acl(alice, bucket, grants)
    actions = {
        "list": lambda: hub.buckets.list(bob, bucket),
        "put": lambda: hub.buckets.put(bob, bucket, "by-bob", [b"y"]),
        "read_acp": lambda: lists.bucket_acl(bob, bucket),
        "write_acp": lambda: lists.set_bucket_acl(bob, bucket, grants),
    }
    assert tuple(outcome(actions[name]) for name in ACTIONS) == expected


def test_the_owner_keeps_full_control_with_no_grants_at_all(
    hub: Hub, lists: AccessLists, alice: Principal, bucket: RepoId
) -> None:
    lists.set_bucket_acl(alice, bucket, [])
    assert lists.bucket_acl(alice, bucket).grants == ()
    hub.buckets.put(alice, bucket, "still", [b"mine"])
    lists.set_bucket_acl(alice, bucket, canned="private")


@pytest.mark.parametrize(
    ("grant", "caller", "lists_ok", "puts_ok"),
    [
        (Grant(AUTHENTICATED_USERS, R), "bob", True, False),
        (Grant(AUTHENTICATED_USERS, R), "anonymous", False, False),
        (Grant(ALL_USERS, W), "anonymous", False, True),
        (Grant(ALL_USERS, W), "bob", False, True),
        (Grant(AUTHENTICATED_USERS, W), "anonymous", False, False),
    ],
)
def test_group_grants_reach_their_group(
    hub: Hub,
    lists: AccessLists,
    alice: Principal,
    bob: Principal,
    bucket: RepoId,
    grant: Grant,
    caller: str,
    lists_ok: bool,
    puts_ok: bool,
) -> None:
    lists.set_bucket_acl(alice, bucket, [user_grant(alice, FC), grant])
    who = bob if caller == "bob" else ANONYMOUS
    assert (outcome(lambda: hub.buckets.list(who, bucket)) == "ok") is lists_ok
    assert (outcome(lambda: hub.buckets.put(who, bucket, "new", [b"z"])) == "ok") is puts_ok


def test_public_read_write_lets_anyone_write_and_everyones_full_control_keeps_read_visible(
    hub: Hub, lists: AccessLists, alice: Principal, bucket: RepoId
) -> None:
    lists.set_bucket_acl(alice, bucket, canned="public-read-write")
    hub.buckets.put(ANONYMOUS, bucket, "anon", [b"a"])
    assert lists.bucket_acl(alice, bucket).grants[:2] == (Grant(ALL_USERS, R), Grant(ALL_USERS, W))
    lists.set_bucket_acl(alice, bucket, [Grant(ALL_USERS, FC)])
    assert lists.bucket_acl(alice, bucket).grants == (Grant(ALL_USERS, FC),)
    # Made private elsewhere: everyone keeps what the grant says beyond reading.
    hub.repos.update(alice, bucket, private=True)
    assert lists.bucket_acl(alice, bucket).grants == (
        Grant(ALL_USERS, W),
        Grant(ALL_USERS, RA),
        Grant(ALL_USERS, WA),
    )
    assert outcome(lambda: hub.buckets.list(ANONYMOUS, bucket)) == "403"


def test_a_credential_narrows_what_grants_give(
    hub: Hub, lists: AccessLists, alice: Principal, bob: Principal, bucket: RepoId
) -> None:
    lists.set_bucket_acl(alice, bucket, [user_grant(bob, FC)])
    reader = replace(bob, scope=Scope.READ)
    assert outcome(lambda: hub.buckets.list(reader, bucket)) == "ok"
    assert outcome(lambda: hub.buckets.put(reader, bucket, "n", [b"n"])) == "403"
    assert outcome(lambda: lists.bucket_acl(reader, bucket)) == "ok"
    elsewhere = replace(bob, restrict_to=("bob",))
    assert outcome(lambda: hub.buckets.list(elsewhere, bucket)) == "404"


@pytest.mark.parametrize(
    ("attempt", "error"),
    [
        ("grant bob to himself", RepoNotFoundError),
        ("unknown grantee", InvalidGranteeError),
        ("another owner", AclOwnerMismatchError),
        ("too many grants", InvalidAclError),
        ("unknown canned", InvalidAclError),
        ("anonymous", RepoNotFoundError),
    ],
)
def test_attempts_to_take_or_break_a_bucket_are_refused_and_change_nothing(
    hub: Hub,
    lists: AccessLists,
    alice: Principal,
    bob: Principal,
    bucket: RepoId,
    attempt: str,
    error: type[Exception],
) -> None:
    assert bob.user is not None
    take = [user_grant(bob, FC)]
    actions: dict[str, Callable[[], None]] = {
        "grant bob to himself": lambda: lists.set_bucket_acl(bob, bucket, take),
        "unknown grantee": lambda: lists.set_bucket_acl(
            alice, bucket, [Grant(Grantee.user("nobody"), R)]
        ),
        "another owner": lambda: lists.set_bucket_acl(
            alice, bucket, take, owner_id=bob.user.id if bob.user else ""
        ),
        "too many grants": lambda: lists.set_bucket_acl(alice, bucket, take * 101),
        "unknown canned": lambda: lists.set_bucket_acl(alice, bucket, canned="aws-exec-read"),
        "anonymous": lambda: lists.set_bucket_acl(ANONYMOUS, bucket, [Grant(ALL_USERS, FC)]),
    }
    with pytest.raises(error):
        actions[attempt]()
    assert lists.bucket_acl(alice, bucket).grants == (user_grant(alice, FC),)
    assert hub.repos.get(alice, bucket).private


def test_models_have_no_acl(hub: Hub, lists: AccessLists, alice: Principal) -> None:
    model = RepoId(RepoType.MODEL, "alice", "m")
    hub.repos.create(alice, model, private=True)
    with pytest.raises(Exception, match="bucket"):
        lists.bucket_acl(alice, model)


# Objects: each keeps its own ACL, written with it.


def test_an_object_written_without_an_acl_has_the_default(
    hub: Hub, lists: AccessLists, alice: Principal, bucket: RepoId
) -> None:
    assert hub.buckets.head(alice, bucket, "k").acl is None
    view = lists.object_acl(alice, bucket, "k")
    assert alice.user is not None
    assert (view.owner_id, view.owner_name) == (alice.user.id, "alice")
    assert view.grants == (user_grant(alice, FC),)


def test_a_public_object_in_a_private_bucket_is_read_by_anyone_but_not_listed(
    hub: Hub, lists: AccessLists, alice: Principal, bucket: RepoId
) -> None:
    hub.buckets.put(alice, bucket, "pub", [b"p"], acl=AclRequest(canned="public-read"))
    assert hub.buckets.head(ANONYMOUS, bucket, "pub").size == 1
    assert outcome(lambda: hub.buckets.head(ANONYMOUS, bucket, "k")) == "404"
    assert outcome(lambda: hub.buckets.list(ANONYMOUS, bucket)) == "404"
    assert lists.object_acl(alice, bucket, "pub").grants == (
        Grant(ALL_USERS, R),
        user_grant(alice, FC),
    )
    # A new object at the key takes its own ACL: here the default.
    hub.buckets.put(alice, bucket, "pub", [b"q"])
    assert outcome(lambda: hub.buckets.head(ANONYMOUS, bucket, "pub")) == "404"


def test_a_writer_owns_what_it_writes_and_the_bucket_owner_keeps_control(
    hub: Hub, lists: AccessLists, alice: Principal, bob: Principal, bucket: RepoId
) -> None:
    assert bob.user is not None and alice.user is not None
    lists.set_bucket_acl(alice, bucket, [user_grant(alice, FC), user_grant(bob, W)])
    hub.buckets.put(bob, bucket, "b", [b"b"], acl=AclRequest(canned="bucket-owner-read"))
    view = lists.object_acl(bob, bucket, "b")
    assert (view.owner_id, view.owner_name) == (bob.user.id, "bob")
    assert view.grants == (user_grant(bob, FC), user_grant(alice, R))
    # bob reads his own object, though he may not list the bucket.
    assert hub.buckets.head(bob, bucket, "b").size == 1
    assert outcome(lambda: hub.buckets.list(bob, bucket)) == "403"
    assert outcome(lambda: hub.buckets.head(bob, bucket, "k")) == "403"
    # The bucket's owner reads and replaces it; the object keeps its owner.
    lists.set_object_acl(alice, bucket, "b", canned="private")
    assert lists.object_acl(alice, bucket, "b").grants == (user_grant(bob, FC),)


@pytest.mark.parametrize(
    ("attempt", "error"),
    [
        ("stranger", RepoNotFoundError),
        ("anonymous", RepoNotFoundError),
        ("another owner", AclOwnerMismatchError),
        ("unknown grantee", InvalidGranteeError),
        ("missing key", EntryNotFoundError),
        ("reader", PermissionDeniedError),
    ],
)
def test_object_acls_are_replaced_only_by_whom_they_allow(
    hub: Hub,
    lists: AccessLists,
    alice: Principal,
    bob: Principal,
    bucket: RepoId,
    attempt: str,
    error: type[Exception],
) -> None:
    assert bob.user is not None
    carol = hub.user("carol")
    lists.set_bucket_acl(alice, bucket, [user_grant(alice, FC), user_grant(carol, R)])
    take = [user_grant(bob, FC)]
    actions: dict[str, Callable[[], None]] = {
        "stranger": lambda: lists.set_object_acl(bob, bucket, "k", take),
        "anonymous": lambda: lists.set_object_acl(ANONYMOUS, bucket, "k", canned="public-read"),
        "another owner": lambda: lists.set_object_acl(
            alice, bucket, "k", take, owner_id=bob.user.id if bob.user else ""
        ),
        "unknown grantee": lambda: lists.set_object_acl(
            alice, bucket, "k", [Grant(Grantee.user("nobody"), R)]
        ),
        "missing key": lambda: lists.set_object_acl(alice, bucket, "nothing", take),
        "reader": lambda: lists.set_object_acl(carol, bucket, "k", take),
    }
    with pytest.raises(error):
        actions[attempt]()
    assert lists.object_acl(alice, bucket, "k").grants == (user_grant(alice, FC),)


def test_an_object_grant_gives_its_grantee_what_it_names(
    hub: Hub, lists: AccessLists, alice: Principal, bob: Principal, bucket: RepoId
) -> None:
    lists.set_object_acl(alice, bucket, "k", [user_grant(alice, FC), user_grant(bob, RA)])
    assert outcome(lambda: lists.object_acl(bob, bucket, "k")) == "ok"
    assert outcome(lambda: hub.buckets.head(bob, bucket, "k")) == "403"
    lists.set_object_acl(alice, bucket, "k", [user_grant(bob, R)])
    assert hub.buckets.head(bob, bucket, "k").size == 1
    assert outcome(lambda: lists.object_acl(bob, bucket, "k")) == "403"
    # An object grant lets nobody write to the bucket.
    assert outcome(lambda: hub.buckets.put(bob, bucket, "k", [b"no"])) == "404"


def test_each_version_is_read_by_its_own_acl(
    hub: Hub, lists: AccessLists, alice: Principal, bob: Principal, bucket: RepoId
) -> None:
    hub.buckets.set_versioning(alice, bucket, Versioning.ENABLED)
    shared = hub.buckets.put(alice, bucket, "v", [b"old"], acl=AclRequest(canned="public-read"))
    latest = hub.buckets.put(alice, bucket, "v", [b"new"])
    assert shared.version_id is not None and latest.version_id is not None
    # The older version's public-read lets anyone read it; the latest stays private.
    assert hub.buckets.head(ANONYMOUS, bucket, "v", version_id=shared.version_id).size == 3
    assert hub.buckets.head(bob, bucket, "v", version_id=shared.version_id).size == 3
    assert outcome(lambda: hub.buckets.head(bob, bucket, "v")) == "404"
    assert outcome(lambda: hub.buckets.head(bob, bucket, "v", version_id=latest.version_id)) == (
        "404"
    )
    # Grants the other way round: the latest grants bob, the older one no longer does.
    lists.set_object_acl(alice, bucket, "v", [user_grant(bob, R)], version_id=latest.version_id)
    lists.set_object_acl(alice, bucket, "v", canned="private", version_id=shared.version_id)
    assert hub.buckets.head(bob, bucket, "v").size == 3
    assert hub.buckets.head(bob, bucket, "v", version_id=latest.version_id).size == 3
    assert outcome(lambda: hub.buckets.head(bob, bucket, "v", version_id=shared.version_id)) == (
        "404"
    )
    assert lists.object_acl(alice, bucket, "v", version_id=shared.version_id).grants == (
        user_grant(alice, FC),
    )
    assert lists.object_acl(alice, bucket, "v").grants == (user_grant(bob, R),)


def test_a_version_acl_needs_acp_on_that_version(
    hub: Hub, lists: AccessLists, alice: Principal, bob: Principal, bucket: RepoId
) -> None:
    hub.buckets.set_versioning(alice, bucket, Versioning.ENABLED)
    grant = AclRequest(grants=(user_grant(bob, RA), user_grant(bob, WA)))
    old = hub.buckets.put(alice, bucket, "v", [b"old"], acl=grant).version_id
    new = hub.buckets.put(alice, bucket, "v", [b"new"]).version_id
    assert old is not None and new is not None
    assert lists.object_acl(bob, bucket, "v", version_id=old).owner_id == alice.viewer_id
    lists.set_object_acl(bob, bucket, "v", [user_grant(bob, RA)], version_id=old)
    assert outcome(lambda: lists.object_acl(bob, bucket, "v", version_id=old)) == "ok"
    assert outcome(lambda: lists.set_object_acl(bob, bucket, "v", [], version_id=old)) == "403"
    assert outcome(lambda: lists.object_acl(bob, bucket, "v", version_id=new)) == "404"
    assert outcome(lambda: lists.object_acl(bob, bucket, "v")) == "404"


@pytest.mark.parametrize(
    ("version_id", "error"),
    [
        ("0" * 32, VersionNotFoundError),
        ("not-an-id", InvalidInputError),
        ("marker", DeleteMarkerError),
    ],
)
def test_a_version_without_an_acl_is_an_error_after_the_access_check(
    hub: Hub,
    lists: AccessLists,
    alice: Principal,
    bob: Principal,
    bucket: RepoId,
    version_id: str,
    error: type[Exception],
) -> None:
    hub.buckets.set_versioning(alice, bucket, Versioning.ENABLED)
    marker = hub.buckets.delete(alice, bucket, "k").marker
    asked = marker if version_id == "marker" else version_id
    with pytest.raises(error):
        lists.object_acl(alice, bucket, "k", version_id=asked)
    with pytest.raises(error):
        lists.set_object_acl(alice, bucket, "k", canned="public-read", version_id=asked)
    # Whoever may not see the bucket learns nothing about its versions.
    with pytest.raises(RepoNotFoundError):
        lists.object_acl(bob, bucket, "k", version_id=asked)


def test_the_null_version_of_an_unversioned_bucket_is_its_object(
    hub: Hub, lists: AccessLists, alice: Principal, bucket: RepoId
) -> None:
    lists.set_object_acl(alice, bucket, "k", canned="public-read", version_id=NULL_VERSION)
    assert hub.buckets.head(ANONYMOUS, bucket, "k").size == 1
    assert lists.object_acl(alice, bucket, "k", version_id=NULL_VERSION) == lists.object_acl(
        alice, bucket, "k"
    )


class _WriteAfterRead:
    """The hub's catalog, with ``then`` run right after each of the first ``times`` reads of
    an object: a write landing between a use case's permission check and its own write."""

    def __init__(self, catalog: object, then: Callable[[], object], times: int = 1) -> None:
        self._catalog = catalog
        self._then = then
        self._times = times

    def find_object(self, *args: object) -> object:
        found = self._catalog.find_object(*args)  # type: ignore[attr-defined]
        if self._times > 0:
            self._times -= 1
            self._then()
        return found

    def __getattr__(self, name: str) -> object:
        return getattr(self._catalog, name)


def test_an_acl_replaced_without_a_version_id_lands_on_the_version_checked(
    hub: Hub, alice: Principal, bob: Principal, bucket: RepoId
) -> None:
    hub.buckets.set_versioning(alice, bucket, Versioning.ENABLED)
    carol = hub.user("carol")
    lists = AccessLists(hub.catalog, hub.clock, hub.audit)
    lists.set_bucket_acl(alice, bucket, [user_grant(alice, FC), user_grant(carol, W)])
    grant = AclRequest(grants=(user_grant(bob, RA), user_grant(bob, WA)))
    checked = hub.buckets.put(alice, bucket, "v", [b"old"], acl=grant).version_id
    newer: list[str | None] = []
    racing = AccessLists(
        _WriteAfterRead(  # type: ignore[arg-type]
            hub.catalog,
            lambda: newer.append(hub.buckets.put(carol, bucket, "v", [b"new"]).version_id),
        ),
        hub.clock,
        hub.audit,
    )
    racing.set_object_acl(bob, bucket, "v", [user_grant(bob, FC)])
    assert checked is not None and newer and newer[0] is not None and newer[0] != checked
    # Bob's ACL replaced the version he was allowed to change, keeping its owner ...
    view = lists.object_acl(alice, bucket, "v", version_id=checked)
    assert (view.owner_id, view.grants) == (alice.viewer_id, (user_grant(bob, FC),))
    # ... and carol's version, written since, keeps her ACL, which gives bob nothing.
    view = lists.object_acl(carol, bucket, "v", version_id=newer[0])
    assert (view.owner_id, view.grants) == (carol.viewer_id, (user_grant(carol, FC),))
    assert outcome(lambda: lists.object_acl(bob, bucket, "v")) == "404"


def test_an_acl_replaced_in_an_unversioned_bucket_is_checked_again_on_a_new_object(
    hub: Hub, alice: Principal, bob: Principal, bucket: RepoId
) -> None:
    """Every object of an unversioned bucket is its key's ``null`` version: one written
    between bob's check and his write takes that id, and his ACL must not land on it."""
    carol = hub.user("carol")
    lists = AccessLists(hub.catalog, hub.clock, hub.audit)
    lists.set_bucket_acl(alice, bucket, [user_grant(alice, FC), user_grant(carol, W)])
    grant = AclRequest(grants=(user_grant(bob, RA), user_grant(bob, WA)))
    hub.buckets.put(alice, bucket, "n", [b"old"], acl=grant)
    racing = AccessLists(
        _WriteAfterRead(  # type: ignore[arg-type]
            hub.catalog, lambda: hub.buckets.put(carol, bucket, "n", [b"new"])
        ),
        hub.clock,
        hub.audit,
    )
    # Checked again on carol's object, which gives bob nothing: not even to know of it.
    assert outcome(lambda: racing.set_object_acl(bob, bucket, "n", [user_grant(bob, FC)])) == "404"
    view = lists.object_acl(carol, bucket, "n")
    assert (view.owner_id, view.grants) == (carol.viewer_id, (user_grant(carol, FC),))
    assert hub.buckets.head(carol, bucket, "n").size == len(b"new")


def test_an_acl_on_an_object_that_keeps_changing_is_a_conflict(
    hub: Hub, alice: Principal, bucket: RepoId
) -> None:
    lists = AccessLists(hub.catalog, hub.clock, hub.audit)
    hub.buckets.put(alice, bucket, "n", [b"0"])
    writes = iter(range(1, 100))
    racing = AccessLists(
        _WriteAfterRead(  # type: ignore[arg-type]
            hub.catalog,
            lambda: hub.buckets.put(alice, bucket, "n", [str(next(writes)).encode()]),
            times=99,
        ),
        hub.clock,
        hub.audit,
    )
    with pytest.raises(ConflictError):
        racing.set_object_acl(alice, bucket, "n", canned="public-read")
    assert lists.object_acl(alice, bucket, "n").grants == (user_grant(alice, FC),)
    # Once the writes stop, it lands.
    lists.set_object_acl(alice, bucket, "n", canned="public-read")
    assert outcome(lambda: hub.buckets.head(ANONYMOUS, bucket, "n")) == "ok"
