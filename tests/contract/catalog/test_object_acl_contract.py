"""Access control lists of objects and of the uploads that will make them, on every catalog:
kept with the object (owner and grants in their order), replaced alone by
``set_object_version_acl`` (here on the ``null`` version of an unversioned bucket), replaced
with the object, gone with it."""

from __future__ import annotations

import secrets
from dataclasses import replace

import pytest
from tests.contract.catalog.samples import NOW, make_object

from weighthouse.domain.acls import (
    ALL_USERS,
    AUTHENTICATED_USERS,
    Acl,
    Grant,
    Grantee,
    Permission,
)
from weighthouse.domain.catalog import Catalog
from weighthouse.domain.model import NULL_VERSION, MultipartUpload, Repo, User

pytestmark = pytest.mark.contract

ACL = Acl(
    "writer-id",
    (
        Grant(Grantee.user("writer-id"), Permission.FULL_CONTROL),
        Grant(ALL_USERS, Permission.READ),
        Grant(AUTHENTICATED_USERS, Permission.READ_ACP),
        Grant(Grantee.user("owner-id"), Permission.READ),
    ),
)


def set_acl(catalog: Catalog, repo: Repo, key: str, acl: Acl) -> bool:
    """Set the ACL of the object at ``key`` as last read."""
    read = catalog.get_object_version(repo.id, key, NULL_VERSION)
    if read is None or read.object is None:
        return False
    return catalog.set_object_version_acl(repo.id, key, NULL_VERSION, acl, read=read.object)


def test_an_objects_acl_comes_back_as_given(catalog: Catalog, user: User, repo: Repo) -> None:
    catalog.put_object(repo.id, replace(make_object("k"), acl=ACL))
    assert catalog.get_object(repo.id, "k").acl == ACL
    assert catalog.list_objects(repo.id, "", None, 10)[0].acl == ACL
    _, found = catalog.find_object(repo.type, user.name, repo.name, "k")
    assert found is not None and found.acl == ACL
    assert make_object("k").acl is None


def test_setting_an_acl_changes_nothing_else(catalog: Catalog, repo: Repo) -> None:
    original = replace(make_object("k"), tags={"a": "1"})
    catalog.put_object(repo.id, original)
    assert set_acl(catalog, repo, "k", ACL)
    stored = catalog.get_object(repo.id, "k")
    assert stored.acl == ACL
    assert replace(stored, acl=None) == original
    bare = Acl("writer-id", ())
    assert set_acl(catalog, repo, "k", bare)
    assert catalog.get_object(repo.id, "k").acl == bare


def test_setting_the_acl_of_a_missing_key_is_false(catalog: Catalog, repo: Repo) -> None:
    catalog.put_object(repo.id, make_object("k"))
    assert not set_acl(catalog, repo, "other", ACL)
    assert not set_acl(catalog, repo, "K", ACL)


def test_a_new_object_or_a_deletion_replaces_the_acl(catalog: Catalog, repo: Repo) -> None:
    catalog.put_object(repo.id, replace(make_object("k"), acl=ACL))
    catalog.put_object(repo.id, make_object("k", "new bytes"))
    assert catalog.get_object(repo.id, "k").acl is None
    set_acl(catalog, repo, "k", ACL)
    assert catalog.delete_object(repo.id, "k")
    catalog.put_object(repo.id, make_object("k"))
    assert catalog.get_object(repo.id, "k").acl is None


def test_an_upload_keeps_the_acl_its_object_will_carry(
    catalog: Catalog, repo: Repo, user: User
) -> None:
    upload = MultipartUpload(
        id=secrets.token_hex(24),
        repo_id=repo.id,
        key="k",
        initiator_id=user.id,
        created_at=NOW,
        content_type="application/octet-stream",
        acl=ACL,
    )
    catalog.add_upload(upload)
    assert catalog.get_upload(upload.id) == upload
    plain = replace(upload, id=secrets.token_hex(24), acl=None)
    catalog.add_upload(plain)
    assert catalog.get_upload(plain.id).acl is None
