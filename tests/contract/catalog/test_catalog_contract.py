"""The Catalog contract, run against every implementation: in memory and on every database the
SQL catalog supports.

Each test gets an empty catalog (see ``conftest.py``) and talks to it only through the port.
"""

from __future__ import annotations

import inspect
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from tests.contract.catalog.samples import (
    NOW,
    digest,
    file_entry,
    folder_entry,
    make_commit,
    make_object,
    make_repo,
    make_token,
    make_tree,
    make_user,
    new_id,
    run_together,
)

from weighthouse.domain.catalog import Catalog, RepoQuery
from weighthouse.domain.errors import (
    CommitConflictError,
    EntryNotFoundError,
    RefExistsError,
    RepoExistsError,
    RepoNotFoundError,
    RevisionNotFoundError,
    TokenNotFoundError,
    UserExistsError,
    UserNotFoundError,
)
from weighthouse.domain.model import Ref, RefKind, Repo, RepoType, Tree, User

pytestmark = pytest.mark.contract

TRICKY_KEYS = [
    "a",
    "a-b",
    "a.b",
    "a/b",
    "a/b/c",
    "a0",
    "ab",
    "A",
    "Z",
    "z",
    "é",
    "éa",
    "\u00ff",
    "\u0100",
    "\uffff",
    "😀",
    "😀/x",
    "日本/語",
    "%",
    "_",
    "a%",
    "a_b",
]
"""Keys whose byte order differs from naive string orders: case, '-' and '.' before '/',
Latin-1 against code points past U+00FF, characters outside the BMP (surrogates in UTF-16), and
LIKE wildcards."""


def in_byte_order(names: list[str]) -> list[str]:
    return sorted(names, key=lambda name: name.encode("utf-8"))


def port_methods() -> list[str]:
    return sorted(name for name in dir(Catalog) if not name.startswith("_"))


def test_the_catalog_offers_every_method_of_the_port(catalog: Catalog) -> None:
    """With the port's parameter names and kinds, so keyword calls work on every catalog."""
    assert len(port_methods()) > 40
    for name in port_methods():
        wanted = inspect.signature(getattr(Catalog, name)).parameters
        offered = inspect.signature(getattr(type(catalog), name)).parameters
        shape = [(p.name, p.kind) for p in wanted.values()]
        assert [(p.name, p.kind) for p in offered.values()] == shape, name


# --- accounts -----------------------------------------------------------------------------
def test_a_user_round_trips_by_name_and_id(catalog: Catalog) -> None:
    user = replace(make_user("alice", is_admin=True), disabled=True)
    catalog.add_user(user)
    assert catalog.get_user("alice") == user
    assert catalog.get_user_by_id(user.id) == user


def test_a_taken_user_name_raises_user_exists(catalog: Catalog, user: User) -> None:
    with pytest.raises(UserExistsError):
        catalog.add_user(make_user(user.name))


def test_user_names_are_unique_in_any_case_and_looked_up_exactly(catalog: Catalog) -> None:
    catalog.add_user(make_user("Foo"))
    for impostor in ("foo", "FOO", "fOo"):
        with pytest.raises(UserExistsError):
            catalog.add_user(make_user(impostor))
    assert catalog.get_user("Foo").name == "Foo"
    with pytest.raises(UserNotFoundError):
        catalog.get_user("FOO")
    assert [u.name for u in catalog.list_users()] == ["Foo"]


def test_missing_users_raise_user_not_found(catalog: Catalog) -> None:
    with pytest.raises(UserNotFoundError):
        catalog.get_user("nobody")
    with pytest.raises(UserNotFoundError):
        catalog.get_user_by_id(new_id())


def test_users_are_listed_in_name_byte_order_and_counted(catalog: Catalog) -> None:
    names = ["bob", "Carol", "a-b", "a.b", "a_b", "ab", "a"]
    for name in names:
        catalog.add_user(make_user(name))
    assert [u.name for u in catalog.list_users()] == in_byte_order(names)
    assert catalog.count_users() == len(names)


def test_tokens_round_trip_and_are_listed_per_user(catalog: Catalog, user: User) -> None:
    other = make_user("bob")
    catalog.add_user(other)
    first = make_token(user, "first", expires_at=NOW + timedelta(days=30))
    second = make_token(user, "second")
    catalog.add_token(first)
    catalog.add_token(second)
    catalog.add_token(make_token(other))
    assert catalog.get_token(first.id) == first
    assert {t.id for t in catalog.list_tokens(user.id)} == {first.id, second.id}
    assert catalog.list_tokens(new_id()) == []


def test_a_missing_token_raises_token_not_found(catalog: Catalog) -> None:
    with pytest.raises(TokenNotFoundError):
        catalog.get_token(new_id())
    with pytest.raises(TokenNotFoundError):
        catalog.revoke_token(new_id(), NOW)


def test_revoking_is_idempotent_and_keeps_the_first_time(catalog: Catalog, user: User) -> None:
    token = make_token(user)
    catalog.add_token(token)
    catalog.revoke_token(token.id, NOW)
    catalog.revoke_token(token.id, NOW + timedelta(hours=1))
    assert catalog.get_token(token.id).revoked_at == NOW


def test_touching_a_token_records_its_use(catalog: Catalog, user: User) -> None:
    token = make_token(user)
    catalog.add_token(token)
    used = NOW + timedelta(minutes=5)
    catalog.touch_token(token.id, used)
    catalog.touch_token(new_id(), used)  # a missing token is ignored
    assert catalog.get_token(token.id).last_used_at == used


def test_a_token_for_a_missing_user_raises_user_not_found(catalog: Catalog) -> None:
    with pytest.raises(UserNotFoundError):
        catalog.add_token(make_token(make_user("ghost")))


def test_datetimes_come_back_aware_in_utc(catalog: Catalog, user: User) -> None:
    paris = timezone(timedelta(hours=2))
    created = datetime(2026, 6, 1, 14, 0, 0, 999999, tzinfo=paris)
    token = make_token(user, expires_at=datetime(2030, 1, 1, tzinfo=UTC))
    catalog.add_token(replace(token, created_at=created))
    stored = catalog.get_token(token.id)
    assert stored.created_at == created
    assert stored.created_at.tzinfo == UTC
    assert stored.created_at.hour == 12
    assert stored.expires_at == datetime(2030, 1, 1, tzinfo=UTC)
    assert stored.revoked_at is None


# --- repos --------------------------------------------------------------------------------
def test_a_repo_round_trips(catalog: Catalog, repo: Repo) -> None:
    assert catalog.get_repo(repo.type, repo.namespace, repo.name) == repo


def test_a_taken_repo_name_raises_repo_exists(catalog: Catalog, user: User, repo: Repo) -> None:
    with pytest.raises(RepoExistsError):
        catalog.add_repo(make_repo(user, repo.namespace, repo.name))


def test_repo_names_are_case_sensitive_and_scoped_by_type(
    catalog: Catalog, user: User, repo: Repo
) -> None:
    upper = make_repo(user, repo.namespace, repo.name.upper())
    dataset = make_repo(user, repo.namespace, repo.name, type=RepoType.DATASET)
    catalog.add_repo(upper)
    catalog.add_repo(dataset)
    assert catalog.get_repo(RepoType.MODEL, repo.namespace, repo.name.upper()) == upper
    assert catalog.get_repo(RepoType.DATASET, repo.namespace, repo.name) == dataset
    with pytest.raises(RepoNotFoundError):
        catalog.get_repo(RepoType.MODEL, repo.namespace.upper(), repo.name)


def test_a_missing_repo_raises_repo_not_found(catalog: Catalog) -> None:
    with pytest.raises(RepoNotFoundError):
        catalog.get_repo(RepoType.MODEL, "nobody", "nothing")


def test_a_repo_for_a_missing_owner_raises_user_not_found(catalog: Catalog) -> None:
    with pytest.raises(UserNotFoundError):
        catalog.add_repo(make_repo(make_user("ghost")))


def test_updating_stores_privacy_and_description(catalog: Catalog, repo: Repo) -> None:
    changed = replace(repo, private=True, description="now private ✓")
    catalog.update_repo(changed)
    assert catalog.get_repo(repo.type, repo.namespace, repo.name) == changed
    catalog.update_repo(changed)  # changes nothing, and still finds the repo


def test_updating_a_missing_repo_raises_repo_not_found(catalog: Catalog, user: User) -> None:
    with pytest.raises(RepoNotFoundError):
        catalog.update_repo(make_repo(user))


def test_renaming_moves_the_repo_and_frees_its_old_name(
    catalog: Catalog, repo: Repo, user: User
) -> None:
    catalog.rename_repo(repo.id, "acme", "renamed")
    moved = catalog.get_repo(repo.type, "acme", "renamed")
    assert moved == replace(repo, namespace="acme", name="renamed")
    with pytest.raises(RepoNotFoundError):
        catalog.get_repo(repo.type, repo.namespace, repo.name)
    assert listed(catalog, search="renamed", see_all=True) == ["acme/renamed"]
    # The old name is free again; the new one is taken for this type only.
    catalog.add_repo(make_repo(user, repo.namespace, repo.name))
    other = make_repo(user, "acme", "other")
    catalog.add_repo(other)
    with pytest.raises(RepoExistsError):
        catalog.rename_repo(other.id, "acme", "renamed")
    assert catalog.get_repo(other.type, "acme", "other") == other
    dataset = make_repo(user, "acme", "data", type=RepoType.DATASET)
    catalog.add_repo(dataset)
    catalog.rename_repo(dataset.id, "acme", "renamed")
    with pytest.raises(RepoNotFoundError):
        catalog.rename_repo(new_id(), "acme", "nowhere")


def add_repos(
    catalog: Catalog,
    owner: User,
    full_names: list[str],
    *,
    type: RepoType = RepoType.MODEL,
    private: bool = False,
) -> None:
    for full_name in full_names:
        namespace, name = full_name.split("/")
        catalog.add_repo(make_repo(owner, namespace, name, type=type, private=private))


def listed(catalog: Catalog, **query: Any) -> list[str]:
    """The full names ``list_repos`` returns for a ``RepoQuery`` of these fields."""
    return [repo.full_name for repo in catalog.list_repos(RepoQuery(**query))]


def test_repos_are_listed_in_byte_order_of_their_full_name(catalog: Catalog, user: User) -> None:
    # Ordered by (namespace, name), "a/x" would come before "a-b/x"; by bytes, '-' < '/'.
    full_names = ["a/x", "a-b/x", "a.b/x", "a_b/x", "A/x", "ab/x", "a/X", "b/a"]
    add_repos(catalog, user, full_names)
    assert listed(catalog) == in_byte_order(full_names)


def test_repos_are_paged_after_a_full_name(catalog: Catalog, user: User) -> None:
    full_names = in_byte_order([f"ns{i % 3}/repo{i}" for i in range(10)] + ["ns0-x/y"])
    add_repos(catalog, user, full_names)
    pages: list[str] = []
    after = None
    while page := listed(catalog, after=after, limit=3):
        assert len(page) <= 3
        pages += page
        after = (page[-1], RepoType.MODEL)
    assert pages == full_names


def test_same_names_of_other_types_are_not_skipped_between_pages(
    catalog: Catalog, user: User
) -> None:
    for type in (RepoType.MODEL, RepoType.DATASET, RepoType.BUCKET):
        add_repos(catalog, user, ["ns/same", "ns/zz"], type=type)
    seen: list[tuple[str, RepoType]] = []
    after = None
    while page := catalog.list_repos(RepoQuery(after=after, limit=1)):
        seen += [(r.full_name, r.type) for r in page]
        after = seen[-1]
    assert len(seen) == len(set(seen)) == 6


def test_repos_are_filtered_by_type_and_namespace(catalog: Catalog, user: User) -> None:
    add_repos(catalog, user, ["alice/m", "bob/m"])
    add_repos(catalog, user, ["alice/d"], type=RepoType.DATASET)
    assert listed(catalog, type=RepoType.MODEL) == ["alice/m", "bob/m"]
    assert listed(catalog, type=RepoType.DATASET) == ["alice/d"]
    assert listed(catalog, namespace="alice") == ["alice/d", "alice/m"]
    assert listed(catalog, namespace="Alice") == []


def test_repo_search_is_a_case_insensitive_substring(catalog: Catalog, user: User) -> None:
    add_repos(catalog, user, ["Meta/Llama-3", "meta/llama_guard", "other/LLAMA", "x/llamb"])
    assert listed(catalog, search="LLAMA") == ["Meta/Llama-3", "meta/llama_guard", "other/LLAMA"]
    assert listed(catalog, search="A/L") == ["Meta/Llama-3", "meta/llama_guard"]
    # LIKE wildcards in the search are plain characters.
    assert listed(catalog, search="llama_") == ["meta/llama_guard"]
    assert listed(catalog, search="ll%") == []


def test_private_repos_are_listed_only_in_the_viewers_namespace_or_with_see_all(
    catalog: Catalog, user: User
) -> None:
    other = make_user("bob")
    catalog.add_user(other)
    add_repos(catalog, user, ["alice/public"])
    add_repos(catalog, user, ["alice/secret"], private=True)
    add_repos(catalog, other, ["bob/secret"], private=True)
    assert listed(catalog) == ["alice/public"]
    assert listed(catalog, viewer_id=user.id) == ["alice/public", "alice/secret"]
    assert listed(catalog, viewer_id=other.id) == ["alice/public", "bob/secret"]
    assert listed(catalog, see_all=True) == ["alice/public", "alice/secret", "bob/secret"]


# --- refs, commits and trees --------------------------------------------------------------
def first_commit(catalog: Catalog, repo: Repo, branch: str = "main") -> Tree:
    """Store an initial commit with a nested tree on ``branch``; return the root tree."""
    inner = make_tree(file_entry("model.safetensors", "weights", size=50 * 10**9))
    root = make_tree(file_entry("README.md", "hello"), folder_entry("models", inner))
    commit = make_commit(root)
    catalog.save_commit(repo.id, commit, [root, inner], branch, None)
    return root


def head(catalog: Catalog, repo: Repo, branch: str = "main") -> str:
    return catalog.get_ref(repo.id, RefKind.BRANCH, branch).commit_id


def test_the_first_commit_creates_its_branch(catalog: Catalog, repo: Repo) -> None:
    inner = make_tree(file_entry("model.safetensors", "weights", size=50 * 10**9))
    root = make_tree(file_entry("README.md", "hello"), folder_entry("models", inner))
    commit = make_commit(root)
    catalog.save_commit(repo.id, commit, [root, inner], "main", None)
    assert catalog.get_commit(repo.id, commit.id) == commit
    ref = catalog.get_ref(repo.id, RefKind.BRANCH, "main")
    assert ref == Ref(RefKind.BRANCH, "main", commit.id, commit.created_at)
    assert catalog.get_tree(repo.id, root.id) == root
    assert catalog.get_tree(repo.id, inner.id).entries[0].size == 50 * 10**9


def test_a_commit_moves_its_branch_from_the_expected_head(catalog: Catalog, repo: Repo) -> None:
    root = first_commit(catalog, repo)
    parent = head(catalog, repo)
    changed = make_tree(*root.entries, file_entry("config.json", "{}"))
    commit = make_commit(changed, parent)
    catalog.save_commit(repo.id, commit, [changed], "main", parent)
    assert head(catalog, repo) == commit.id


def test_a_stale_head_raises_commit_conflict_and_stores_nothing(
    catalog: Catalog, repo: Repo
) -> None:
    first_commit(catalog, repo)
    current = head(catalog, repo)
    orphan = make_tree(file_entry("lost.txt", "lost"))
    commit = make_commit(orphan, current)
    with pytest.raises(CommitConflictError):
        catalog.save_commit(repo.id, commit, [orphan], "main", "0" * 40)
    assert head(catalog, repo) == current
    with pytest.raises(RevisionNotFoundError):
        catalog.get_commit(repo.id, commit.id)
    with pytest.raises(RevisionNotFoundError):
        catalog.get_tree(repo.id, orphan.id)


def test_creating_an_existing_branch_raises_commit_conflict(catalog: Catalog, repo: Repo) -> None:
    first_commit(catalog, repo)
    catalog.create_ref(repo.id, Ref(RefKind.TAG, "v1", head(catalog, repo), NOW))
    tree = make_tree(file_entry("other.txt"))
    for branch in ("main", "v1"):  # a tag's name is taken for branches too
        with pytest.raises(CommitConflictError):
            catalog.save_commit(repo.id, make_commit(tree), [tree], branch, None)
    with pytest.raises(CommitConflictError):  # a tag never moves
        catalog.save_commit(repo.id, make_commit(tree), [tree], "v1", head(catalog, repo))
    with pytest.raises(RevisionNotFoundError):
        catalog.get_tree(repo.id, tree.id)


def test_stored_trees_are_skipped(catalog: Catalog, repo: Repo) -> None:
    root = first_commit(catalog, repo)
    inner = catalog.get_tree(repo.id, root.entries[1].tree_id or "")
    commit = make_commit(root, head(catalog, repo), "same content")
    catalog.save_commit(repo.id, commit, [root, inner, root], "main", head(catalog, repo))
    catalog.save_commit(repo.id, make_commit(root), [root, inner], "copy", None)
    assert catalog.get_tree(repo.id, root.id) == root
    assert catalog.get_tree(repo.id, inner.id) == inner
    assert head(catalog, repo) == commit.id
    assert sorted(catalog.referenced_blobs()) == sorted(
        (entry.sha256 or "", entry.size) for entry in (root.entries[0], inner.entries[0])
    )


@pytest.mark.parametrize("shared_trees", [False, True], ids=["own-trees", "shared-trees"])
def test_concurrent_commits_on_one_head_have_exactly_one_winner(
    catalog: Catalog, repo: Repo, shared_trees: bool
) -> None:
    first_commit(catalog, repo)
    parent = head(catalog, repo)
    common = make_tree(file_entry("common.bin", "common"))

    def commit_from_thread(index: int) -> str:
        own = make_tree(file_entry(f"thread-{index}.bin", str(index)))
        root, trees = own, [own]
        if shared_trees:  # every thread also stores the same new subtree
            root = make_tree(folder_entry("common", common), folder_entry("own", own))
            trees = [root, own, common]
        commit = make_commit(root, parent, f"thread {index}")
        catalog.save_commit(repo.id, commit, trees, "main", parent)
        return commit.id

    results = run_together(8, commit_from_thread)
    winners = [r for r in results if isinstance(r, str)]
    assert len(winners) == 1, results
    assert head(catalog, repo) == winners[0]
    winner = results.index(winners[0])
    for index, result in enumerate(results):
        own = make_tree(file_entry(f"thread-{index}.bin", str(index)))
        if index == winner:
            assert catalog.get_tree(repo.id, own.id) == own
            continue
        with pytest.raises(RevisionNotFoundError):  # a loser stored none of its trees
            catalog.get_tree(repo.id, own.id)
        assert isinstance(result, CommitConflictError), results


def test_concurrent_creations_of_one_branch_have_exactly_one_winner(
    catalog: Catalog, repo: Repo
) -> None:
    def create_branch(index: int) -> str:
        tree = make_tree(file_entry(f"{index}.txt"))
        commit = make_commit(tree)
        catalog.save_commit(repo.id, commit, [tree], "main", None)
        return commit.id

    results = run_together(8, create_branch)
    winners = [r for r in results if isinstance(r, str)]
    assert len(winners) == 1, results
    assert sum(isinstance(r, CommitConflictError) for r in results) == 7, results
    assert head(catalog, repo) == winners[0]


def test_refs_are_created_listed_and_deleted(catalog: Catalog, repo: Repo) -> None:
    first_commit(catalog, repo)
    commit_id = head(catalog, repo)
    tag = Ref(RefKind.TAG, "v1.0", commit_id, NOW)
    branch = Ref(RefKind.BRANCH, "Dev", commit_id, NOW)
    catalog.create_ref(repo.id, tag)
    catalog.create_ref(repo.id, branch)
    catalog.create_ref(repo.id, Ref(RefKind.BRANCH, "dev", commit_id, NOW))
    assert catalog.get_ref(repo.id, RefKind.TAG, "v1.0") == tag
    assert [(r.kind, r.name) for r in catalog.list_refs(repo.id)] == [
        (RefKind.BRANCH, "Dev"),
        (RefKind.BRANCH, "dev"),
        (RefKind.BRANCH, "main"),
        (RefKind.TAG, "v1.0"),
    ]
    with pytest.raises(RevisionNotFoundError):  # the kind is part of the name
        catalog.get_ref(repo.id, RefKind.BRANCH, "v1.0")
    catalog.delete_ref(repo.id, RefKind.TAG, "v1.0")
    with pytest.raises(RevisionNotFoundError):
        catalog.get_ref(repo.id, RefKind.TAG, "v1.0")
    with pytest.raises(RevisionNotFoundError):
        catalog.delete_ref(repo.id, RefKind.TAG, "v1.0")


def test_a_ref_name_is_taken_across_kinds(catalog: Catalog, repo: Repo) -> None:
    first_commit(catalog, repo)
    with pytest.raises(RefExistsError):
        catalog.create_ref(repo.id, Ref(RefKind.TAG, "main", head(catalog, repo), NOW))
    with pytest.raises(RefExistsError):
        catalog.create_ref(repo.id, Ref(RefKind.BRANCH, "main", head(catalog, repo), NOW))


def test_missing_commits_and_trees_raise_revision_not_found(catalog: Catalog, repo: Repo) -> None:
    with pytest.raises(RevisionNotFoundError):
        catalog.get_commit(repo.id, "f" * 40)
    with pytest.raises(RevisionNotFoundError):
        catalog.get_tree(repo.id, "f" * 40)
    with pytest.raises(RevisionNotFoundError):
        catalog.get_ref(repo.id, RefKind.BRANCH, "main")
    assert catalog.list_refs(repo.id) == []


def test_an_empty_tree_round_trips(catalog: Catalog, repo: Repo) -> None:
    empty = make_tree()
    catalog.save_commit(repo.id, make_commit(empty), [empty], "main", None)
    assert catalog.get_tree(repo.id, empty.id) == Tree(empty.id, ())
    assert catalog.list_entries(repo.id, empty.id, None, 10) == []


def test_tree_entries_are_in_name_byte_order(catalog: Catalog, repo: Repo) -> None:
    names = [*TRICKY_KEYS[:13], "Readme.md", "readme.md", "n" * 255]
    names = [name for name in names if "/" not in name]
    tree = make_tree(*(file_entry(name) for name in names))
    catalog.save_commit(repo.id, make_commit(tree), [tree], "main", None)
    assert [e.name for e in catalog.get_tree(repo.id, tree.id).entries] == in_byte_order(names)
    assert catalog.get_entry(repo.id, tree.id, "readme.md") == file_entry("readme.md")
    assert catalog.get_entry(repo.id, tree.id, "README.md") is None
    assert catalog.get_entry(repo.id, "f" * 40, "readme.md") is None
    pages: list[str] = []
    after = None
    while page := catalog.list_entries(repo.id, tree.id, after, 4):
        pages += [e.name for e in page]
        after = page[-1].name
    assert pages == in_byte_order(names)
    assert [e.name for e in catalog.list_entries(repo.id, tree.id, "a", 2)] == ["a-b", "a.b"]


def test_deleting_a_repo_removes_everything_it_holds(
    catalog: Catalog, user: User, repo: Repo
) -> None:
    kept = make_repo(user, "alice", "kept")
    catalog.add_repo(kept)
    for owner in (repo, kept):
        first_commit(catalog, owner)
        catalog.create_ref(owner.id, Ref(RefKind.TAG, "v1", head(catalog, owner), NOW))
        catalog.put_object(owner.id, make_object(f"{owner.name}.bin"))
    root = catalog.get_tree(repo.id, catalog.get_commit(repo.id, head(catalog, repo)).tree_id)
    catalog.delete_repo(repo.id)
    catalog.delete_repo(repo.id)  # idempotent
    with pytest.raises(RepoNotFoundError):
        catalog.get_repo(repo.type, repo.namespace, repo.name)
    assert catalog.list_refs(repo.id) == []
    with pytest.raises(RevisionNotFoundError):
        catalog.get_tree(repo.id, root.id)
    assert catalog.list_objects(repo.id, "", None, 10) == []
    assert not catalog.is_referenced(digest(f"{repo.name}.bin"))
    assert len(catalog.list_refs(kept.id)) == 2
    assert catalog.get_tree(kept.id, root.id) == root
    assert catalog.get_object(kept.id, "kept.bin").key == "kept.bin"


# --- bucket objects -----------------------------------------------------------------------
def test_an_object_round_trips(catalog: Catalog, repo: Repo) -> None:
    obj = make_object("data/part-0.parquet", size=50 * 10**9)
    catalog.put_object(repo.id, obj)
    assert catalog.get_object(repo.id, obj.key) == obj
    assert catalog.get_object(repo.id, obj.key).modified_at.tzinfo == UTC


def test_an_object_keeps_its_content_headers_and_checksums(catalog: Catalog, repo: Repo) -> None:
    obj = replace(
        make_object("k"),
        content_headers={"content-encoding": "gzip", "content-disposition": 'attachment; x="é"'},
        checksums={"crc32": "DUoRhQ==", "sha256": "uU0nuZNNPgilLlLX2n2r+sSE7+N6U4DukIj3rOLvzek="},
    )
    catalog.put_object(repo.id, obj)
    assert catalog.get_object(repo.id, "k") == obj
    assert catalog.list_objects(repo.id, "", None, 10) == [obj]
    catalog.put_object(repo.id, make_object("k"))  # a replacement keeps none of them
    assert catalog.get_object(repo.id, "k").checksums == {}


def test_putting_an_object_replaces_it(catalog: Catalog, repo: Repo) -> None:
    catalog.put_object(repo.id, make_object("k", "old"))
    new = make_object("k", "new content")
    catalog.put_object(repo.id, new)
    assert catalog.get_object(repo.id, "k") == new
    assert len(catalog.list_objects(repo.id, "", None, 10)) == 1


def test_objects_are_found_by_exact_key(catalog: Catalog, repo: Repo) -> None:
    catalog.put_object(repo.id, make_object("Key"))
    for other in ("key", "KEY", "Key "):
        with pytest.raises(EntryNotFoundError):
            catalog.get_object(repo.id, other)
    with pytest.raises(EntryNotFoundError):
        catalog.get_object(new_id(), "Key")  # objects belong to their repo


def test_deleting_an_object_says_whether_it_existed(catalog: Catalog, repo: Repo) -> None:
    catalog.put_object(repo.id, make_object("k"))
    assert catalog.delete_object(repo.id, "k").removed is True
    assert catalog.delete_object(repo.id, "k").removed is False
    with pytest.raises(EntryNotFoundError):
        catalog.get_object(repo.id, "k")


def keys_of(
    catalog: Catalog, repo: Repo, prefix: str = "", after: bytes | None = None
) -> list[str]:
    return [obj.key for obj in catalog.list_objects(repo.id, prefix, after, 1000)]


def test_objects_are_listed_in_key_byte_order(catalog: Catalog, repo: Repo) -> None:
    for key in TRICKY_KEYS:
        catalog.put_object(repo.id, make_object(key))
    assert keys_of(catalog, repo) == in_byte_order(TRICKY_KEYS)


def test_objects_are_paged_after_key_bytes(catalog: Catalog, repo: Repo) -> None:
    for key in TRICKY_KEYS:
        catalog.put_object(repo.id, make_object(key))
    pages: list[str] = []
    after = None
    while page := catalog.list_objects(repo.id, "", after, 5):
        assert len(page) <= 5
        pages += [obj.key for obj in page]
        after = page[-1].key.encode()
    assert pages == in_byte_order(TRICKY_KEYS)
    # A position ending in 0xFF, never valid UTF-8, skips every key under a prefix.
    assert keys_of(catalog, repo, after=b"a\xff") == in_byte_order(
        [k for k in TRICKY_KEYS if k.encode() > b"a\xff"]
    )


PREFIXES = ["a", "a/", "a/b", "é", "😀", "\u00ff", "%", "_", "a_", "z", "日本/", "nothing"]
"""Single- and multi-byte prefixes, prefixes that are keys themselves, and LIKE wildcards."""


def test_a_prefix_lists_exactly_the_keys_starting_with_it(catalog: Catalog, repo: Repo) -> None:
    for key in TRICKY_KEYS:
        catalog.put_object(repo.id, make_object(key))
    for prefix in PREFIXES:
        expected = in_byte_order([k for k in TRICKY_KEYS if k.startswith(prefix)])
        assert keys_of(catalog, repo, prefix) == expected, prefix
        after_prefix = keys_of(catalog, repo, prefix, after=prefix.encode())
        assert after_prefix == [k for k in expected if k != prefix], prefix


def test_keys_of_1024_bytes_are_stored_and_listed(catalog: Catalog, repo: Repo) -> None:
    keys = ["k" * 1024, "k" * 1023 + "l", "é" * 512, "é" * 511 + "e" * 2, "😀" * 256]
    for key in keys:
        assert len(key.encode()) == 1024
        catalog.put_object(repo.id, make_object(key))
    assert catalog.get_object(repo.id, keys[0]).key == keys[0]
    assert keys_of(catalog, repo) == in_byte_order(keys)
    assert keys_of(catalog, repo, "é" * 511) == in_byte_order(keys[2:4])


def test_concurrent_puts_of_one_key_never_fail(catalog: Catalog, repo: Repo) -> None:
    versions = [make_object("hot", f"version {i}") for i in range(8)]

    def put_repeatedly(index: int) -> None:
        for _ in range(5):
            catalog.put_object(repo.id, versions[index])

    assert run_together(8, put_repeatedly) == [None] * 8
    assert catalog.get_object(repo.id, "hot") in versions


# --- maintenance --------------------------------------------------------------------------
def test_referenced_blobs_come_from_entries_and_objects_each_once(
    catalog: Catalog, user: User, repo: Repo
) -> None:
    root = first_commit(catalog, repo)
    inner = catalog.get_tree(repo.id, root.entries[1].tree_id or "")
    other = make_repo(user, "alice", "copy", type=RepoType.BUCKET)
    catalog.add_repo(other)
    catalog.put_object(other.id, make_object("weights", "weights", size=50 * 10**9))
    catalog.put_object(other.id, make_object("a"))
    catalog.put_object(other.id, make_object("b", "a"))
    blobs = list(catalog.referenced_blobs())
    assert sorted(blobs) == sorted(
        [
            (digest("hello"), 5),
            (digest("weights"), 50 * 10**9),
            (digest("a"), 1),
        ]
    )
    assert inner.entries[0].sha256 == digest("weights")
    assert catalog.is_referenced(digest("hello"))
    assert catalog.is_referenced(digest("a"))
    assert not catalog.is_referenced(digest("nothing"))


def test_referenced_blobs_can_be_abandoned_midway(catalog: Catalog, repo: Repo) -> None:
    for index in range(20):
        catalog.put_object(repo.id, make_object(f"k{index}"))
    blobs = catalog.referenced_blobs()
    assert next(blobs)
    blobs.close()  # type: ignore[attr-defined]
    catalog.put_object(repo.id, make_object("after"))  # the connection went back to the pool
    assert len(list(catalog.referenced_blobs())) == 21


def test_a_reachable_catalog_is_ready(catalog: Catalog) -> None:
    catalog.check_ready()
