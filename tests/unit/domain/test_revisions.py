"""Revisions on the in-memory catalog: branches, tags, commit ids, ``latest`` and history."""

from __future__ import annotations

import pytest
from tests.unit.domain.conftest import Hub, make_hub

from weighthouse.domain.access import Principal
from weighthouse.domain.commits import AddFile
from weighthouse.domain.errors import (
    InvalidInputError,
    InvalidRevisionError,
    PermissionDeniedError,
    RefExistsError,
    RepoNotFoundError,
    RevisionNotFoundError,
    StorageError,
)
from weighthouse.domain.model import AuditEvent, Commit, RefKind, RepoId, RepoType, Role
from weighthouse.metadata.memory import MemoryCatalog

pytestmark = pytest.mark.unit

WEIGHTS = RepoId(RepoType.MODEL, "alice", "weights")


@pytest.fixture
def history(hub: Hub, alice: Principal) -> list[Commit]:
    """Three commits on main after the initial one, a second apart."""
    hub.repos.create(alice, WEIGHTS)
    digest = hub.commits.upload_blob(alice, WEIGHTS, [b"data"], size=4)
    commits = []
    for index in range(3):
        hub.clock.advance()
        op = AddFile(f"file-{index}", digest.sha256, digest.size)
        commits.append(hub.commits.commit(alice, WEIGHTS, "main", [op], message=f"c{index}"))
    return commits


def tag(hub: Hub, alice: Principal, name: str, commit: Commit) -> None:
    hub.clock.advance()
    hub.revisions.create_ref(alice, WEIGHTS, RefKind.TAG, name, commit.id)


def test_a_revision_is_a_branch_a_tag_or_a_commit_id(
    hub: Hub, alice: Principal, history: list[Commit]
) -> None:
    tag(hub, alice, "v1", history[0])
    assert hub.revisions.resolve(alice, WEIGHTS, "main").commit == history[-1]
    resolved = hub.revisions.resolve(alice, WEIGHTS, "v1")
    assert (resolved.commit, resolved.ref and resolved.ref.kind) == (history[0], RefKind.TAG)
    by_id = hub.revisions.resolve(alice, WEIGHTS, history[1].id)
    assert (by_id.commit, by_id.ref) == (history[1], None)
    with pytest.raises(RevisionNotFoundError):
        hub.revisions.resolve(alice, WEIGHTS, "f" * 40)
    with pytest.raises(RevisionNotFoundError):
        hub.revisions.resolve(alice, WEIGHTS, "V1")
    with pytest.raises(InvalidRevisionError):
        hub.revisions.resolve(alice, WEIGHTS, "../main")


def test_latest_is_main_until_a_version_tag_exists(
    hub: Hub, alice: Principal, history: list[Commit]
) -> None:
    assert hub.revisions.resolve(alice, WEIGHTS, "latest").commit == history[-1]
    tag(hub, alice, "nightly", history[1])  # not a version
    assert hub.revisions.resolve(alice, WEIGHTS, "latest").commit == history[-1]
    tag(hub, alice, "v1.9", history[0])
    assert hub.revisions.resolve(alice, WEIGHTS, "latest").commit == history[0]


def test_latest_is_the_highest_version_not_the_newest_tag(
    hub: Hub, alice: Principal, history: list[Commit]
) -> None:
    tag(hub, alice, "v1.10", history[1])
    tag(hub, alice, "v1.9", history[2])
    tag(hub, alice, "v2.0-rc1", history[2])
    latest = hub.revisions.resolve(alice, WEIGHTS, "latest")
    assert latest.ref is not None and latest.ref.name == "v2.0-rc1"
    tag(hub, alice, "v2.0", history[0])
    latest = hub.revisions.resolve(alice, WEIGHTS, "latest")
    assert latest.ref is not None and (latest.ref.name, latest.commit) == ("v2.0", history[0])


def test_tags_never_move_and_names_are_shared_with_branches(
    hub: Hub, alice: Principal, history: list[Commit]
) -> None:
    tag(hub, alice, "v1", history[0])
    with pytest.raises(RefExistsError):
        tag(hub, alice, "v1", history[1])
    with pytest.raises(RefExistsError):
        hub.revisions.create_ref(alice, WEIGHTS, RefKind.BRANCH, "v1", "main")
    hub.revisions.create_ref(alice, WEIGHTS, RefKind.BRANCH, "dev", "v1")
    assert hub.revisions.resolve(alice, WEIGHTS, "dev").commit == history[0]
    hub.revisions.delete_branch(alice, WEIGHTS, "dev")
    with pytest.raises(InvalidInputError):
        hub.revisions.delete_branch(alice, WEIGHTS, "main")
    with pytest.raises(RevisionNotFoundError):
        hub.revisions.delete_branch(alice, WEIGHTS, "v1")  # a tag is not a branch


def test_an_admin_deletes_a_tag_and_latest_falls_back_to_the_highest_left(
    hub: Hub, alice: Principal, history: list[Commit]
) -> None:
    tag(hub, alice, "v1", history[0])
    tag(hub, alice, "v2", history[1])
    assert hub.revisions.resolve(alice, WEIGHTS, "latest").commit == history[1]
    deleted = hub.revisions.delete_tag(alice, WEIGHTS, "v2")
    assert (deleted.name, deleted.commit_id) == ("v2", history[1].id)
    assert hub.revisions.resolve(alice, WEIGHTS, "latest").commit == history[0]
    with pytest.raises(RevisionNotFoundError):
        hub.revisions.resolve(alice, WEIGHTS, "v2")
    [event] = hub.catalog.list_events(before=None, limit=10, actor=None, action="tag.delete")
    assert (event.actor, event.target) == ("alice", "model:alice/weights")
    assert event.detail == {
        "tag": "v2",
        "commit": history[1].id,
        "repo_id": event.detail["repo_id"],
    }
    hub.revisions.delete_tag(alice, WEIGHTS, "v1")
    assert hub.revisions.resolve(alice, WEIGHTS, "latest").commit == history[-1]  # main


def test_deleting_a_missing_tag_or_a_branch_is_not_found(
    hub: Hub, alice: Principal, history: list[Commit]
) -> None:
    with pytest.raises(RevisionNotFoundError):
        hub.revisions.delete_tag(alice, WEIGHTS, "v9")
    with pytest.raises(RevisionNotFoundError):
        hub.revisions.delete_tag(alice, WEIGHTS, "main")  # a branch is not a tag
    with pytest.raises(InvalidInputError):
        hub.revisions.delete_tag(alice, WEIGHTS, "bad..name")
    assert hub.revisions.resolve(alice, WEIGHTS, "main").commit == history[-1]
    assert hub.catalog.list_events(before=None, limit=10, actor=None, action="tag.delete") == []


def test_only_repo_admins_delete_tags(
    hub: Hub, alice: Principal, bob: Principal, history: list[Commit]
) -> None:
    tag(hub, alice, "v1", history[0])
    with pytest.raises(RepoNotFoundError):  # a private repo bob cannot see
        hub.revisions.delete_tag(bob, WEIGHTS, "v1")
    hub.orgs.set_collaborator(alice, WEIGHTS, "bob", Role.WRITE)
    with pytest.raises(PermissionDeniedError):
        hub.revisions.delete_tag(bob, WEIGHTS, "v1")
    assert hub.revisions.resolve(alice, WEIGHTS, "v1").commit == history[0]


def test_only_repo_admins_re_create_a_deleted_tag_on_another_commit(
    hub: Hub, alice: Principal, bob: Principal, history: list[Commit]
) -> None:
    tag(hub, alice, "v1", history[0])
    hub.orgs.set_collaborator(alice, WEIGHTS, "bob", Role.WRITE)
    hub.revisions.delete_tag(alice, WEIGHTS, "v1")
    with pytest.raises(PermissionDeniedError):
        hub.revisions.create_ref(bob, WEIGHTS, RefKind.TAG, "v1", history[1].id)
    hub.revisions.create_ref(bob, WEIGHTS, RefKind.TAG, "v1", history[0].id)  # same bytes
    hub.revisions.delete_tag(alice, WEIGHTS, "v1")
    hub.revisions.create_ref(alice, WEIGHTS, RefKind.TAG, "v1", history[1].id)
    assert hub.revisions.resolve(bob, WEIGHTS, "v1").commit == history[1]
    hub.revisions.create_ref(bob, WEIGHTS, RefKind.TAG, "v9", history[1].id)  # never deleted


class _AuditDownCatalog(MemoryCatalog):
    audit_down = False

    def record_event(self, event: AuditEvent) -> None:
        if self.audit_down:
            raise StorageError("the audit log is unreachable")
        super().record_event(event)


def test_no_tag_deletion_without_its_audit_row() -> None:
    catalog = _AuditDownCatalog()
    hub = make_hub(catalog)
    alice = hub.user("alice")
    hub.repos.create(alice, WEIGHTS)
    hub.revisions.create_ref(alice, WEIGHTS, RefKind.TAG, "v1", "main")
    catalog.audit_down = True
    with pytest.raises(StorageError):
        hub.revisions.delete_tag(alice, WEIGHTS, "v1")
    assert hub.revisions.resolve(alice, WEIGHTS, "v1").ref is not None


def test_the_log_pages_back_through_first_parents(
    hub: Hub, alice: Principal, history: list[Commit]
) -> None:
    first = hub.revisions.log(alice, WEIGHTS, "main", limit=2)
    assert list(first.items) == history[:0:-1]
    assert first.next_after == history[1].id
    rest = hub.revisions.log(alice, WEIGHTS, "main", after=first.next_after, limit=2)
    assert [c.message for c in rest.items] == ["c0", "Initial commit"]
    assert rest.next_after is None
