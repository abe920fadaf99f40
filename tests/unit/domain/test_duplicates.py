"""Duplicating a repo: the copy has the source's branches, tags and history, commit for commit,
shares its bytes, and asks the same questions of the caller as a download and a create."""

from __future__ import annotations

import pytest
from tests.unit.domain.conftest import Hub

from weighthouse.domain.access import Principal
from weighthouse.domain.duplicates import Duplicates
from weighthouse.domain.errors import (
    GatedRepoError,
    InvalidInputError,
    PermissionDeniedError,
    RepoExistsError,
    RepoNotFoundError,
)
from weighthouse.domain.model import Gating, Ref, RefKind, RepoId, RepoType

pytestmark = pytest.mark.unit

SOURCE = RepoId(RepoType.MODEL, "alice", "weights")


def duplicates(hub: Hub) -> Duplicates:
    return Duplicates(hub.catalog, hub.clock, hub.audit)


def history(hub: Hub, who: Principal, repo: RepoId, revision: str) -> list[str]:
    return [c.id for c in hub.revisions.log(who, repo, revision, limit=100).items]


def files(hub: Hub, who: Principal, repo: RepoId, revision: str) -> dict[str, bytes]:
    _, listing = hub.files.list_tree(who, repo, revision, recursive=True)
    out = {}
    for item in listing.entries:
        if item.entry.sha256 is not None:
            _, download = hub.files.download(who, repo, revision, item.path)
            with hub.files.reader(download) as reader:
                out[item.path] = reader.read_range(0, reader.size)
    return out


@pytest.fixture
def source(hub: Hub, alice: Principal) -> RepoId:
    """main: three commits; dev: one more on main's second; tag v1 on main's second; tag gone
    on a commit whose branch was deleted; a pull request branch."""
    hub.repos.create(alice, SOURCE, private=False)
    put = hub.commits.upload_file
    put(alice, SOURCE, "main", "a/x.txt", [b"x1"], size=2)
    hub.revisions.create_ref(alice, SOURCE, RefKind.BRANCH, "dev", "main")
    hub.revisions.create_ref(alice, SOURCE, RefKind.TAG, "v1", "main")
    put(alice, SOURCE, "main", "a/x.txt", [b"x2"], size=2)
    put(alice, SOURCE, "main", "b/y.txt", [b"y"], size=1)
    put(alice, SOURCE, "dev", "dev.txt", [b"d"], size=1)
    hub.revisions.create_ref(alice, SOURCE, RefKind.BRANCH, "old", "main")
    put(alice, SOURCE, "old", "old.txt", [b"o"], size=1)
    hub.revisions.create_ref(alice, SOURCE, RefKind.TAG, "gone", "old")
    hub.revisions.delete_branch(alice, SOURCE, "old")
    # A pull request's branch, as discussions make it.
    head = hub.revisions.resolve(alice, SOURCE, "main").commit.id
    pr = Ref(RefKind.BRANCH, "refs/pr/1", head, hub.clock())
    hub.catalog.create_ref(hub.repos.get(alice, SOURCE).id, pr)
    return SOURCE


def test_the_copy_has_every_branch_and_tag_with_its_history_and_files(
    hub: Hub, alice: Principal, bob: Principal, source: RepoId
) -> None:
    target = RepoId(RepoType.MODEL, "bob", "copy")
    copy = duplicates(hub).duplicate(bob, source, target)
    assert (copy.full_name, copy.private) == ("bob/copy", False)
    refs = {(r.kind, r.name): r.commit_id for r in hub.revisions.refs(bob, target)}
    want = {
        (r.kind, r.name): r.commit_id
        for r in hub.revisions.refs(alice, source)
        if not r.name.startswith("refs/pr/")
    }
    assert refs == want and (RefKind.TAG, "gone") in refs
    for revision in ("main", "dev", "v1", "gone"):
        assert history(hub, bob, target, revision) == history(hub, alice, source, revision)
        assert files(hub, bob, target, revision) == files(hub, alice, source, revision)
    assert files(hub, bob, target, "dev")["dev.txt"] == b"d"
    # The copy is the caller's: they commit to it; the source does not move.
    hub.commits.upload_file(bob, target, "main", "mine.txt", [b"m"], size=1)
    assert "mine.txt" not in files(hub, alice, source, "main")
    assert (
        duplicates(hub)
        .duplicate(alice, source, RepoId(RepoType.MODEL, "alice", "p"), private=True)
        .private
    )


def test_the_caller_needs_the_files_and_the_namespace(
    hub: Hub, alice: Principal, bob: Principal, source: RepoId
) -> None:
    use = duplicates(hub)
    with pytest.raises(PermissionDeniedError):
        use.duplicate(bob, source, RepoId(RepoType.MODEL, "alice", "into-alice"))
    with pytest.raises(RepoExistsError):
        use.duplicate(alice, source, source)
    with pytest.raises(InvalidInputError):
        use.duplicate(alice, source, RepoId(RepoType.DATASET, "alice", "as-dataset"))
    private = RepoId(RepoType.MODEL, "alice", "hidden")
    hub.repos.create(alice, private, private=True)
    with pytest.raises(RepoNotFoundError):
        use.duplicate(bob, private, RepoId(RepoType.MODEL, "bob", "hidden"))
    hub.repos.update(alice, source, gated=Gating.MANUAL)
    with pytest.raises(GatedRepoError):
        use.duplicate(bob, source, RepoId(RepoType.MODEL, "bob", "gated"))
    names = [r.name for r in hub.repos.list(bob, namespace="bob").items]
    assert names == []
