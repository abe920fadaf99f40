"""The likes part of the catalog contract, on every implementation."""

from __future__ import annotations

from datetime import timedelta

import pytest
from tests.contract.catalog.samples import NOW, make_repo, make_user

from weighthouse.domain.catalog import Catalog
from weighthouse.domain.errors import RepoNotFoundError
from weighthouse.domain.model import Repo, User

pytestmark = pytest.mark.contract


def test_a_like_counts_once_and_goes_with_its_repo(
    catalog: Catalog, repo: Repo, user: User
) -> None:
    other = make_user("bob")
    catalog.add_user(other)
    assert catalog.count_likes(repo.id) == 0
    catalog.add_like(repo.id, user.id, NOW)
    catalog.add_like(repo.id, user.id, NOW + timedelta(seconds=5))  # again: the first stays
    catalog.add_like(repo.id, other.id, NOW + timedelta(seconds=1))
    assert catalog.count_likes(repo.id) == 2
    likes = catalog.repo_likes(repo.id, 0, 10)
    assert [(like.user, like.at, like.repo.id) for like in likes] == [
        (user.name, NOW, repo.id),
        (other.name, NOW + timedelta(seconds=1), repo.id),
    ]
    assert [like.user for like in catalog.repo_likes(repo.id, 1, 1)] == [other.name]
    catalog.remove_like(repo.id, user.id)
    catalog.remove_like(repo.id, user.id)  # nothing left to remove: no error
    assert catalog.count_likes(repo.id) == 1
    catalog.delete_repo(repo.id)
    assert catalog.count_likes(repo.id) == 0
    assert catalog.user_likes(other.id, 0, 10) == []
    with pytest.raises(RepoNotFoundError):
        catalog.add_like(repo.id, user.id, NOW)


def test_a_users_likes_come_newest_first(catalog: Catalog, user: User) -> None:
    repos = [make_repo(user, name=f"w{index}") for index in range(3)]
    for index, each in enumerate(repos):
        catalog.add_repo(each)
        catalog.add_like(each.id, user.id, NOW + timedelta(minutes=index))
    likes = catalog.user_likes(user.id, 0, 10)
    assert [like.repo.id for like in likes] == [r.id for r in reversed(repos)]
    assert [like.repo.full_name for like in likes] == [r.full_name for r in reversed(repos)]
    assert {like.user for like in likes} == {user.name}
    assert [like.repo.id for like in catalog.user_likes(user.id, 1, 1)] == [repos[1].id]
