"""The access-key part of the catalog contract, on every implementation (see ``conftest.py``)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from tests.contract.catalog.samples import NOW, make_access_key, make_user, new_id

from weighthouse.domain.access_keys import new_key_id
from weighthouse.domain.catalog import Catalog
from weighthouse.domain.errors import AccessKeyNotFoundError, UserNotFoundError
from weighthouse.domain.model import Scope, User

pytestmark = pytest.mark.contract


class AbortError(Exception):
    """Raised inside a unit to make it roll back."""


def test_access_keys_round_trip_and_are_listed_per_user_oldest_first(
    catalog: Catalog, user: User
) -> None:
    other = make_user("bob")
    catalog.add_user(other)
    first = make_access_key(
        user,
        "first",
        scope=Scope.WRITE,
        expires_at=NOW + timedelta(days=3),
        buckets=("alice", "acme/b"),
    )
    second = make_access_key(user, "second", created_at=NOW + timedelta(seconds=1))
    for key in (second, first, make_access_key(other)):
        catalog.add_access_key(key)
    assert catalog.get_access_key(first.id) == first
    assert catalog.list_access_keys(user.id) == [first, second]
    assert catalog.list_access_keys(new_id()) == []


def test_a_missing_access_key_raises_access_key_not_found(catalog: Catalog) -> None:
    with pytest.raises(AccessKeyNotFoundError):
        catalog.get_access_key(new_key_id())
    with pytest.raises(AccessKeyNotFoundError):
        catalog.revoke_access_key(new_key_id(), NOW)


def test_an_access_key_for_a_missing_user_raises_user_not_found(catalog: Catalog) -> None:
    with pytest.raises(UserNotFoundError):
        catalog.add_access_key(make_access_key(make_user("ghost")))


def test_revoking_is_idempotent_and_keeps_the_first_time(catalog: Catalog, user: User) -> None:
    key = make_access_key(user)
    catalog.add_access_key(key)
    catalog.revoke_access_key(key.id, NOW)
    catalog.revoke_access_key(key.id, NOW + timedelta(hours=1))
    assert catalog.get_access_key(key.id).revoked_at == NOW


def test_touching_records_the_use_and_ignores_missing_keys(catalog: Catalog, user: User) -> None:
    key = make_access_key(user)
    catalog.add_access_key(key)
    used = NOW + timedelta(minutes=5)
    catalog.touch_access_key(key.id, used)
    catalog.touch_access_key(new_key_id(), used)
    assert catalog.get_access_key(key.id).last_used_at == used


def test_a_second_key_with_the_same_id_is_refused(catalog: Catalog, user: User) -> None:
    key = make_access_key(user)
    catalog.add_access_key(key)
    with pytest.raises(Exception) as raised:
        catalog.add_access_key(make_access_key(user, "again", id=key.id))
    assert not isinstance(raised.value, UserNotFoundError)
    assert catalog.get_access_key(key.id) == key


def test_a_unit_that_raises_stores_no_key_and_no_revocation(catalog: Catalog, user: User) -> None:
    kept = make_access_key(user, "kept")
    catalog.add_access_key(kept)
    doomed = make_access_key(user, "doomed")
    with pytest.raises(AbortError), catalog.atomic():
        catalog.add_access_key(doomed)
        catalog.revoke_access_key(kept.id, NOW)
        assert catalog.get_access_key(doomed.id) == doomed  # the unit reads its own writes
        raise AbortError
    with pytest.raises(AccessKeyNotFoundError):
        catalog.get_access_key(doomed.id)
    assert catalog.get_access_key(kept.id).revoked_at is None
    assert catalog.list_access_keys(user.id) == [kept]
