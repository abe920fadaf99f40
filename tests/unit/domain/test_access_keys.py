"""Access keys as a use case: what is issued, what is stored, who may make, see and revoke
them, and what the audit log says."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from tests.unit.domain.identity import Identity, identity

from weighthouse.domain.errors import (
    AccessKeyNotFoundError,
    AuthenticationError,
    InvalidInputError,
    PermissionDeniedError,
    UserNotFoundError,
)
from weighthouse.domain.model import Scope


@pytest.fixture
def world(tmp_path: Path) -> Iterator[Identity]:
    yield from identity(tmp_path / "data")


def test_an_issued_key_looks_like_aws_and_only_its_sealed_secret_is_stored(
    world: Identity,
) -> None:
    alice = world.user("alice")
    issued = world.container.access_keys.create(alice, "job", Scope.WRITE)
    assert re.fullmatch(r"WH[A-Z0-9]{18}", issued.key.id)
    assert re.fullmatch(r"[A-Za-z0-9]{40}", issued.secret)
    stored = world.container.catalog.get_access_key(issued.key.id)
    assert stored == issued.key
    assert issued.secret not in stored.sealed_secret
    assert issued.secret not in repr(issued) + repr(stored)
    listed = world.container.access_keys.list(alice)
    assert [k.id for k in listed] == [issued.key.id]
    ids = {world.container.access_keys.create(alice, "n", Scope.READ).key.id for _ in range(20)}
    assert len(ids) == 20


def test_create_and_revoke_are_audited(world: Identity) -> None:
    bob = world.user("bob")
    issued = world.container.access_keys.create(bob, "job", Scope.READ)
    world.container.access_keys.revoke(bob, issued.key.id)
    events = world.container.audit.list(world.admin, actor="bob")
    actions = [(e.action, e.detail.get("access_key"), e.target) for e in events[:2]]
    assert actions == [
        ("access_key.revoke", None, issued.key.id),
        ("access_key.create", issued.key.id, "bob"),
    ]
    assert all(issued.secret not in str(e) for e in events)


def test_keys_are_never_broader_than_the_credential_that_makes_them(world: Identity) -> None:
    world.user("carol")
    reader = world.token_principal("carol", Scope.READ)
    assert world.container.access_keys.create(reader, "r", Scope.READ).key.scope is Scope.READ
    with pytest.raises(PermissionDeniedError):
        world.container.access_keys.create(reader, "w", Scope.WRITE)
    narrow = world.token_principal("carol", Scope.WRITE, restrict_to=["carol"])
    with pytest.raises(PermissionDeniedError):
        world.container.access_keys.create(narrow, "all", Scope.WRITE)
    with pytest.raises(PermissionDeniedError):
        world.container.access_keys.create(narrow, "x", Scope.WRITE, buckets=["acme/x"])
    ok = world.container.access_keys.create(narrow, "b", Scope.WRITE, buckets=["carol/b"])
    assert ok.key.buckets == ("carol/b",)


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"scope": Scope.ADMIN}, InvalidInputError),
        ({"name": ""}, InvalidInputError),
        ({"name": "x" * 101}, InvalidInputError),
        ({"buckets": ["a/b/c"]}, InvalidInputError),
        ({"buckets": ["-bad"]}, InvalidInputError),
        ({"buckets": [f"n{i}" for i in range(101)]}, InvalidInputError),
        ({"for_user": "nobody-here"}, UserNotFoundError),
    ],
)
def test_bad_requests_are_refused(world: Identity, kwargs: dict[str, object], error: type) -> None:
    values: dict[str, object] = {"name": "job", "scope": Scope.READ, **kwargs}
    with pytest.raises(error):
        world.container.access_keys.create(world.admin, **values)  # type: ignore[arg-type]


def test_expiry_must_be_aware_and_ahead(world: Identity) -> None:
    now = world.clock()
    for expires_at in (
        now.replace(tzinfo=None),
        now - timedelta(seconds=1),
        now + timedelta(days=4000),
    ):
        with pytest.raises(InvalidInputError):
            world.container.access_keys.create(world.admin, "e", expires_at=expires_at)


def test_only_admins_act_for_others_and_others_keys_do_not_exist(world: Identity) -> None:
    dave = world.user("dave")
    erin = world.user("erin")
    key = world.container.access_keys.create(dave, "job", Scope.READ).key
    with pytest.raises(PermissionDeniedError):
        world.container.access_keys.create(erin, "x", for_user="dave")
    with pytest.raises(PermissionDeniedError):
        world.container.access_keys.list(erin, for_user="dave")
    with pytest.raises(AccessKeyNotFoundError):
        world.container.access_keys.revoke(erin, key.id)
    with pytest.raises(AccessKeyNotFoundError):
        world.container.access_keys.revoke(erin, "WH" + "0" * 18)
    for probe in ("", "x" * 500, "wh-lower", "../etc"):
        with pytest.raises(AccessKeyNotFoundError):
            world.container.access_keys.revoke(dave, probe)
    assert [k.id for k in world.container.access_keys.list(world.admin, for_user="dave")] == [
        key.id
    ]
    made = world.container.access_keys.create(world.admin, "for dave", for_user="dave")
    assert made.key.user_id == key.user_id
    world.container.access_keys.revoke(world.admin, key.id)
    world.container.access_keys.revoke(dave, key.id)  # idempotent
    assert world.container.catalog.get_access_key(key.id).revoked_at is not None


def test_read_only_and_restricted_credentials_cannot_revoke_wider_keys(world: Identity) -> None:
    world.user("fay")
    writer = world.token_principal("fay", Scope.WRITE)
    wide = world.container.access_keys.create(writer, "wide", Scope.READ).key
    narrow_key = world.container.access_keys.create(
        writer, "narrow", Scope.READ, buckets=["fay/b"]
    ).key
    reader = world.token_principal("fay", Scope.READ)
    with pytest.raises(PermissionDeniedError):
        world.container.access_keys.revoke(reader, wide.id)
    restricted = world.token_principal("fay", Scope.WRITE, restrict_to=["fay/b"])
    with pytest.raises(PermissionDeniedError):
        world.container.access_keys.revoke(restricted, wide.id)
    world.container.access_keys.revoke(restricted, narrow_key.id)


def test_anonymous_callers_get_nothing(world: Identity) -> None:
    from weighthouse.domain.access import ANONYMOUS

    with pytest.raises(AuthenticationError):
        world.container.access_keys.create(ANONYMOUS, "x")
    with pytest.raises(AuthenticationError):
        world.container.access_keys.list(ANONYMOUS)
