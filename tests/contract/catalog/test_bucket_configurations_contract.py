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
