"""Repos on the in-memory catalog: creation, visibility, listing, changes and deletion."""

from __future__ import annotations

import pytest
from tests.unit.domain.conftest import Hub

from weighthouse.domain.access import ANONYMOUS, Principal
from weighthouse.domain.errors import (
    AuthenticationError,
    InvalidInputError,
    PermissionDeniedError,
    RepoExistsError,
    RepoNotFoundError,
)
from weighthouse.domain.model import RepoId, RepoType, Role, Scope
from weighthouse.domain.repos import Repos
from weighthouse.domain.trees import EMPTY_TREE

pytestmark = pytest.mark.unit


def model(namespace: str, name: str) -> RepoId:
    return RepoId(RepoType.MODEL, namespace, name)


def test_a_versioned_repo_starts_with_an_empty_commit_on_main(hub: Hub, alice: Principal) -> None:
    repo = hub.repos.create(alice, model("alice", "weights"), description="first")
    assert (repo.namespace, repo.name, repo.private, repo.created_at) == (
        "alice",
        "weights",
        True,
        hub.clock(),
    )
    head = hub.revisions.resolve(alice, model("alice", "weights"), "main")
    assert head.commit.tree_id == EMPTY_TREE.id
    assert head.commit.parent_id is None
    assert head.commit.author == "alice"
    assert [r.name for r in hub.revisions.refs(alice, model("alice", "weights"))] == ["main"]


def test_new_repos_and_buckets_are_private_unless_asked_or_the_site_says_otherwise(
    hub: Hub, alice: Principal, bob: Principal
) -> None:
    bucket = RepoId(RepoType.BUCKET, "alice", "scratch")
    assert hub.repos.create(alice, bucket).private
    assert hub.repos.create(alice, model("alice", "weights")).private
    for outsider in (bob, ANONYMOUS):
        with pytest.raises(RepoNotFoundError):
            hub.repos.get(outsider, bucket)
    assert not hub.repos.create(alice, model("alice", "open"), private=False).private
    assert hub.repos.get(bob, model("alice", "open")).name == "open"
    site = Repos(hub.catalog, hub.clock, hub.audit, default_private=False)
    assert not site.create(alice, model("alice", "shared")).private
    assert site.create(alice, model("alice", "kept"), private=True).private


def test_a_bucket_has_no_revisions(hub: Hub, alice: Principal) -> None:
    bucket = RepoId(RepoType.BUCKET, "alice", "scratch")
    hub.repos.create(alice, bucket)
    with pytest.raises(RepoNotFoundError):
        hub.revisions.refs(alice, bucket)


def test_a_taken_name_raises_repo_exists_but_other_types_and_cases_are_free(
    hub: Hub, alice: Principal
) -> None:
    hub.repos.create(alice, model("alice", "weights"))
    with pytest.raises(RepoExistsError):
        hub.repos.create(alice, model("alice", "weights"))
    hub.repos.create(alice, model("alice", "Weights"))
    hub.repos.create(alice, RepoId(RepoType.DATASET, "alice", "weights"))


def test_repos_are_created_only_where_the_caller_may_write(
    hub: Hub, alice: Principal, bob: Principal
) -> None:
    with pytest.raises(PermissionDeniedError):
        hub.repos.create(bob, model("alice", "mine"))
    with pytest.raises(AuthenticationError):
        hub.repos.create(ANONYMOUS, model("alice", "mine"))
    reader = Principal(user=alice.user, scope=Scope.READ)
    with pytest.raises(PermissionDeniedError):
        hub.repos.create(reader, model("alice", "mine"))
    hub.orgs.create(alice, "acme")
    hub.orgs.set_member(alice, "acme", "bob", Role.READ)
    with pytest.raises(PermissionDeniedError):
        hub.repos.create(bob, model("acme", "shared"))
    hub.orgs.set_member(alice, "acme", "bob", Role.WRITE)
    assert hub.repos.create(bob, model("acme", "shared")).owner_id == bob.viewer_id


def test_a_private_repo_is_as_missing_as_a_missing_one(
    hub: Hub, alice: Principal, bob: Principal
) -> None:
    hub.repos.create(alice, model("alice", "secret"), private=True)
    for caller in (bob, ANONYMOUS):
        for repo_id in (model("alice", "secret"), model("alice", "nothing")):
            with pytest.raises(RepoNotFoundError) as raised:
                hub.repos.get(caller, repo_id)
            assert raised.value.fields == {"repo": str(repo_id)}
    assert hub.repos.get(alice, model("alice", "secret")).private


def test_listing_shows_public_repos_and_the_private_ones_the_caller_may_read(
    hub: Hub, alice: Principal, bob: Principal
) -> None:
    hub.repos.create(alice, model("alice", "open"), private=False)
    hub.repos.create(alice, model("alice", "secret"), private=True)
    hub.repos.create(bob, model("bob", "diary"), private=True)
    shared = hub.repos.create(bob, model("bob", "shared"), private=True)

    def names(caller: Principal) -> list[str]:
        return [r.full_name for r in hub.repos.list(caller).items]

    assert names(ANONYMOUS) == ["alice/open"]
    assert names(alice) == ["alice/open", "alice/secret"]
    hub.orgs.set_collaborator(bob, model("bob", "shared"), "alice", Role.READ)
    assert names(alice) == ["alice/open", "alice/secret", shared.full_name]
    admin = hub.user("root", is_admin=True, scope=Scope.ADMIN)
    assert len(names(admin)) == 4


def test_listing_pages_follow_the_cursor(hub: Hub, alice: Principal) -> None:
    made = sorted(f"r{index:02}" for index in range(7))
    for name in made:
        hub.repos.create(alice, model("alice", name))
    seen: list[str] = []
    after = None
    while True:
        page = hub.repos.list(alice, after=after, limit=3)
        seen += [r.name for r in page.items]
        if page.next_after is None:
            break
        after = page.next_after
    assert seen == made
    with pytest.raises(InvalidInputError):
        hub.repos.list(alice, after="not-a-type:alice/r00")
    with pytest.raises(InvalidInputError):
        hub.repos.list(alice, limit=0)


def test_making_a_repo_private_hides_it_and_is_audited(
    hub: Hub, alice: Principal, bob: Principal
) -> None:
    hub.repos.create(alice, model("alice", "weights"), private=False)
    hub.repos.get(bob, model("alice", "weights"))
    hub.repos.update(alice, model("alice", "weights"), private=True)
    with pytest.raises(RepoNotFoundError):
        hub.repos.get(bob, model("alice", "weights"))
    (event,) = hub.catalog.list_events(action="repo.visibility")
    assert (event.actor, event.target, event.detail) == (
        "alice",
        "model:alice/weights",
        {"private": "true"},
    )
    hub.repos.update(alice, model("alice", "weights"), description="only the text")
    assert len(hub.catalog.list_events(action="repo.visibility")) == 1


def test_only_repo_admins_change_or_delete_a_repo(
    hub: Hub, alice: Principal, bob: Principal
) -> None:
    hub.repos.create(alice, model("alice", "weights"))
    hub.orgs.set_collaborator(alice, model("alice", "weights"), "bob", Role.WRITE)
    with pytest.raises(PermissionDeniedError):
        hub.repos.update(bob, model("alice", "weights"), private=True)
    with pytest.raises(PermissionDeniedError):
        hub.repos.delete(bob, model("alice", "weights"))
    hub.repos.delete(alice, model("alice", "weights"))
    with pytest.raises(RepoNotFoundError):
        hub.repos.get(alice, model("alice", "weights"))
    assert [e.target for e in hub.catalog.list_events(action="repo.delete")] == [
        "model:alice/weights"
    ]
    hub.repos.create(alice, model("alice", "weights"))  # the name is free again
    assert hub.catalog.list_collaborators(hub.repos.get(alice, model("alice", "weights")).id) == []


def test_a_repo_moves_with_its_history_where_its_admin_may_create(
    hub: Hub, alice: Principal, bob: Principal
) -> None:
    hub.repos.create(alice, model("alice", "weights"), private=True)
    first = hub.revisions.resolve(alice, model("alice", "weights"), "main").commit.id
    hub.orgs.set_collaborator(alice, model("alice", "weights"), "bob", Role.WRITE)
    with pytest.raises(PermissionDeniedError):
        hub.repos.move(bob, model("alice", "weights"), model("alice", "mine"))
    # alice admins the repo but may not create repos in bob's namespace.
    with pytest.raises(PermissionDeniedError):
        hub.repos.move(alice, model("alice", "weights"), model("bob", "weights"))
    with pytest.raises(RepoNotFoundError):
        hub.repos.move(ANONYMOUS, model("alice", "weights"), model("alice", "w2"))
    with pytest.raises(InvalidInputError):
        hub.repos.move(alice, model("alice", "weights"), RepoId(RepoType.DATASET, "alice", "w"))
    with pytest.raises(InvalidInputError):
        hub.repos.move(alice, model("alice", "weights"), model("alice", "../x"))
    hub.repos.create(alice, model("alice", "taken"))
    with pytest.raises(RepoExistsError):
        hub.repos.move(alice, model("alice", "weights"), model("alice", "taken"))
    assert hub.repos.move(alice, model("alice", "weights"), model("alice", "weights")).id
    moved = hub.repos.move(alice, model("alice", "weights"), model("alice", "renamed"))
    assert (moved.full_name, moved.private) == ("alice/renamed", True)
    assert hub.revisions.resolve(bob, model("alice", "renamed"), "main").commit.id == first
    with pytest.raises(RepoNotFoundError):
        hub.repos.get(alice, model("alice", "weights"))
    (event,) = hub.catalog.list_events(action="repo.move")
    assert (event.target, event.detail) == ("model:alice/weights", {"to": "alice/renamed"})
