"""``find_object``, the one-statement read of a small GET, on every implementation (see
``conftest.py``): the repo by its name and the object at a key, or ``None`` for the object."""

from __future__ import annotations

import pytest
from tests.contract.catalog.samples import make_object, make_repo

from weighthouse.domain.catalog import Catalog
from weighthouse.domain.errors import RepoNotFoundError
from weighthouse.domain.model import RepoType, User

pytestmark = pytest.mark.contract


def test_the_bucket_and_its_object_come_together(catalog: Catalog, user: User) -> None:
    bucket = make_repo(user, name="data", type=RepoType.BUCKET, private=True)
    catalog.add_repo(bucket)
    stored = make_object("dir/ünï.bin", "some bytes")
    catalog.put_object(bucket.id, stored)
    catalog.put_object(bucket.id, make_object("dir/other.bin"))
    assert catalog.find_object(RepoType.BUCKET, "alice", "data", "dir/ünï.bin") == (
        bucket,
        stored,
    )


def test_a_missing_key_gives_the_bucket_and_no_object(catalog: Catalog, user: User) -> None:
    bucket = make_repo(user, name="data", type=RepoType.BUCKET)
    catalog.add_repo(bucket)
    catalog.put_object(bucket.id, make_object("a"))
    assert catalog.find_object(RepoType.BUCKET, "alice", "data", "A") == (bucket, None)
    assert catalog.find_object(RepoType.BUCKET, "alice", "data", "a/") == (bucket, None)


def test_objects_of_other_buckets_are_not_found(catalog: Catalog, user: User) -> None:
    mine = make_repo(user, name="mine", type=RepoType.BUCKET)
    other = make_repo(user, name="other", type=RepoType.BUCKET)
    catalog.add_repo(mine)
    catalog.add_repo(other)
    catalog.put_object(other.id, make_object("k"))
    assert catalog.find_object(RepoType.BUCKET, "alice", "mine", "k") == (mine, None)


def test_a_missing_repo_or_another_type_raises_repo_not_found(catalog: Catalog, user: User) -> None:
    model = make_repo(user, name="weights", type=RepoType.MODEL)
    catalog.add_repo(model)
    with pytest.raises(RepoNotFoundError):
        catalog.find_object(RepoType.BUCKET, "alice", "weights", "k")
    with pytest.raises(RepoNotFoundError):
        catalog.find_object(RepoType.BUCKET, "nobody", "weights", "k")
    assert catalog.find_object(RepoType.MODEL, "alice", "weights", "k") == (model, None)
