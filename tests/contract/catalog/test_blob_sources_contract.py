"""The Catalog contract for proof before reuse, on every database: upload records, and the repos
and buckets that hold a blob, listed only when the caller may see them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from tests.contract.catalog.samples import (
    NOW,
    as_member,
    digest,
    file_entry,
    folder_entry,
    make_commit,
    make_object,
    make_org,
    make_repo,
    make_tree,
    make_user,
)

from weighthouse.domain.model import Repo, RepoType, Role, User
from weighthouse.domain.ports import BlobSourceQuery, Catalog

pytestmark = pytest.mark.contract

LONG_AGO = NOW - timedelta(days=365)


def commit_files(catalog: Catalog, repo: Repo, *contents: str, nested: bool = False) -> None:
    """Commit one file per content to ``main`` (inside a folder when ``nested``)."""
    files = [file_entry(f"f{i}", content) for i, content in enumerate(contents)]
    trees = [make_tree(*files)]
    if nested:
        trees.insert(0, make_tree(folder_entry("dir", trees[0])))
    catalog.save_commit(repo.id, make_commit(trees[0]), trees, "main", None)


def sources_for(
    catalog: Catalog,
    user: User | None,
    *hashes: str,
    since: object = LONG_AGO,
    **fields: object,
) -> tuple[set[str], dict[str, list[str]]]:
    """``(uploaded, {sha256: [full names of the holders]})`` as ``user`` sees them."""
    query = BlobSourceQuery(
        user_id=user.id if user else None,
        uploaded_since=since,  # type: ignore[arg-type]
        **fields,  # type: ignore[arg-type]
    )
    found = catalog.find_blob_sources(hashes, query)
    holders = {sha: [r.full_name for r in repos] for sha, repos in found.holders.items()}
    return set(found.uploaded), holders


# --- upload records -------------------------------------------------------------------------
def test_an_upload_counts_for_its_uploader_only_and_only_since_the_cutoff(
    catalog: Catalog, user: User
) -> None:
    other = make_user("bob")
    catalog.add_user(other)
    sha = digest("weights")
    catalog.record_blob_upload(user.id, sha, 7, NOW)
    assert sources_for(catalog, user, sha) == ({sha}, {})
    assert sources_for(catalog, user, sha, since=NOW) == ({sha}, {})
    assert sources_for(catalog, user, sha, since=NOW + timedelta(microseconds=1)) == (set(), {})
    assert sources_for(catalog, other, sha) == (set(), {})
    assert sources_for(catalog, None, sha) == (set(), {})


def test_uploading_again_refreshes_the_record(catalog: Catalog, user: User) -> None:
    sha = digest("weights")
    catalog.record_blob_upload(user.id, sha, 7, NOW - timedelta(hours=10))
    catalog.record_blob_upload(user.id, sha, 7, NOW)  # idempotent: one row, the newer time
    catalog.record_blob_upload(user.id, sha, 7, NOW)
    assert sources_for(catalog, user, sha, since=NOW - timedelta(hours=1))[0] == {sha}
    assert catalog.prune_blob_uploads(NOW - timedelta(hours=1)) == 0


def test_pruning_forgets_only_records_older_than_the_cutoff(catalog: Catalog, user: User) -> None:
    old, new = digest("old"), digest("new")
    catalog.record_blob_upload(user.id, old, 3, NOW - timedelta(hours=7))
    catalog.record_blob_upload(user.id, new, 3, NOW)
    assert catalog.prune_blob_uploads(NOW - timedelta(hours=6)) == 1
    assert catalog.prune_blob_uploads(NOW - timedelta(hours=6)) == 0
    assert sources_for(catalog, user, old, new)[0] == {new}


# --- holders --------------------------------------------------------------------------------
def test_tree_entries_at_any_depth_and_bucket_objects_hold_blobs(
    catalog: Catalog, user: User
) -> None:
    model = make_repo(user, name="model")
    bucket = make_repo(user, name="bucket", type=RepoType.BUCKET)
    for repo in (model, bucket):
        catalog.add_repo(repo)
    commit_files(catalog, model, "deep", nested=True)
    catalog.put_object(bucket.id, make_object("k", "in a bucket"))
    deep, boxed, nowhere = digest("deep"), digest("in a bucket"), digest("nowhere")
    found = catalog.find_blob_sources([deep, boxed, nowhere], BlobSourceQuery(user.id, NOW))
    assert found.uploaded == frozenset()
    assert {sha: list(repos) for sha, repos in found.holders.items()} == {
        deep: [model],
        boxed: [bucket],
    }


def test_an_upload_record_settles_a_blob_without_listing_holders(
    catalog: Catalog, user: User, repo: Repo
) -> None:
    commit_files(catalog, repo, "both")
    sha = digest("both")
    catalog.record_blob_upload(user.id, sha, 4, NOW)
    assert sources_for(catalog, user, sha) == ({sha}, {})


def test_private_holders_are_listed_only_for_those_who_may_read_them(
    catalog: Catalog, user: User
) -> None:
    """The owner's namespace, a membership of the owning organisation and a collaboration list
    a private repo; nothing else does, and public repos are listed for everyone."""
    member, collaborator, outsider = make_user("mia"), make_user("cole"), make_user("otto")
    for someone in (member, collaborator, outsider):
        catalog.add_user(someone)
    org = make_org("acme")
    catalog.add_org(org, as_member(user))
    catalog.set_member(org.id, as_member(member, Role.READ))
    own = make_repo(user, name="own", private=True)
    in_org = make_repo(user, "acme", "secret", private=True)
    shared = make_repo(user, name="shared", private=True)
    public = make_repo(user, name="public")
    for repo in (own, in_org, shared, public):
        catalog.add_repo(repo)
    catalog.set_collaborator(shared.id, as_member(collaborator, Role.READ))
    commit_files(catalog, own, "own")
    commit_files(catalog, in_org, "org")
    commit_files(catalog, shared, "shared")
    commit_files(catalog, public, "public")
    hashes = [digest(c) for c in ("own", "org", "shared", "public")]

    def seen(viewer: User | None, **fields: object) -> set[str]:
        return {
            name
            for names in sources_for(catalog, viewer, *hashes, **fields)[1].values()
            for name in names
        }

    assert seen(user) == {"alice/own", "acme/secret", "alice/shared", "alice/public"}
    assert seen(member) == {"acme/secret", "alice/public"}
    assert seen(collaborator) == {"alice/shared", "alice/public"}
    assert seen(outsider) == seen(None) == {"alice/public"}
    assert seen(outsider, see_all=True) == seen(user)
    assert seen(user, restrict_to=("acme",)) == {"acme/secret", "alice/public"}
    assert seen(user, restrict_to=("alice/shared",)) == {"alice/shared", "alice/public"}

    catalog.remove_member(org.id, member.id)
    catalog.remove_collaborator(shared.id, collaborator.id)
    assert seen(member) == seen(collaborator) == {"alice/public"}


def test_the_preferred_repo_comes_first_and_holders_are_bounded(
    catalog: Catalog, user: User
) -> None:
    repos = [make_repo(user, name=f"r{i}") for i in range(6)]
    for repo in repos:
        catalog.add_repo(repo)
        commit_files(catalog, repo, "popular", "popular too")
    sha = digest("popular")
    target = repos[4]
    found = catalog.find_blob_sources(
        [sha], BlobSourceQuery(user.id, NOW, prefer_repo_id=target.id, per_blob=3)
    )
    holders = found.holders[sha]
    assert len(holders) == 3 and holders[0] == target
    assert len({r.id for r in holders}) == 3
    unbounded = catalog.find_blob_sources([sha], BlobSourceQuery(user.id, NOW, per_blob=100))
    assert {r.id for r in unbounded.holders[sha]} == {r.id for r in repos}


def test_a_repo_is_one_holder_however_many_trees_hold_the_blob(
    catalog: Catalog, user: User, repo: Repo
) -> None:
    trees = [
        make_tree(file_entry("same", "same"), file_entry(f"other{i}", str(i))) for i in range(5)
    ]
    parent = None
    for tree in trees:
        commit = make_commit(tree, parent)
        catalog.save_commit(repo.id, commit, [tree], "main", parent)
        parent = commit.id
    found = catalog.find_blob_sources([digest("same")], BlobSourceQuery(user.id, NOW))
    assert found.holders[digest("same")] == (repo,)


def test_deleted_objects_and_repos_hold_nothing(catalog: Catalog, user: User) -> None:
    bucket = make_repo(user, name="bucket", type=RepoType.BUCKET)
    model = make_repo(user, name="model")
    for repo in (bucket, model):
        catalog.add_repo(repo)
    catalog.put_object(bucket.id, make_object("k", "gone"))
    commit_files(catalog, model, "gone too")
    catalog.delete_object(bucket.id, "k")
    catalog.delete_repo(model.id)
    assert sources_for(catalog, user, digest("gone"), digest("gone too")) == (set(), {})


# --- xorb records ---------------------------------------------------------------------------
def test_a_xorb_record_is_found_by_its_uploader_only_and_only_since_the_cutoff(
    catalog: Catalog, user: User
) -> None:
    other = make_user("xorbother")
    catalog.add_user(other)
    xorb, sha = "1" * 64, digest("xorb bytes")
    catalog.record_xorb(user.id, xorb, sha, 10, NOW)
    assert catalog.find_xorb(user.id, xorb, NOW - timedelta(seconds=1)) == (sha, 10)
    assert catalog.find_xorb(user.id, xorb, NOW + timedelta(seconds=1)) is None
    assert catalog.find_xorb(other.id, xorb, LONG_AGO) is None
    assert catalog.find_xorb(user.id, "2" * 64, LONG_AGO) is None
    # A later upload replaces the record (the same xorb stored again, maybe elsewhere).
    catalog.record_xorb(user.id, xorb, digest("again"), 11, NOW + timedelta(seconds=5))
    assert catalog.find_xorb(user.id, xorb, NOW + timedelta(seconds=1)) == (digest("again"), 11)


def test_pruning_upload_records_prunes_xorb_records(catalog: Catalog, user: User) -> None:
    catalog.record_xorb(user.id, "3" * 64, digest("old"), 1, LONG_AGO)
    catalog.record_xorb(user.id, "4" * 64, digest("new"), 1, NOW)
    assert catalog.prune_blob_uploads(NOW - timedelta(days=1)) >= 1
    assert catalog.find_xorb(user.id, "3" * 64, LONG_AGO) is None
    assert catalog.find_xorb(user.id, "4" * 64, LONG_AGO) == (digest("new"), 1)
