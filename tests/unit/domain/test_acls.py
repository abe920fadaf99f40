"""The ACL model's pure decisions: canned ACLs, what grants give whom, and where each grant of a
bucket ACL is kept."""

from __future__ import annotations

import pytest

from weighthouse.domain import acls
from weighthouse.domain.acls import (
    ALL_USERS,
    AUTHENTICATED_USERS,
    Grant,
    Grantee,
    Permission,
)
from weighthouse.domain.errors import InvalidAclError
from weighthouse.domain.model import Role

pytestmark = pytest.mark.unit

R, W, RA, WA, FC = (
    Permission.READ,
    Permission.WRITE,
    Permission.READ_ACP,
    Permission.WRITE_ACP,
    Permission.FULL_CONTROL,
)
ALICE, BOB = Grantee.user("alice-id"), Grantee.user("bob-id")


@pytest.mark.parametrize(
    ("name", "bucket_owner", "expected"),
    [
        ("private", None, [(ALICE, FC)]),
        ("public-read", None, [(ALL_USERS, R), (ALICE, FC)]),
        ("public-read-write", None, [(ALL_USERS, R), (ALL_USERS, W), (ALICE, FC)]),
        ("authenticated-read", None, [(AUTHENTICATED_USERS, R), (ALICE, FC)]),
        # On a bucket, or an object in the writer's own bucket, these are private.
        ("bucket-owner-read", None, [(ALICE, FC)]),
        ("bucket-owner-full-control", "alice-id", [(ALICE, FC)]),
        ("bucket-owner-read", "bob-id", [(ALICE, FC), (BOB, R)]),
        ("bucket-owner-full-control", "bob-id", [(ALICE, FC), (BOB, FC)]),
    ],
)
def test_canned_acls_grant_what_s3_defines(
    name: str, bucket_owner: str | None, expected: list[tuple[Grantee, Permission]]
) -> None:
    assert acls.canned(name, "alice-id", bucket_owner) == tuple(Grant(g, p) for g, p in expected)


@pytest.mark.parametrize("name", ["aws-exec-read", "log-delivery-write", "everyone", ""])
def test_canned_acls_not_stated_here_are_refused(name: str) -> None:
    with pytest.raises(InvalidAclError):
        acls.canned(name, "alice-id")


GRANTS = (
    Grant(BOB, W),
    Grant(BOB, RA),
    Grant(AUTHENTICATED_USERS, R),
    Grant(ALL_USERS, WA),
)


@pytest.mark.parametrize(
    ("user_id", "signed_in", "expected"),
    [
        ("bob-id", True, {W, RA, R, WA}),
        ("carol-id", True, {R, WA}),
        (None, False, {WA}),
    ],
)
def test_grants_give_a_user_their_own_and_their_groups(
    user_id: str | None, signed_in: bool, expected: set[Permission]
) -> None:
    assert acls.granted(GRANTS, user_id=user_id, signed_in=signed_in) == expected


def test_full_control_is_the_four_others() -> None:
    everything = acls.granted([Grant(BOB, FC)], user_id="bob-id", signed_in=True)
    assert everything == {R, W, RA, WA}
    assert acls.permits(everything, FC)
    assert not acls.permits(frozenset({R, W, RA}), FC)
    assert acls.role_permissions(Role.ADMIN) == everything
    assert acls.role_permissions(Role.WRITE) == {R, W}
    assert acls.role_permissions(None) == frozenset()


@pytest.mark.parametrize(
    ("grants", "public", "roles", "stored"),
    [
        # The owner's own grant is stored, never a role.
        ([(ALICE, FC)], False, {}, [(ALICE, FC)]),
        ([(ALL_USERS, R), (ALICE, FC)], True, {}, [(ALICE, FC)]),
        ([(ALL_USERS, R), (ALL_USERS, W)], True, {}, [(ALL_USERS, W)]),
        ([(ALL_USERS, FC)], True, {}, [(ALL_USERS, FC)]),
        ([(BOB, R)], False, {"bob-id": Role.READ}, []),
        ([(BOB, W), (BOB, R)], False, {"bob-id": Role.WRITE}, []),
        # What no role states exactly stays as given.
        ([(BOB, W)], False, {}, [(BOB, W)]),
        ([(BOB, FC)], False, {}, [(BOB, FC)]),
        ([(BOB, R), (BOB, RA)], False, {}, [(BOB, R), (BOB, RA)]),
        ([(BOB, R), (BOB, R)], False, {}, [(BOB, R), (BOB, R)]),
        ([(AUTHENTICATED_USERS, R)], False, {}, [(AUTHENTICATED_USERS, R)]),
        ([], False, {}, []),
    ],
)
def test_a_bucket_acl_is_kept_where_the_core_states_it(
    grants: list[tuple[Grantee, Permission]],
    public: bool,
    roles: dict[str, Role],
    stored: list[tuple[Grantee, Permission]],
) -> None:
    split = acls.split_bucket_grants([Grant(g, p) for g, p in grants], "alice-id")
    assert (split.public, split.roles) == (public, roles)
    assert split.stored == tuple(Grant(g, p) for g, p in stored)


def test_everyones_read_is_the_visibility_alone() -> None:
    enforced = acls.enforced_stored([Grant(ALL_USERS, FC), Grant(ALL_USERS, R), Grant(BOB, R)])
    assert enforced == (
        Grant(ALL_USERS, W),
        Grant(ALL_USERS, RA),
        Grant(ALL_USERS, WA),
        Grant(BOB, R),
    )


def test_grants_round_trip_through_their_stored_form() -> None:
    document = acls.grants_document(GRANTS)
    assert acls.grants_from(document) == GRANTS
    acl = acls.Acl("alice-id", GRANTS)
    assert acls.acl_from(acls.acl_document(acl)) == acl


def test_an_acl_holds_at_most_a_hundred_grants() -> None:
    assert len(acls.check_grants([Grant(BOB, R)] * 100)) == 100
    with pytest.raises(InvalidAclError):
        acls.check_grants([Grant(BOB, R)] * 101)
