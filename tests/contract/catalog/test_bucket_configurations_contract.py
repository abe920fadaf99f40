"""Bucket configurations on every catalog: one JSON document per bucket and name, replaced
whole, removed alone or with the bucket."""

from __future__ import annotations

import pytest
from tests.contract.catalog.samples import make_repo

from weighthouse.domain.catalog import Catalog
from weighthouse.domain.errors import RepoNotFoundError
from weighthouse.domain.model import Repo, RepoType, User

pytestmark = pytest.mark.contract

CORS = {"rules": [{"allowed_methods": ["GET"], "allowed_origins": ["*"], "max_age_seconds": 5}]}


def test_documents_are_kept_per_bucket_and_name(catalog: Catalog, user: User, repo: Repo) -> None:
    other = make_repo(user, name="other", type=RepoType.BUCKET)
    catalog.add_repo(other)
    assert catalog.get_bucket_configuration(repo.id, "cors") is None
    catalog.put_bucket_configuration(repo.id, "cors", CORS)
    catalog.put_bucket_configuration(repo.id, "tagging", {"tags": [["a", "ü"]]})
    assert catalog.get_bucket_configuration(repo.id, "cors") == CORS
    assert catalog.get_bucket_configuration(repo.id, "tagging") == {"tags": [["a", "ü"]]}
    assert catalog.get_bucket_configuration(other.id, "cors") is None


def test_a_document_is_replaced_whole_and_removed_alone(catalog: Catalog, repo: Repo) -> None:
    catalog.put_bucket_configuration(repo.id, "cors", CORS)
    catalog.put_bucket_configuration(repo.id, "tagging", {"tags": []})
    catalog.put_bucket_configuration(repo.id, "cors", {"rules": []})
    assert catalog.get_bucket_configuration(repo.id, "cors") == {"rules": []}
    assert catalog.delete_bucket_configuration(repo.id, "cors")
    assert not catalog.delete_bucket_configuration(repo.id, "cors")
    assert catalog.get_bucket_configuration(repo.id, "cors") is None
    assert catalog.get_bucket_configuration(repo.id, "tagging") == {"tags": []}


def test_a_returned_document_is_the_callers_own(catalog: Catalog, repo: Repo) -> None:
    catalog.put_bucket_configuration(repo.id, "cors", CORS)
    read = catalog.get_bucket_configuration(repo.id, "cors")
    assert read is not None
    read["rules"].clear()
    assert catalog.get_bucket_configuration(repo.id, "cors") == CORS


def test_documents_go_with_their_bucket(catalog: Catalog, repo: Repo) -> None:
    catalog.put_bucket_configuration(repo.id, "cors", CORS)
    catalog.delete_repo(repo.id)
    with pytest.raises(RepoNotFoundError):
        catalog.put_bucket_configuration(repo.id, "cors", CORS)
    assert catalog.get_bucket_configuration(repo.id, "cors") is None


def test_a_policy_of_the_largest_size_comes_back_as_it_was_set(
    catalog: Catalog, repo: Repo
) -> None:
    # A policy is kept as the text the client sent, which GetBucketPolicy returns unchanged:
    # 20 KB of it, with characters JSON escapes and characters outside ASCII.
    statement = '{"Sid": "ü\\u00e9\\"\\n", "Effect": "Allow"}, '
    text = ('{"Statement": [' + statement * 600)[: 20 * 1024 - 8] + "\t\r\n 🙂"
    catalog.put_bucket_configuration(repo.id, "policy", {"text": text})
    assert catalog.get_bucket_configuration(repo.id, "policy") == {"text": text}


def revision(catalog: Catalog, repo: Repo) -> int | None:
    return catalog.get_repo(repo.type, repo.namespace, repo.name).configuration_revision


def test_every_change_raises_the_buckets_configuration_revision(
    catalog: Catalog, user: User, repo: Repo
) -> None:
    other = make_repo(user, name="other", type=RepoType.BUCKET)
    catalog.add_repo(other)
    assert revision(catalog, repo) == 0
    catalog.put_bucket_configuration(repo.id, "cors", CORS)
    assert revision(catalog, repo) == 1
    catalog.put_bucket_configuration(repo.id, "cors", {"rules": []})
    catalog.put_bucket_configuration(repo.id, "tagging", {"tags": []})
    assert revision(catalog, repo) == 3
    assert not catalog.delete_bucket_configuration(repo.id, "policy")
    assert revision(catalog, repo) == 3  # nothing changed
    assert catalog.delete_bucket_configuration(repo.id, "cors")
    assert revision(catalog, repo) == 4
    assert revision(catalog, other) == 0
    # The revision is read with the bucket wherever the bucket is read.
    found, _ = catalog.find_object(repo.type, repo.namespace, repo.name, "k")
    assert found.configuration_revision == 4


def test_a_read_at_a_revision_answers_as_the_bucket_stood_at_it(
    catalog: Catalog, repo: Repo
) -> None:
    # At revision 0 the bucket has no configuration: nothing to read.
    assert catalog.get_bucket_configuration(repo.id, "cors", revision=0) is None
    catalog.put_bucket_configuration(repo.id, "cors", CORS)
    now = revision(catalog, repo)
    assert now == 1
    assert catalog.get_bucket_configuration(repo.id, "cors", revision=now) == CORS
    assert catalog.get_bucket_configuration(repo.id, "tagging", revision=now) is None
    read = catalog.get_bucket_configuration(repo.id, "cors", revision=now)
    assert read is not None
    read["rules"].clear()  # the caller's own copy, even from a cache
    assert catalog.get_bucket_configuration(repo.id, "cors", revision=now) == CORS
    # A change is seen at the new revision, however often the old one was read.
    catalog.put_bucket_configuration(repo.id, "cors", {"rules": []})
    catalog.put_bucket_configuration(repo.id, "tagging", {"tags": [["a", "b"]]})
    later = revision(catalog, repo)
    assert later == 3
    assert catalog.get_bucket_configuration(repo.id, "cors", revision=later) == {"rules": []}
    assert catalog.get_bucket_configuration(repo.id, "tagging", revision=later) == {
        "tags": [["a", "b"]]
    }
    assert catalog.delete_bucket_configuration(repo.id, "cors")
    assert catalog.get_bucket_configuration(repo.id, "cors", revision=later + 1) is None
