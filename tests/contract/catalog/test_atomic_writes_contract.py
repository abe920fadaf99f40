"""The Catalog contract for several calls as one transaction (``atomic``) and for conditional
object writes, the two compare-and-swap steps protocol front-ends build on (S3's
``If-None-Match: *`` and ``If-Match``, a repo created together with its ``main`` branch, an
action together with its audit event)."""

from __future__ import annotations

import contextlib
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout

import pytest
from tests.contract.catalog.samples import (
    NOW,
    make_commit,
    make_event,
    make_object,
    make_repo,
    make_tree,
    make_user,
    run_together,
)

from weighthouse.domain.catalog import Catalog, RepoQuery
from weighthouse.domain.errors import (
    EntryNotFoundError,
    PreconditionFailedError,
    RepoExistsError,
    RepoNotFoundError,
    RevisionNotFoundError,
    UserNotFoundError,
)
from weighthouse.domain.model import RefKind, Repo, RepoType, User

pytestmark = pytest.mark.contract


class AbortError(Exception):
    """Raised inside a block to make it roll back."""


def repo_exists(catalog: Catalog, repo: Repo) -> bool:
    try:
        catalog.get_repo(repo.type, repo.namespace, repo.name)
    except RepoNotFoundError:
        return False
    return True


# --- atomic -------------------------------------------------------------------------------
def test_a_block_commits_when_it_ends(catalog: Catalog, user: User) -> None:
    repo = make_repo(user, name="new")
    tree = make_tree()
    with catalog.atomic():
        catalog.add_repo(repo)
        catalog.save_commit(repo.id, make_commit(tree), [tree], "main", None)
        catalog.record_event(make_event("repo.create", target="alice/new"))
    assert repo_exists(catalog, repo)
    assert catalog.get_ref(repo.id, RefKind.BRANCH, "main").commit_id
    assert [e.action for e in catalog.list_events()] == ["repo.create"]


def test_a_block_that_raises_undoes_every_change(catalog: Catalog, user: User, repo: Repo) -> None:
    bucket = make_repo(user, name="bucket", type=RepoType.BUCKET)
    catalog.add_repo(bucket)
    catalog.put_object(bucket.id, make_object("kept", "old"))
    catalog.put_object(bucket.id, make_object("doomed"))
    new = make_repo(user, name="new")
    tree = make_tree()
    with pytest.raises(AbortError), catalog.atomic():
        catalog.add_user(make_user("bob"))
        catalog.add_repo(new)
        catalog.save_commit(new.id, make_commit(tree), [tree], "main", None)
        catalog.update_repo(Repo(**{**repo.__dict__, "private": True}))
        catalog.put_object(bucket.id, make_object("kept", "new"))
        catalog.put_object(bucket.id, make_object("added"))
        assert catalog.delete_object(bucket.id, "doomed").removed
        catalog.record_event(make_event("repo.create"))
        raise AbortError
    with pytest.raises(UserNotFoundError):
        catalog.get_user("bob")
    assert not repo_exists(catalog, new)
    with pytest.raises(RevisionNotFoundError):
        catalog.get_tree(new.id, tree.id)
    assert catalog.get_repo(repo.type, repo.namespace, repo.name) == repo
    assert catalog.get_object(bucket.id, "kept") == make_object("kept", "old")
    assert [o.key for o in catalog.list_objects(bucket.id, "", None, 10)] == ["doomed", "kept"]
    assert catalog.list_events() == []
    assert catalog.count_users() == 1


def test_a_domain_error_leaving_a_block_undoes_its_earlier_calls(
    catalog: Catalog, user: User, repo: Repo
) -> None:
    new = make_repo(user, name="new")
    with pytest.raises(RepoExistsError), catalog.atomic():
        catalog.add_repo(new)
        catalog.add_repo(make_repo(user, repo.namespace, repo.name))
    assert not repo_exists(catalog, new)


def test_a_nested_block_joins_the_outer_one(catalog: Catalog, user: User) -> None:
    inner_repo = make_repo(user, name="inner")
    with pytest.raises(AbortError), catalog.atomic():
        with catalog.atomic():
            catalog.add_repo(inner_repo)
        assert repo_exists(catalog, inner_repo)  # the block sees its own changes
        raise AbortError
    assert not repo_exists(catalog, inner_repo)
    with catalog.atomic(), catalog.atomic():
        catalog.add_repo(inner_repo)
    assert repo_exists(catalog, inner_repo)


def test_other_threads_never_see_changes_before_the_block_commits(
    catalog: Catalog, user: User
) -> None:
    """A reader in another thread either waits for the block or sees the state before it; it
    never sees a change that is then rolled back."""
    doomed = make_repo(user, name="doomed")
    kept = make_repo(user, name="kept")

    def look(repo: Repo) -> bool:
        return repo_exists(catalog, repo)

    with ThreadPoolExecutor(1) as pool:
        with pytest.raises(AbortError), catalog.atomic():
            catalog.add_repo(doomed)
            early = pool.submit(look, doomed)
            # The reader may wait for the block (also right) or answer from before it.
            with contextlib.suppress(FutureTimeout):
                assert early.result(timeout=0.5) is False
            raise AbortError
        assert early.result(timeout=30) is False
        with catalog.atomic():
            catalog.add_repo(kept)
        assert pool.submit(look, kept).result(timeout=30) is True


def test_blocks_in_different_threads_do_not_mix(catalog: Catalog, user: User) -> None:
    """Each thread's block commits or rolls back only its own changes. A catalog may run the
    blocks one after the other, so only their outcomes are checked."""

    def unit(index: int) -> None:
        with catalog.atomic():
            catalog.add_repo(make_repo(user, name=f"repo-{index}"))
            catalog.record_event(make_event("repo.create", target=f"repo-{index}"))
            if index % 2:
                raise AbortError

    results = run_together(6, unit)
    assert results == [None if index % 2 == 0 else results[index] for index in range(6)]
    assert all(isinstance(results[index], AbortError) for index in (1, 3, 5))
    assert [r.name for r in catalog.list_repos(RepoQuery())] == ["repo-0", "repo-2", "repo-4"]
    assert sorted(e.target for e in catalog.list_events()) == ["repo-0", "repo-2", "repo-4"]


# --- conditional object writes ------------------------------------------------------------
@pytest.fixture
def bucket(catalog: Catalog, user: User) -> Repo:
    stored = make_repo(user, name="bucket", type=RepoType.BUCKET)
    catalog.add_repo(stored)
    return stored


def test_if_none_match_creates_a_missing_key_only(catalog: Catalog, bucket: Repo) -> None:
    first = make_object("k", "first")
    catalog.put_object(bucket.id, first, if_none_match=True)
    assert catalog.get_object(bucket.id, "k") == first
    with pytest.raises(PreconditionFailedError):
        catalog.put_object(bucket.id, make_object("k", "second"), if_none_match=True)
    assert catalog.get_object(bucket.id, "k") == first
    catalog.put_object(bucket.id, make_object("K", "other key"), if_none_match=True)


def test_if_match_replaces_only_the_object_with_that_sha256(catalog: Catalog, bucket: Repo) -> None:
    old = make_object("k", "old")
    catalog.put_object(bucket.id, old)
    for wrong in (make_object("k", "other").sha256, old.sha256.upper(), ""):
        with pytest.raises(PreconditionFailedError):
            catalog.put_object(bucket.id, make_object("k", "lost"), if_match=wrong)
    assert catalog.get_object(bucket.id, "k") == old
    new = make_object("k", "new")
    catalog.put_object(bucket.id, new, if_match=old.sha256)
    assert catalog.get_object(bucket.id, "k") == new


def test_if_match_on_a_missing_key_fails(catalog: Catalog, bucket: Repo) -> None:
    obj = make_object("missing")
    with pytest.raises(PreconditionFailedError):
        catalog.put_object(bucket.id, obj, if_match=obj.sha256)
    with pytest.raises(EntryNotFoundError):
        catalog.get_object(bucket.id, "missing")
    catalog.put_object(bucket.id, make_object("deleted"))
    catalog.delete_object(bucket.id, "deleted")
    with pytest.raises(PreconditionFailedError):
        catalog.put_object(bucket.id, make_object("deleted"), if_match=obj.sha256)


def test_a_delete_with_if_sha256_removes_only_that_version(catalog: Catalog, bucket: Repo) -> None:
    old, new = make_object("cas", "old"), make_object("cas", "new")
    catalog.put_object(bucket.id, new)
    assert not catalog.delete_object(bucket.id, "cas", if_sha256=old.sha256).removed
    assert catalog.get_object(bucket.id, "cas") == new
    assert catalog.delete_object(bucket.id, "cas", if_sha256=new.sha256).removed
    with pytest.raises(EntryNotFoundError):
        catalog.get_object(bucket.id, "cas")
    assert not catalog.delete_object(bucket.id, "cas", if_sha256=new.sha256).removed


def test_concurrent_creators_of_one_key_have_exactly_one_winner(
    catalog: Catalog, bucket: Repo
) -> None:
    catalog.put_object(bucket.id, make_object("warm-up"), if_none_match=True)
    versions = [make_object("hot", f"version {index}") for index in range(16)]

    def create(index: int) -> int:
        catalog.put_object(bucket.id, versions[index], if_none_match=True)
        return index

    results = run_together(16, create)
    winners = [r for r in results if isinstance(r, int)]
    assert len(winners) == 1, results
    assert sum(isinstance(r, PreconditionFailedError) for r in results) == 15, results
    assert catalog.get_object(bucket.id, "hot") == versions[winners[0]]


def test_concurrent_swaps_from_one_version_have_exactly_one_winner(
    catalog: Catalog, bucket: Repo
) -> None:
    base = make_object("hot", "base")
    catalog.put_object(bucket.id, base)
    versions = [make_object("hot", f"version {index}") for index in range(16)]

    def swap(index: int) -> int:
        catalog.put_object(bucket.id, versions[index], if_match=base.sha256)
        return index

    results = run_together(16, swap)
    winners = [r for r in results if isinstance(r, int)]
    assert len(winners) == 1, results
    assert sum(isinstance(r, PreconditionFailedError) for r in results) == 15, results
    assert catalog.get_object(bucket.id, "hot") == versions[winners[0]]


def test_a_failed_precondition_in_a_block_undoes_the_block(catalog: Catalog, bucket: Repo) -> None:
    """An object write and its audit event land together or not at all."""
    catalog.put_object(bucket.id, make_object("k", "first"))
    with pytest.raises(PreconditionFailedError), catalog.atomic():
        catalog.record_event(make_event("object.put", target="k"))
        catalog.put_object(bucket.id, make_object("k", "second"), if_none_match=True)
    assert catalog.list_events() == []
    assert catalog.get_object(bucket.id, "k") == make_object("k", "first")
    with catalog.atomic():
        catalog.put_object(bucket.id, make_object("k2"), if_none_match=True)
        catalog.record_event(make_event("object.put", target="k2", detail={"at": str(NOW)}))
    assert [e.target for e in catalog.list_events()] == ["k2"]
