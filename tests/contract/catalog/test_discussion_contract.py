"""The discussions part of the catalog contract (discussions and pull requests), on every
implementation."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import timedelta

import pytest
from tests.contract.catalog.samples import NOW, make_repo, make_user, new_id

from weighthouse.domain.catalog import Catalog
from weighthouse.domain.discussions_model import (
    Discussion,
    DiscussionEvent,
    DiscussionQuery,
    DiscussionStatus,
    EventKind,
)
from weighthouse.domain.errors import NotFoundError, RepoNotFoundError
from weighthouse.domain.model import Repo, RepoType, User

pytestmark = pytest.mark.contract


def opened(repo: Repo, user: User, title: str = "t", *, pr: bool = False) -> Discussion:
    return Discussion(
        repo_id=repo.id,
        num=0,
        title=title,
        author_id=user.id,
        status=DiscussionStatus.DRAFT if pr else DiscussionStatus.OPEN,
        is_pull_request=pr,
        created_at=NOW,
        target_branch="main" if pr else None,
        base_commit="a" * 40 if pr else None,
    )


def said(repo: Repo, user: User, text: str, num: int = 0) -> DiscussionEvent:
    return DiscussionEvent(repo.id, num, 0, EventKind.COMMENT, user.id, text, NOW)


def test_discussions_are_numbered_per_repo_and_read_back(
    catalog: Catalog, repo: Repo, user: User
) -> None:
    first = catalog.add_discussion(opened(repo, user, "one"), said(repo, user, "hello"))
    second = catalog.add_discussion(opened(repo, user, "two", pr=True), None)
    assert (first, second) == (1, 2)
    other = make_repo(user, name="other", type=RepoType.DATASET)
    catalog.add_repo(other)
    assert catalog.add_discussion(opened(other, user), None) == 1
    stored = catalog.get_discussion(repo.id, 2)
    assert stored == replace(opened(repo, user, "two", pr=True), num=2, author=user.name)
    assert [(e.seq, e.content, e.author) for e in catalog.discussion_events(repo.id, 1)] == [
        (1, "hello", user.name)
    ]
    assert catalog.discussion_events(repo.id, 2) == []
    with pytest.raises(NotFoundError):
        catalog.get_discussion(repo.id, 3)
    with pytest.raises(RepoNotFoundError):
        catalog.add_discussion(replace(opened(repo, user), repo_id=new_id()), None)


def test_listing_filters_pages_and_counts(catalog: Catalog, repo: Repo, user: User) -> None:
    bob = make_user("bob")
    catalog.add_user(bob)
    for index in range(5):
        author = bob if index % 2 else user
        catalog.add_discussion(opened(repo, author, f"d{index}", pr=index >= 3), None)
    page, total = catalog.list_discussions(DiscussionQuery(repo.id, offset=1, limit=2))
    assert ([d.num for d in page], total) == ([4, 3], 5)
    prs, total = catalog.list_discussions(DiscussionQuery(repo.id, is_pull_request=True))
    assert ([d.num for d in prs], total) == ([5, 4], 2)
    bobs, _ = catalog.list_discussions(DiscussionQuery(repo.id, author_id=bob.id))
    assert [(d.num, d.author) for d in bobs] == [(4, "bob"), (2, "bob")]
    drafts, _ = catalog.list_discussions(DiscussionQuery(repo.id, status=DiscussionStatus.DRAFT))
    assert [d.num for d in drafts] == [5, 4]


def test_updates_and_events(catalog: Catalog, repo: Repo, user: User) -> None:
    num = catalog.add_discussion(opened(repo, user), None)
    for text in ("a", "b"):
        catalog.add_discussion_event(said(repo, user, text, num))
    later = replace(said(repo, user, "c", num), created_at=NOW + timedelta(seconds=1))
    assert catalog.add_discussion_event(later) == 3
    catalog.update_discussion_event(replace(said(repo, user, "B", num), seq=2, edited=True))
    events = catalog.discussion_events(repo.id, num)
    assert [(e.seq, e.content, e.edited) for e in events] == [
        (1, "a", False),
        (2, "B", True),
        (3, "c", False),
    ]
    stored = catalog.get_discussion(repo.id, num)
    catalog.update_discussion(
        replace(stored, title="new", status=DiscussionStatus.MERGED, merge_commit="b" * 40)
    )
    changed = catalog.get_discussion(repo.id, num)
    assert (changed.title, changed.status, changed.merge_commit) == (
        "new",
        DiscussionStatus.MERGED,
        "b" * 40,
    )
    with pytest.raises(NotFoundError):
        catalog.add_discussion_event(said(repo, user, "x", num + 1))


def test_concurrent_discussions_get_distinct_numbers(
    catalog: Catalog, repo: Repo, user: User
) -> None:
    with ThreadPoolExecutor(4) as pool:
        numbers = list(
            pool.map(lambda _: catalog.add_discussion(opened(repo, user), None), range(8))
        )
    assert sorted(numbers) == list(range(1, 9))


def test_discussions_go_with_their_repo(catalog: Catalog, repo: Repo, user: User) -> None:
    num = catalog.add_discussion(opened(repo, user), said(repo, user, "hi"))
    catalog.add_discussion_event(said(repo, user, "more", num))
    catalog.delete_repo(repo.id)
    with pytest.raises(NotFoundError):
        catalog.get_discussion(repo.id, num)
    assert catalog.discussion_events(repo.id, num) == []
