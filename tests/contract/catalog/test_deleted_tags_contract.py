"""The deleted-tags part of the catalog contract, on every implementation."""

from __future__ import annotations

from datetime import timedelta

import pytest
from tests.contract.catalog.samples import NOW, make_repo, new_id

from weighthouse.domain.catalog import Catalog
from weighthouse.domain.model import Repo, User

pytestmark = pytest.mark.contract


def test_deleted_tags_remember_every_commit_they_named(catalog: Catalog, repo: Repo) -> None:
    assert catalog.deleted_tag_commits(repo.id, "v1") == set()
    catalog.record_deleted_tag(repo.id, "v1", "a" * 40, NOW)
    catalog.record_deleted_tag(repo.id, "v1", "a" * 40, NOW + timedelta(hours=1))
    catalog.record_deleted_tag(repo.id, "v1", "b" * 40, NOW)
    catalog.record_deleted_tag(repo.id, "feature/v1", "c" * 40, NOW)
    assert catalog.deleted_tag_commits(repo.id, "v1") == {"a" * 40, "b" * 40}
    assert catalog.deleted_tag_commits(repo.id, "feature/v1") == {"c" * 40}
    assert catalog.deleted_tag_commits(new_id(), "v1") == set()


def test_deleted_tags_go_with_their_repo(catalog: Catalog, repo: Repo, user: User) -> None:
    other = make_repo(user, name="other")
    catalog.add_repo(other)
    catalog.record_deleted_tag(other.id, "v1", "a" * 40, NOW)
    catalog.record_deleted_tag(repo.id, "v1", "b" * 40, NOW)
    catalog.delete_repo(other.id)
    assert catalog.deleted_tag_commits(other.id, "v1") == set()
    assert catalog.deleted_tag_commits(repo.id, "v1") == {"b" * 40}
