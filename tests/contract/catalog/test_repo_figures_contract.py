"""A repo's size and last-update time, kept by the catalog with every commit and object write,
and the listing orders by them, by creation time and by likes, with their cursors."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from tests.contract.catalog.samples import (
    NOW,
    file_entry,
    folder_entry,
    make_commit,
    make_object,
    make_repo,
    make_tree,
    make_user,
    run_together,
)

from weighthouse.domain.catalog import Catalog, RepoQuery
from weighthouse.domain.errors import PreconditionFailedError
from weighthouse.domain.model import NULL_VERSION, Repo, RepoOrder, RepoType, User


def stored(catalog: Catalog, repo: Repo) -> Repo:
    return catalog.get_repo(repo.type, repo.namespace, repo.name)


def test_a_new_repo_is_empty_and_was_last_updated_when_it_was_made(
    catalog: Catalog, repo: Repo
) -> None:
    found = stored(catalog, repo)
    assert (found.size, found.updated_at) == (0, NOW)


def test_a_models_size_is_the_bytes_at_the_head_of_main_and_any_commit_updates_it(
    catalog: Catalog, repo: Repo
) -> None:
    weights = make_tree(file_entry("a.bin", size=5), file_entry("b.bin", size=7))
    root = make_tree(file_entry("README.md", size=10), folder_entry("weights", weights))
    first = replace(make_commit(root), created_at=NOW + timedelta(minutes=1))
    catalog.save_commit(repo.id, first, [weights, root], "main", None)
    assert (stored(catalog, repo).size, stored(catalog, repo).updated_at) == (
        22,
        NOW + timedelta(minutes=1),
    )

    # A commit to another branch is an update, but the size stays main's.
    big = make_tree(file_entry("huge.bin", size=1000), folder_entry("weights", weights))
    side = replace(make_commit(big, first.id), created_at=NOW + timedelta(minutes=2))
    catalog.save_commit(repo.id, side, [big], "dev", None)
    assert (stored(catalog, repo).size, stored(catalog, repo).updated_at) == (
        22,
        NOW + timedelta(minutes=2),
    )

    # Back on main: a new root reusing the stored subtree, given only the new tree.
    again = make_tree(file_entry("README.md", size=3), folder_entry("weights", weights))
    second = replace(make_commit(again, first.id), created_at=NOW + timedelta(minutes=3))
    catalog.save_commit(repo.id, second, [again], "main", first.id)
    assert stored(catalog, repo).size == 15

    # A deeper new folder holding a stored one, both new trees given children first.
    outer = make_tree(folder_entry("inner", weights), file_entry("c.bin", size=100))
    deeper = make_tree(folder_entry("outer", outer))
    third = replace(make_commit(deeper, second.id), created_at=NOW + timedelta(minutes=4))
    catalog.save_commit(repo.id, third, [outer, deeper], "main", second.id)
    assert stored(catalog, repo).size == 112

    # Moving main back to a stored tree (no new trees at all) reads that tree's size.
    fourth = replace(make_commit(root, third.id), created_at=NOW + timedelta(minutes=5))
    catalog.save_commit(repo.id, fourth, [], "main", third.id)
    assert stored(catalog, repo).size == 22


def test_a_commit_that_loses_the_race_changes_no_figure(catalog: Catalog, repo: Repo) -> None:
    root = make_tree(file_entry("a.bin", size=5))
    first = make_commit(root)
    catalog.save_commit(repo.id, first, [root], "main", None)
    loser = replace(
        make_commit(make_tree(file_entry("b", size=9))), created_at=NOW + timedelta(hours=1)
    )
    with pytest.raises(Exception, match="no longer"):
        catalog.save_commit(repo.id, loser, [make_tree(file_entry("b", size=9))], "main", "0" * 40)
    assert (stored(catalog, repo).size, stored(catalog, repo).updated_at) == (5, NOW)


def make_bucket(catalog: Catalog, user: User, name: str = "data") -> Repo:
    bucket = make_repo(user, name=name, type=RepoType.BUCKET)
    catalog.add_repo(bucket)
    return bucket


def test_a_buckets_size_is_its_objects_bytes_through_writes_replacements_and_deletes(
    catalog: Catalog, user: User
) -> None:
    bucket = make_bucket(catalog, user)
    later = NOW + timedelta(seconds=30)
    catalog.put_object(bucket.id, make_object("a", size=10))
    catalog.put_object(bucket.id, replace(make_object("b", size=20), modified_at=later))
    assert (stored(catalog, bucket).size, stored(catalog, bucket).updated_at) == (30, later)

    catalog.put_object(bucket.id, make_object("a", "other", size=4))  # replaces 10 bytes
    assert stored(catalog, bucket).size == 24

    # Refused writes and deletes change nothing.
    with pytest.raises(PreconditionFailedError):
        catalog.put_object(bucket.id, make_object("a", size=99), if_none_match=True)
    with pytest.raises(PreconditionFailedError):
        catalog.put_object(bucket.id, make_object("a", size=99), if_match="0" * 64)
    assert not catalog.delete_object(bucket.id, "a", if_sha256="0" * 64).removed
    assert not catalog.delete_object(bucket.id, "missing").removed
    assert stored(catalog, bucket).size == 24

    conditional = make_object("a", "third", size=6)
    catalog.put_object(bucket.id, conditional, if_match=make_object("a", "other").sha256)
    assert stored(catalog, bucket).size == 26

    gone = NOW + timedelta(minutes=5)
    assert catalog.delete_object(bucket.id, "b", at=gone).removed
    assert (stored(catalog, bucket).size, stored(catalog, bucket).updated_at) == (6, gone)


def test_concurrent_writers_of_one_key_leave_the_exact_size(catalog: Catalog, user: User) -> None:
    bucket = make_bucket(catalog, user)
    sizes = [100 + index for index in range(8)]
    results = run_together(
        len(sizes),
        lambda index: catalog.put_object(
            bucket.id, make_object("k", str(index), size=sizes[index])
        ),
    )
    assert results == [NULL_VERSION] * len(sizes)
    last = catalog.get_object(bucket.id, "k")
    assert stored(catalog, bucket).size == last.size

    results = run_together(4, lambda index: catalog.delete_object(bucket.id, "k").removed)
    assert results.count(True) == 1
    assert stored(catalog, bucket).size == 0


def listing(catalog: Catalog, order: RepoOrder, limit: int) -> list[str]:
    """Every repo's full name, page by page, each page continuing from the last repo's key."""
    names: list[str] = []
    query = RepoQuery(order=order, limit=limit)
    while page := catalog.list_repos(query):
        names += [f"{r.type.value}:{r.full_name}" for r in page]
        last = page[-1]
        keys = {
            RepoOrder.SIZE: last.size,
            RepoOrder.UPDATED: last.updated_at,
            RepoOrder.CREATED: last.created_at,
            RepoOrder.LIKES: catalog.count_likes(last.id),
        }
        key = keys[order]
        query = replace(query, after=(last.full_name, last.type), after_key=key)
    return names


def test_repos_list_largest_first_or_latest_first_with_ties_by_name_and_page_exactly(
    catalog: Catalog, user: User
) -> None:
    figures = {"a": (30, 1), "b": (10, 3), "c": (30, 2), "d": (0, 3), "e": (10, 0)}
    for name, (size, minute) in figures.items():
        bucket = make_bucket(catalog, user, name)
        at = NOW + timedelta(minutes=minute, microseconds=1 if name == "d" else 0)
        if size:
            catalog.put_object(bucket.id, replace(make_object("x", size=size), modified_at=at))
        else:
            catalog.put_object(bucket.id, replace(make_object("x", size=1), modified_at=at))
            catalog.delete_object(bucket.id, "x", at=at)
    model = make_repo(user, name="c")  # same name as a bucket: ties go by type
    catalog.add_repo(model)

    by_size = ["bucket:alice/a", "bucket:alice/c", "bucket:alice/b", "bucket:alice/e"]
    by_size += ["model:alice/c", "bucket:alice/d"]  # both empty: by name
    by_time = ["bucket:alice/d", "bucket:alice/b", "bucket:alice/c", "bucket:alice/a"]
    by_time += ["model:alice/c", "bucket:alice/e"]  # both at NOW: by name
    for limit in (1, 2, 100):
        assert listing(catalog, RepoOrder.SIZE, limit) == by_size
        assert listing(catalog, RepoOrder.UPDATED, limit) == by_time
    names = [r.full_name for r in catalog.list_repos(RepoQuery(order=RepoOrder.NAME))]
    assert names == ["alice/a", "alice/b", "alice/c", "alice/c", "alice/d", "alice/e"]


def test_repos_list_newest_first_or_most_liked_first_with_ties_by_name_and_page_exactly(
    catalog: Catalog, user: User
) -> None:
    # name: (minutes after NOW it was made, how many users like it)
    figures = {"a": (1, 1), "b": (3, 2), "c": (2, 0), "d": (3, 1), "e": (0, 3)}
    likers = [make_user(f"fan{index}") for index in range(3)]
    for liker in likers:
        catalog.add_user(liker)
    for name, (minute, likes) in figures.items():
        made = NOW + timedelta(minutes=minute, microseconds=1 if name == "d" else 0)
        repo = replace(make_repo(user, name=name), created_at=made)
        catalog.add_repo(repo)
        for liker in likers[:likes]:
            catalog.add_like(repo.id, liker.id, NOW)
    bucket = replace(make_repo(user, name="c", type=RepoType.BUCKET), created_at=NOW)
    catalog.add_repo(bucket)  # same name as a model: ties go by type

    by_time = ["model:alice/d", "model:alice/b", "model:alice/c", "model:alice/a"]
    by_time += ["bucket:alice/c", "model:alice/e"]  # both made at NOW: by name, then type
    by_likes = ["model:alice/e", "model:alice/b", "model:alice/a", "model:alice/d"]
    by_likes += ["bucket:alice/c", "model:alice/c"]  # neither liked
    for limit in (1, 2, 100):
        assert listing(catalog, RepoOrder.CREATED, limit) == by_time
        assert listing(catalog, RepoOrder.LIKES, limit) == by_likes


def test_renaming_or_changing_a_repo_keeps_its_figures(catalog: Catalog, user: User) -> None:
    bucket = make_bucket(catalog, user)
    catalog.put_object(bucket.id, make_object("k", size=42))
    catalog.update_repo(replace(bucket, private=True, description="changed", size=0))
    catalog.rename_repo(bucket.id, "alice", "renamed")
    found = catalog.get_repo(RepoType.BUCKET, "alice", "renamed")
    assert (found.size, found.updated_at, found.private) == (42, NOW, True)
    found_again, _ = catalog.find_object(RepoType.BUCKET, "alice", "renamed", "k")
    assert (found_again.size, found_again.updated_at) == (42, NOW)
