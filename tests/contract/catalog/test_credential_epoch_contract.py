"""The credential epoch part of the catalog contract, on every implementation (see
``conftest.py``): every change that can end a credential or narrow a user's access gives the
epoch a new value in the same transaction; reads and other writes leave it alone."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from tests.contract.catalog.samples import (
    NOW,
    as_member,
    make_access_key,
    make_org,
    make_session,
    make_token,
    make_user,
)

from weighthouse.domain.catalog import Catalog
from weighthouse.domain.model import Repo, Role, User

pytestmark = pytest.mark.contract


class AbortError(Exception):
    """Raised inside a unit to make it roll back."""


def changes_epoch(catalog: Catalog, change: Callable[[], object]) -> bool:
    before = catalog.credential_epoch()
    change()
    return catalog.credential_epoch() != before


def test_an_untouched_catalog_has_the_empty_epoch(catalog: Catalog) -> None:
    assert catalog.credential_epoch() == ""


def test_ending_a_credential_changes_the_epoch(catalog: Catalog, user: User) -> None:
    token, session, key = make_token(user), make_session(user), make_access_key(user)
    catalog.add_token(token)
    catalog.add_session(session)
    catalog.add_access_key(key)
    assert changes_epoch(catalog, lambda: catalog.revoke_token(token.id, NOW))
    assert changes_epoch(catalog, lambda: catalog.revoke_session(session.id, NOW))
    assert changes_epoch(catalog, lambda: catalog.revoke_access_key(key.id, NOW))


def test_changing_a_users_standing_changes_the_epoch(catalog: Catalog, user: User) -> None:
    assert changes_epoch(catalog, lambda: catalog.set_user_disabled(user.id, True))
    assert changes_epoch(catalog, lambda: catalog.set_user_disabled(user.id, False))
    assert changes_epoch(catalog, lambda: catalog.set_password_hash(user.id, "x"))


def test_changing_memberships_and_collaborations_changes_the_epoch(
    catalog: Catalog, user: User, repo: Repo
) -> None:
    member = make_user("bob")
    catalog.add_user(member)
    org = make_org()
    catalog.add_org(org, as_member(user))
    assert changes_epoch(catalog, lambda: catalog.set_member(org.id, as_member(member, Role.READ)))
    assert changes_epoch(catalog, lambda: catalog.set_member(org.id, as_member(member)))
    assert changes_epoch(catalog, lambda: catalog.remove_member(org.id, member.id))
    assert changes_epoch(
        catalog, lambda: catalog.set_collaborator(repo.id, as_member(member, Role.WRITE))
    )
    assert changes_epoch(catalog, lambda: catalog.remove_collaborator(repo.id, member.id))


def test_reads_uses_and_new_credentials_leave_the_epoch_alone(catalog: Catalog, user: User) -> None:
    token = make_token(user)

    def ordinary() -> None:
        catalog.add_token(token)
        catalog.get_token(token.id)
        catalog.touch_token(token.id, NOW + timedelta(minutes=5))
        catalog.add_session(make_session(user))
        catalog.add_user(make_user("carol"))

    assert not changes_epoch(catalog, ordinary)


def test_a_rolled_back_change_leaves_the_epoch_alone(catalog: Catalog, user: User) -> None:
    token = make_token(user)
    catalog.add_token(token)

    def revoke_then_fail() -> None:
        with catalog.atomic():
            catalog.revoke_token(token.id, NOW)
            raise AbortError

    before = catalog.credential_epoch()
    with pytest.raises(AbortError):
        revoke_then_fail()
    assert catalog.credential_epoch() == before
    assert catalog.get_token(token.id).revoked_at is None
