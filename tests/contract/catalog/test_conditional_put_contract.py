"""Conditional ``put_object``: a compare-and-swap decided by the catalog in the write itself.

Racing writers are released at the same instant from many threads; of those that share a
condition exactly one may win, on every database.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from tests.contract.catalog.samples import make_object, new_id, run_together

from weighthouse.domain.errors import (
    EntryNotFoundError,
    PreconditionFailedError,
    RepoNotFoundError,
)
from weighthouse.domain.model import NULL_VERSION, BucketObject, Repo
from weighthouse.domain.ports import Catalog

pytestmark = pytest.mark.contract

RACERS = 16


def test_if_none_match_creates_a_missing_key(catalog: Catalog, repo: Repo) -> None:
    catalog.put_object(repo.id, make_object("k", "first"), if_none_match=True)
    assert catalog.get_object(repo.id, "k") == make_object("k", "first")


def test_if_none_match_refuses_an_existing_key_and_changes_nothing(
    catalog: Catalog, repo: Repo
) -> None:
    catalog.put_object(repo.id, make_object("k", "first"))
    with pytest.raises(PreconditionFailedError):
        catalog.put_object(repo.id, make_object("k", "second"), if_none_match=True)
    assert catalog.get_object(repo.id, "k") == make_object("k", "first")


def test_if_none_match_is_per_key_and_per_bucket(
    catalog: Catalog, repo: Repo, other_bucket: Repo
) -> None:
    catalog.put_object(repo.id, make_object("k"))
    catalog.put_object(repo.id, make_object("k2"), if_none_match=True)
    catalog.put_object(other_bucket.id, make_object("k"), if_none_match=True)
    assert catalog.get_object(other_bucket.id, "k") == make_object("k")


def test_if_match_replaces_the_object_with_that_sha256(catalog: Catalog, repo: Repo) -> None:
    first = make_object("k", "first")
    catalog.put_object(repo.id, first)
    second = make_object("k", "second")
    catalog.put_object(repo.id, second, if_match=first.sha256)
    assert catalog.get_object(repo.id, "k") == second


def test_if_match_refuses_another_sha256_and_changes_nothing(catalog: Catalog, repo: Repo) -> None:
    first = make_object("k", "first")
    catalog.put_object(repo.id, first)
    with pytest.raises(PreconditionFailedError):
        catalog.put_object(repo.id, make_object("k", "x"), if_match=make_object("k", "y").sha256)
    assert catalog.get_object(repo.id, "k") == first


def test_if_match_refuses_a_missing_key_and_creates_nothing(catalog: Catalog, repo: Repo) -> None:
    with pytest.raises(PreconditionFailedError):
        catalog.put_object(repo.id, make_object("k"), if_match=make_object("k").sha256)
    with pytest.raises(EntryNotFoundError):
        catalog.get_object(repo.id, "k")


def test_if_match_can_store_the_same_content_again(catalog: Catalog, repo: Repo) -> None:
    first = make_object("k", "same")
    catalog.put_object(repo.id, first)
    again = make_object("k", "same")
    catalog.put_object(repo.id, again, if_match=first.sha256)
    assert catalog.get_object(repo.id, "k") == again


def test_both_conditions_at_once_are_a_programming_error(catalog: Catalog, repo: Repo) -> None:
    obj = make_object("k")
    with pytest.raises(ValueError, match="not both"):
        catalog.put_object(repo.id, obj, if_none_match=True, if_match=obj.sha256)


def test_racing_creators_of_one_key_have_exactly_one_winner(catalog: Catalog, repo: Repo) -> None:
    bodies = [make_object("hot", f"body {i}") for i in range(RACERS)]
    results = run_together(
        RACERS, lambda i: catalog.put_object(repo.id, bodies[i], if_none_match=True)
    )
    winners = [i for i, result in enumerate(results) if result == NULL_VERSION]
    losers = [r for r in results if isinstance(r, PreconditionFailedError)]
    assert len(winners) == 1 and len(losers) == RACERS - 1, results
    assert catalog.get_object(repo.id, "hot") == bodies[winners[0]]


def test_racing_replacers_of_one_version_have_exactly_one_winner(
    catalog: Catalog, repo: Repo
) -> None:
    base = make_object("hot", "base")
    catalog.put_object(repo.id, base)
    bodies = [make_object("hot", f"body {i}") for i in range(RACERS)]
    results = run_together(
        RACERS, lambda i: catalog.put_object(repo.id, bodies[i], if_match=base.sha256)
    )
    winners = [i for i, result in enumerate(results) if result == NULL_VERSION]
    losers = [r for r in results if isinstance(r, PreconditionFailedError)]
    assert len(winners) == 1 and len(losers) == RACERS - 1, results
    assert catalog.get_object(repo.id, "hot") == bodies[winners[0]]


def test_a_chain_of_replacers_each_seeing_the_last_version_all_win(
    catalog: Catalog, repo: Repo
) -> None:
    """Compare-and-swap in a loop, as clients do: read the version, then replace it."""
    catalog.put_object(repo.id, make_object("counter", "0"))

    def bump(_: int) -> int:
        wins = 0
        for _attempt in range(200):
            current = catalog.get_object(repo.id, "counter")
            following = make_object("counter", str(int(current_text(current)) + 1))
            try:
                catalog.put_object(repo.id, following, if_match=current.sha256)
            except PreconditionFailedError:
                continue
            wins += 1
            if wins == 5:
                return wins
        return wins

    results = run_together(4, bump)
    assert results == [5, 5, 5, 5]
    assert current_text(catalog.get_object(repo.id, "counter")) == "20"


COUNTER_TEXTS: dict[str, str] = {make_object("counter", str(n)).sha256: str(n) for n in range(100)}


def current_text(obj: BucketObject) -> str:
    return COUNTER_TEXTS[obj.sha256]


@pytest.fixture
def other_bucket(catalog: Catalog, repo: Repo) -> Repo:
    bucket = replace(repo, id=new_id(), name="other")
    catalog.add_repo(bucket)
    return bucket


def test_a_write_into_a_deleted_bucket_is_repo_not_found(catalog: Catalog, repo: Repo) -> None:
    catalog.delete_repo(repo.id)
    with pytest.raises(RepoNotFoundError):
        catalog.put_object(repo.id, make_object("k"))


def test_writes_racing_the_buckets_delete_each_store_or_find_no_bucket(
    catalog: Catalog, repo: Repo
) -> None:
    # Writes that share a commit with others (SQLite's group commit) included: a write whose
    # bucket went meanwhile fails alone, as a missing bucket, never as a database error.
    def task(index: int) -> None:
        if index == 0:
            catalog.delete_repo(repo.id)
        else:
            catalog.put_object(repo.id, make_object(f"k{index}"))

    outcomes = run_together(RACERS, task)
    assert all(o is None or isinstance(o, RepoNotFoundError) for o in outcomes), outcomes
