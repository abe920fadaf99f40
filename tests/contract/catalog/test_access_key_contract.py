"""The access-key part of the catalog contract, on every database (see ``conftest.py``)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Engine, inspect, select
from tests.contract.catalog.samples import NOW, make_user, new_id

from weighthouse.domain.access_keys import new_key_id
from weighthouse.domain.errors import AccessKeyNotFoundError, UserNotFoundError
from weighthouse.domain.model import AccessKey, Scope, User
from weighthouse.metadata.catalog import SqlCatalog
from weighthouse.metadata.tables import access_keys

pytestmark = pytest.mark.contract


def make_key(user: User, name: str = "job", **fields: object) -> AccessKey:
    values: dict[str, object] = {
        "id": new_key_id(),
        "user_id": user.id,
        "name": name,
        "scope": Scope.READ,
        "sealed_secret": f"v1.kid.nonce.{name}",
        "created_at": NOW,
        **fields,
    }
    return AccessKey(**values)  # type: ignore[arg-type]


def test_access_keys_round_trip_and_are_listed_per_user_oldest_first(
    catalog: SqlCatalog, user: User
) -> None:
    other = make_user("bob")
    catalog.add_user(other)
    first = make_key(
        user,
        "first",
        scope=Scope.WRITE,
        expires_at=NOW + timedelta(days=3),
        buckets=("alice", "acme/b"),
    )
    second = make_key(user, "second", created_at=NOW + timedelta(seconds=1))
    for key in (second, first, make_key(other)):
        catalog.add_access_key(key)
    assert catalog.get_access_key(first.id) == first
    assert catalog.list_access_keys(user.id) == [first, second]
    assert catalog.list_access_keys(new_id()) == []


def test_a_missing_access_key_raises_access_key_not_found(catalog: SqlCatalog) -> None:
    with pytest.raises(AccessKeyNotFoundError):
        catalog.get_access_key(new_key_id())
    with pytest.raises(AccessKeyNotFoundError):
        catalog.revoke_access_key(new_key_id(), NOW)


def test_an_access_key_for_a_missing_user_raises_user_not_found(catalog: SqlCatalog) -> None:
    with pytest.raises(UserNotFoundError):
        catalog.add_access_key(make_key(make_user("ghost")))


def test_revoking_is_idempotent_and_keeps_the_first_time(catalog: SqlCatalog, user: User) -> None:
    key = make_key(user)
    catalog.add_access_key(key)
    catalog.revoke_access_key(key.id, NOW)
    catalog.revoke_access_key(key.id, NOW + timedelta(hours=1))
    assert catalog.get_access_key(key.id).revoked_at == NOW


def test_touching_records_the_use_and_ignores_missing_keys(catalog: SqlCatalog, user: User) -> None:
    key = make_key(user)
    catalog.add_access_key(key)
    used = NOW + timedelta(minutes=5)
    catalog.touch_access_key(key.id, used)
    catalog.touch_access_key(new_key_id(), used)
    assert catalog.get_access_key(key.id).last_used_at == used


def test_a_second_key_with_the_same_id_is_refused(catalog: SqlCatalog, user: User) -> None:
    key = make_key(user)
    catalog.add_access_key(key)
    with pytest.raises(Exception) as raised:
        catalog.add_access_key(make_key(user, "again", id=key.id))
    assert not isinstance(raised.value, UserNotFoundError)
    assert catalog.get_access_key(key.id) == key


def test_only_the_sealed_secret_is_stored(
    catalog: SqlCatalog, catalog_engine: Engine, user: User
) -> None:
    key = make_key(user)
    catalog.add_access_key(key)
    columns = {c["name"] for c in inspect(catalog_engine).get_columns("access_keys")}
    assert {c for c in columns if "secret" in c} == {"sealed_secret"}
    with catalog_engine.connect() as connection:
        assert connection.scalar(select(access_keys.c.sealed_secret)) == key.sealed_secret
