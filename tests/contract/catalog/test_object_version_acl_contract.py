"""Access control lists per object version on every catalog: each version keeps the ACL it
was written with when newer versions replace it, gets it back when it is the latest again,
and has it replaced alone by ``set_object_version_acl``, only while it is as the caller read
it; the ``null`` version of a suspended
or unversioned bucket is replaced with its ACL."""

from __future__ import annotations

from dataclasses import replace

import pytest
from tests.contract.catalog.samples import NOW, make_object, make_repo

from weighthouse.domain.acls import ALL_USERS, Acl, Grant, Grantee, Permission
from weighthouse.domain.catalog import Catalog
from weighthouse.domain.model import NULL_VERSION, Repo, RepoType, User
from weighthouse.domain.object_versions import Versioning

pytestmark = pytest.mark.contract

PUBLIC = Acl("writer-id", (Grant(ALL_USERS, Permission.READ),))
READER = Acl("owner-id", (Grant(Grantee.user("reader-id"), Permission.READ),))
BARE = Acl("writer-id", ())


@pytest.fixture
def bucket(catalog: Catalog, user: User) -> Repo:
    stored = make_repo(user, name="acl-versions", type=RepoType.BUCKET)
    catalog.add_repo(stored)
    return stored


def acl_of(catalog: Catalog, bucket: Repo, version_id: str, key: str = "k") -> Acl | None:
    found = catalog.get_object_version(bucket.id, key, version_id)
    assert found is not None and found.object is not None
    return found.object.acl


def set_acl(catalog: Catalog, bucket: Repo, version_id: str, acl: Acl, key: str = "k") -> bool:
    """Set the ACL of that version as last read (any object read, when there is none)."""
    found = catalog.get_object_version(bucket.id, key, version_id)
    read = found.object if found is not None and found.object is not None else make_object(key)
    return catalog.set_object_version_acl(bucket.id, key, version_id, acl, read=read)


def listed_acls(catalog: Catalog, bucket: Repo) -> list[tuple[str, Acl | None]]:
    return [
        (v.version_id, v.object.acl if v.object is not None else None)
        for v in catalog.list_object_versions(bucket.id, "", None, 100)
    ]


def test_each_version_keeps_the_acl_it_was_written_with(catalog: Catalog, bucket: Repo) -> None:
    catalog.put_object(bucket.id, replace(make_object("k", "null"), acl=READER))
    catalog.set_bucket_versioning(bucket.id, Versioning.ENABLED)
    old = catalog.put_object(bucket.id, replace(make_object("k", "old"), acl=PUBLIC))
    plain = catalog.put_object(bucket.id, make_object("k", "plain"))
    new = catalog.put_object(bucket.id, replace(make_object("k", "new"), acl=BARE))
    assert catalog.get_object(bucket.id, "k").acl == BARE
    assert acl_of(catalog, bucket, new) == BARE
    assert acl_of(catalog, bucket, plain) is None
    assert acl_of(catalog, bucket, old) == PUBLIC
    assert acl_of(catalog, bucket, NULL_VERSION) == READER
    assert listed_acls(catalog, bucket) == [
        (new, BARE),
        (plain, None),
        (old, PUBLIC),
        (NULL_VERSION, READER),
    ]


def test_setting_one_versions_acl_changes_nothing_else(catalog: Catalog, bucket: Repo) -> None:
    catalog.set_bucket_versioning(bucket.id, Versioning.ENABLED)
    old_object = replace(make_object("k", "old"), tags={"a": "1"})
    old = catalog.put_object(bucket.id, old_object)
    new = catalog.put_object(bucket.id, replace(make_object("k", "new"), acl=BARE))
    assert set_acl(catalog, bucket, old, PUBLIC)
    found = catalog.get_object_version(bucket.id, "k", old)
    assert found is not None and found.object is not None and not found.latest
    assert found.object == replace(old_object, version_id=old, acl=PUBLIC)
    assert catalog.get_object(bucket.id, "k").acl == BARE
    # The latest by its id: what get_object and find_object read.
    assert set_acl(catalog, bucket, new, READER)
    assert catalog.get_object(bucket.id, "k").acl == READER
    assert acl_of(catalog, bucket, old) == PUBLIC


def test_a_missing_version_or_a_delete_marker_has_no_acl_to_set(
    catalog: Catalog, bucket: Repo
) -> None:
    catalog.set_bucket_versioning(bucket.id, Versioning.ENABLED)
    version = catalog.put_object(bucket.id, make_object("k"))
    marker = catalog.delete_object(bucket.id, "k").marker
    assert marker is not None
    assert not set_acl(catalog, bucket, marker, PUBLIC)
    assert not set_acl(catalog, bucket, "0" * 32, PUBLIC)
    assert not set_acl(catalog, bucket, version, PUBLIC, key="other")
    read = make_object("k")
    assert not catalog.set_object_version_acl("no-such-bucket", "k", version, PUBLIC, read=read)
    assert acl_of(catalog, bucket, version) is None


def test_a_version_that_is_the_latest_again_brings_its_acl(catalog: Catalog, bucket: Repo) -> None:
    catalog.set_bucket_versioning(bucket.id, Versioning.ENABLED)
    old = catalog.put_object(bucket.id, replace(make_object("k", "old"), acl=PUBLIC))
    new = catalog.put_object(bucket.id, replace(make_object("k", "new"), acl=BARE))
    catalog.delete_object_version(bucket.id, "k", new, NOW)
    assert catalog.get_object(bucket.id, "k").acl == PUBLIC
    _, found = catalog.find_object(bucket.type, bucket.namespace, bucket.name, "k")
    assert found is not None and found.acl == PUBLIC
    # Under a delete marker and back.
    marker = catalog.delete_object(bucket.id, "k").marker
    assert marker is not None
    assert acl_of(catalog, bucket, old) == PUBLIC
    assert set_acl(catalog, bucket, old, READER)
    catalog.delete_object_version(bucket.id, "k", marker, NOW)
    assert catalog.get_object(bucket.id, "k").acl == READER


def test_the_null_version_is_replaced_with_its_acl(catalog: Catalog, bucket: Repo) -> None:
    catalog.put_object(bucket.id, replace(make_object("k", "one"), acl=PUBLIC))
    assert set_acl(catalog, bucket, NULL_VERSION, READER)
    assert catalog.get_object(bucket.id, "k").acl == READER
    catalog.put_object(bucket.id, make_object("k", "two"))
    assert catalog.get_object(bucket.id, "k").acl is None
    catalog.set_bucket_versioning(bucket.id, Versioning.ENABLED)
    kept = catalog.put_object(bucket.id, replace(make_object("k", "kept"), acl=BARE))
    catalog.set_bucket_versioning(bucket.id, Versioning.SUSPENDED)
    assert catalog.put_object(bucket.id, replace(make_object("k", "s"), acl=PUBLIC)) == (
        NULL_VERSION
    )
    assert listed_acls(catalog, bucket) == [(NULL_VERSION, PUBLIC), (kept, BARE)]
    assert catalog.put_object(bucket.id, make_object("k", "t")) == NULL_VERSION
    assert listed_acls(catalog, bucket) == [(NULL_VERSION, None), (kept, BARE)]


def test_a_version_changed_since_it_was_read_keeps_its_acl(catalog: Catalog, bucket: Repo) -> None:
    """The write confirms the version is still the object read: a new object in the ``null``
    version's place, or another ACL set since, makes it ``False`` and changes nothing."""
    catalog.put_object(bucket.id, replace(make_object("k", "one"), acl=PUBLIC))
    read = catalog.get_object(bucket.id, "k")
    catalog.put_object(bucket.id, replace(make_object("k", "two"), acl=BARE))
    assert not catalog.set_object_version_acl(bucket.id, "k", NULL_VERSION, READER, read=read)
    assert catalog.get_object(bucket.id, "k").acl == BARE
    # An older version whose ACL another write changed since it was read.
    catalog.set_bucket_versioning(bucket.id, Versioning.ENABLED)
    old = catalog.put_object(bucket.id, replace(make_object("k", "old"), acl=PUBLIC))
    catalog.put_object(bucket.id, make_object("k", "new"))
    found = catalog.get_object_version(bucket.id, "k", old)
    assert found is not None and found.object is not None
    assert set_acl(catalog, bucket, old, BARE)
    assert not catalog.set_object_version_acl(bucket.id, "k", old, READER, read=found.object)
    assert acl_of(catalog, bucket, old) == BARE
    # As read, it takes the ACL.
    assert set_acl(catalog, bucket, old, READER)
    assert acl_of(catalog, bucket, old) == READER
