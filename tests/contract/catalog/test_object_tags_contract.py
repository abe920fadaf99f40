"""Tag sets of objects and of the uploads that will make them, on every catalog: kept in their
order, replaced alone by ``set_object_tags``, replaced with the object, gone with it."""

from __future__ import annotations

import secrets
from dataclasses import replace

import pytest
from tests.contract.catalog.samples import NOW, make_object

from weighthouse.domain.catalog import Catalog
from weighthouse.domain.model import MultipartUpload, Repo, User

pytestmark = pytest.mark.contract

TAGS = {"zeta": "last letter", "alpha": "", "ünï": "côde"}


def test_an_objects_tags_come_back_in_their_order(catalog: Catalog, repo: Repo) -> None:
    catalog.put_object(repo.id, replace(make_object("k"), tags=TAGS))
    stored = catalog.get_object(repo.id, "k")
    assert list(stored.tags.items()) == list(TAGS.items())
    assert catalog.list_objects(repo.id, "", None, 10)[0].tags == TAGS
    assert make_object("k").tags == {}


def test_find_object_reads_the_tags(catalog: Catalog, user: User, repo: Repo) -> None:
    catalog.put_object(repo.id, replace(make_object("k"), tags={"a": "1"}))
    _, found = catalog.find_object(repo.type, user.name, repo.name, "k")
    assert found is not None and found.tags == {"a": "1"}


def test_setting_tags_changes_nothing_else(catalog: Catalog, repo: Repo) -> None:
    original = replace(make_object("k"), tags={"old": "1"})
    catalog.put_object(repo.id, original)
    assert catalog.set_object_tags(repo.id, "k", {"b": "2", "a": "1"})
    stored = catalog.get_object(repo.id, "k")
    assert list(stored.tags.items()) == [("b", "2"), ("a", "1")]
    assert replace(stored, tags={}) == replace(original, tags={})
    assert catalog.set_object_tags(repo.id, "k", {})
    assert catalog.get_object(repo.id, "k").tags == {}


def test_setting_tags_of_a_missing_key_is_false(catalog: Catalog, repo: Repo) -> None:
    catalog.put_object(repo.id, make_object("k"))
    assert not catalog.set_object_tags(repo.id, "other", {"a": "1"})
    assert not catalog.set_object_tags(repo.id, "K", {"a": "1"})


def test_a_new_object_or_a_deletion_replaces_the_tags(catalog: Catalog, repo: Repo) -> None:
    catalog.put_object(repo.id, replace(make_object("k"), tags={"a": "1"}))
    catalog.put_object(repo.id, make_object("k", "new bytes"))
    assert catalog.get_object(repo.id, "k").tags == {}
    catalog.set_object_tags(repo.id, "k", {"b": "2"})
    assert catalog.delete_object(repo.id, "k").removed
    catalog.put_object(repo.id, make_object("k"))
    assert catalog.get_object(repo.id, "k").tags == {}


def test_an_upload_keeps_the_tags_its_object_will_carry(
    catalog: Catalog, repo: Repo, user: User
) -> None:
    upload = MultipartUpload(
        id=secrets.token_hex(24),
        repo_id=repo.id,
        key="k",
        initiator_id=user.id,
        created_at=NOW,
        content_type="application/octet-stream",
        tags=TAGS,
    )
    catalog.add_upload(upload)
    stored = catalog.get_upload(upload.id)
    assert stored == upload
    assert list(stored.tags.items()) == list(TAGS.items())
