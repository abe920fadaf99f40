"""Commits on the in-memory catalog and the memory blob store: what a commit may name, how a
branch moves, and what happens when another commit lands first."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence

import pytest
from tests.unit.domain.conftest import Hub, make_hub

from weighthouse.domain.access import Principal
from weighthouse.domain.blob_proof import BlobRef
from weighthouse.domain.commits import AddFile, DeleteFile
from weighthouse.domain.errors import (
    AuthenticationError,
    BlobUnknownError,
    CommitConflictError,
    DigestMismatchError,
    EntryNotFoundError,
    InvalidInputError,
    PathConflictError,
    PermissionDeniedError,
    RepoNotFoundError,
)
from weighthouse.domain.model import Commit, RefKind, RepoId, RepoType, Role, Scope, Tree
from weighthouse.metadata.memory import MemoryCatalog

pytestmark = pytest.mark.unit

WEIGHTS = RepoId(RepoType.MODEL, "alice", "weights")


@pytest.fixture
def repo(hub: Hub, alice: Principal) -> RepoId:
    hub.repos.create(alice, WEIGHTS, private=False)
    return WEIGHTS


def upload(hub: Hub, principal: Principal, data: bytes) -> AddFile:
    digest = hub.commits.upload_blob(principal, WEIGHTS, [data], size=len(data))
    return AddFile("unused", digest.sha256, digest.size)


def at(path: str, blob: AddFile) -> AddFile:
    return AddFile(path, blob.sha256, blob.size)


def read(hub: Hub, principal: Principal, path: str, revision: str = "main") -> bytes:
    _, download = hub.files.download(principal, WEIGHTS, revision, path)
    with hub.files.reader(download) as reader:
        return reader.read_range(0, reader.size)


def paths(hub: Hub, principal: Principal, revision: str = "main") -> list[str]:
    _, listing = hub.files.list_tree(principal, WEIGHTS, revision, recursive=True)
    return [entry.path for entry in listing.entries]


def test_an_uploaded_file_is_committed_and_read_back(
    hub: Hub, alice: Principal, repo: RepoId
) -> None:
    commit, digest = hub.commits.upload_file(alice, repo, "main", "config.json", [b"{}"], size=2)
    assert digest.sha256 == hashlib.sha256(b"{}").hexdigest()
    assert commit.message == "Upload config.json"
    assert read(hub, alice, "config.json") == b"{}"
    _, entry = hub.files.entry(alice, repo, "main", "config.json")
    git_id = hashlib.sha1(b"blob 2\0{}", usedforsecurity=False).hexdigest()
    assert entry.entry.git_sha1 == git_id


def test_one_commit_adds_and_deletes_many_files(hub: Hub, alice: Principal, repo: RepoId) -> None:
    blob = upload(hub, alice, b"shard")
    first = [at(f"model/part-{i}.bin", blob) for i in range(3)]
    hub.commits.commit(alice, repo, "main", [*first, at("README.md", blob)], message="m")
    second = [DeleteFile("model/"), at("b/c.txt", blob)]
    hub.commits.commit(alice, repo, "main", second, message="m")
    assert paths(hub, alice) == ["README.md", "b", "b/c.txt"]
    assert [c.message for c in hub.revisions.log(alice, repo, "main").items] == [
        "m",
        "m",
        "Initial commit",
    ]


def test_a_commit_may_name_only_uploaded_blobs_of_their_size(
    hub: Hub, alice: Principal, repo: RepoId
) -> None:
    missing = hashlib.sha256(b"never uploaded").hexdigest()
    with pytest.raises(BlobUnknownError):
        hub.commits.commit(alice, repo, "main", [AddFile("x", missing, 14)], message="m")
    blob = upload(hub, alice, b"four")
    with pytest.raises(DigestMismatchError):
        hub.commits.commit(alice, repo, "main", [AddFile("x", blob.sha256, 5)], message="m")
    assert paths(hub, alice) == []


def test_files_and_folders_do_not_take_each_others_place(
    hub: Hub, alice: Principal, repo: RepoId
) -> None:
    blob = upload(hub, alice, b"data")
    hub.commits.commit(alice, repo, "main", [AddFile("a/b", blob.sha256, 4)], message="m")
    for bad in ("a", "a/b/c"):
        with pytest.raises(PathConflictError):
            hub.commits.commit(alice, repo, "main", [AddFile(bad, blob.sha256, 4)], message="m")
    with pytest.raises(EntryNotFoundError):
        hub.commits.commit(alice, repo, "main", [DeleteFile("nothing")], message="m")


def test_a_stale_parent_commit_is_a_conflict(hub: Hub, alice: Principal, repo: RepoId) -> None:
    blob = upload(hub, alice, b"data")
    start = hub.revisions.resolve(alice, repo, "main").commit.id
    hub.commits.commit(alice, repo, "main", [AddFile("one", blob.sha256, 4)], message="m")
    with pytest.raises(CommitConflictError) as raised:
        hub.commits.commit(
            alice, repo, "main", [AddFile("two", blob.sha256, 4)], message="m", parent_commit=start
        )
    assert raised.value.fields["head"] != start
    assert paths(hub, alice) == ["one"]


class RacingCatalog(MemoryCatalog):
    """Runs ``rival`` (another commit) once, just before the next commit is saved."""

    rival: Callable[[], object] | None = None

    def save_commit(
        self,
        repo_id: str,
        commit: Commit,
        trees: Sequence[Tree],
        branch: str,
        expected_head: str | None,
    ) -> None:
        rival, self.rival = self.rival, None
        if rival is not None:
            rival()
        super().save_commit(repo_id, commit, trees, branch, expected_head)


def test_a_lost_race_without_parent_commit_is_retried_on_the_new_head() -> None:
    catalog = RacingCatalog()
    hub = make_hub(catalog)
    alice = hub.user("alice")
    hub.repos.create(alice, WEIGHTS, private=False)
    blob = upload(hub, alice, b"data")

    def rival() -> object:
        hub.clock.advance()
        return hub.commits.commit(
            alice, WEIGHTS, "main", [AddFile("theirs", blob.sha256, 4)], message="theirs"
        )

    catalog.rival = rival
    mine = hub.commits.commit(alice, WEIGHTS, "main", [at("mine", blob)], message="m")
    assert paths(hub, alice) == ["mine", "theirs"]
    log = hub.revisions.log(alice, WEIGHTS, "main").items
    assert [c.message for c in log] == ["m", "theirs", "Initial commit"]
    assert log[0] == mine


def test_a_lost_race_with_parent_commit_is_a_conflict() -> None:
    catalog = RacingCatalog()
    hub = make_hub(catalog)
    alice = hub.user("alice")
    hub.repos.create(alice, WEIGHTS, private=False)
    blob = upload(hub, alice, b"data")
    start = hub.revisions.resolve(alice, WEIGHTS, "main").commit.id
    catalog.rival = lambda: hub.commits.commit(
        alice, WEIGHTS, "main", [AddFile("theirs", blob.sha256, 4)], message="theirs"
    )
    with pytest.raises(CommitConflictError):
        hub.commits.commit(
            alice, WEIGHTS, "main", [at("mine", blob)], message="m", parent_commit=start
        )
    assert paths(hub, alice) == ["theirs"]


def test_only_writers_commit(hub: Hub, alice: Principal, bob: Principal, repo: RepoId) -> None:
    blob = upload(hub, alice, b"data")
    with pytest.raises(PermissionDeniedError):
        hub.commits.commit(bob, repo, "main", [AddFile("x", blob.sha256, 4)], message="m")
    with pytest.raises(PermissionDeniedError):
        hub.commits.upload_blob(bob, repo, [b"unread"], size=6)
    hub.orgs.set_collaborator(alice, repo, "bob", Role.WRITE)
    # alice's upload proves nothing for bob until a repo he can read holds it.
    with pytest.raises(BlobUnknownError):
        hub.commits.commit(bob, repo, "main", [AddFile("x", blob.sha256, 4)], message="m")
    own = upload(hub, bob, b"data")
    hub.commits.commit(bob, repo, "main", [AddFile("x", own.sha256, 4)], message="m")
    assert hub.revisions.resolve(bob, repo, "main").commit.author == "bob"


def test_a_reader_uploads_for_a_pull_request_and_reaches_only_its_branch(
    hub: Hub, alice: Principal, bob: Principal, repo: RepoId
) -> None:
    """A reader's bytes are taken for a pull request; the only branch they can then reach is
    the pull request's own, opened by them. The bytes are no key to ``main``."""
    upload(hub, alice, b"v1")
    hub.commits.commit(alice, repo, "main", [at("a.txt", upload(hub, alice, b"v1"))], message="m")
    main = hub.revisions.resolve(alice, repo, "main").commit.id
    with pytest.raises(PermissionDeniedError):
        hub.commits.upload_blob(bob, repo, [b"unread"], size=6)
    digest = hub.commits.upload_blob(bob, repo, [b"bobs"], size=4, for_pull_request=True)
    ref = BlobRef(digest.sha256, 4)
    assert hub.commits.check_blobs(bob, repo, [ref], for_pull_request=True) == {ref}
    with pytest.raises(PermissionDeniedError):
        hub.commits.check_blobs(bob, repo, [ref])
    parts = hub.commits.upload_blob(bob, repo, [b"bo"], size=2, for_pull_request=True)
    rest = hub.commits.upload_blob(bob, repo, [b"bs"], size=2, for_pull_request=True)
    with pytest.raises(PermissionDeniedError):
        hub.commits.assemble_blob(
            bob,
            repo,
            [BlobRef(parts.sha256, 2), BlobRef(rest.sha256, 2)],
            size=4,
            sha256=digest.sha256,
        )
    hub.commits.assemble_blob(
        bob,
        repo,
        [BlobRef(parts.sha256, 2), BlobRef(rest.sha256, 2)],
        size=4,
        sha256=digest.sha256,
        for_pull_request=True,
    )
    add = AddFile("b.txt", digest.sha256, 4)
    with pytest.raises(PermissionDeniedError):
        hub.commits.commit(bob, repo, "main", [add], message="m")
    with pytest.raises(PermissionDeniedError):  # only through the pull request's use case
        hub.commits.commit(bob, repo, "refs/pr/1", [add], message="m")
    assert hub.revisions.resolve(alice, repo, "main").commit.id == main
    # Read-only credentials, strangers to a private repo and anonymous callers upload nothing.
    read_only = hub.user("rita", scope=Scope.READ)
    with pytest.raises(PermissionDeniedError):
        hub.commits.upload_blob(read_only, repo, [b"x"], size=1, for_pull_request=True)
    with pytest.raises(AuthenticationError):
        hub.commits.upload_blob(Principal(user=None), repo, [b"x"], size=1, for_pull_request=True)
    hidden = RepoId(RepoType.MODEL, "alice", "hidden")
    hub.repos.create(alice, hidden, private=True)
    with pytest.raises(RepoNotFoundError):
        hub.commits.upload_blob(bob, hidden, [b"x"], size=1, for_pull_request=True)


def test_parts_assemble_into_one_checked_blob(
    hub: Hub, alice: Principal, bob: Principal, repo: RepoId
) -> None:
    pieces = [b"first-", b"second-", b"third"]
    refs = [BlobRef(upload(hub, alice, p).sha256, len(p)) for p in pieces]
    whole = b"".join(pieces)
    sha256 = hashlib.sha256(whole).hexdigest()
    with pytest.raises(DigestMismatchError):
        hub.commits.assemble_blob(alice, repo, refs[::-1], size=len(whole), sha256=sha256)
    with pytest.raises(InvalidInputError):
        hub.commits.assemble_blob(alice, repo, refs[:2], size=len(whole), sha256=sha256)
    assert hub.commits.check_blobs(alice, repo, [BlobRef(sha256, len(whole))]) == frozenset()
    digest = hub.commits.assemble_blob(alice, repo, refs, size=len(whole), sha256=sha256)
    assert digest.sha256 == sha256
    hub.commits.commit(alice, repo, "main", [AddFile("w.bin", sha256, len(whole))], message="m")
    assert read(hub, alice, "w.bin") == whole
    # bob may write, and knows every part's hash, but uploaded none of them.
    hub.orgs.set_collaborator(alice, repo, "bob", Role.WRITE)
    with pytest.raises(BlobUnknownError):
        hub.commits.assemble_blob(bob, repo, refs, size=len(whole), sha256=sha256)


def test_each_path_names_the_last_commit_that_changed_it(
    hub: Hub, alice: Principal, repo: RepoId
) -> None:
    one, two = upload(hub, alice, b"one"), upload(hub, alice, b"two")
    adds = [at("a.txt", one), at("d/b.txt", one), at("d/c.txt", one)]
    first = hub.commits.commit(alice, repo, "main", adds, message="1")
    second = hub.commits.commit(alice, repo, "main", [at("d/b.txt", two)], message="2")
    hub.commits.commit(alice, repo, "main", [at("other.txt", one)], message="3")
    fourth = hub.commits.commit(alice, repo, "main", [DeleteFile("a.txt")], message="4")
    fifth = hub.commits.commit(alice, repo, "main", [at("a.txt", one)], message="5")
    found = hub.files.last_changes(
        alice, repo, "main", ["a.txt", "d", "d/b.txt", "d/c.txt", "missing", "d/x"]
    )
    assert {path: commit.id for path, commit in found.items()} == {
        "a.txt": fifth.id,
        "d": second.id,
        "d/b.txt": second.id,
        "d/c.txt": first.id,
    }
    # At an older revision, and with history read only so far back.
    older = hub.files.last_changes(alice, repo, fourth.id, ["d/c.txt", "other.txt"])
    assert older["d/c.txt"].id == first.id
    shallow = hub.files.last_changes(alice, repo, "main", ["d/c.txt", "a.txt"], max_commits=2)
    assert {path: commit.id for path, commit in shallow.items()} == {"a.txt": fifth.id}


def test_first_appearances_name_each_content_once_where_it_came_in(
    hub: Hub, alice: Principal, bob: Principal, repo: RepoId
) -> None:
    blob = upload(hub, alice, b"shard")
    other = upload(hub, alice, b"other")
    hub.commits.commit(alice, repo, "main", [at("w/a.bin", blob)], message="one")
    hub.clock.advance()
    hub.revisions.create_ref(alice, repo, RefKind.BRANCH, "dev", "main")
    hub.commits.commit(alice, repo, "dev", [at("b.bin", other), at("c.txt", blob)], message="two")
    hub.clock.advance()
    hub.commits.commit(alice, repo, "main", [DeleteFile("w/a.bin")], message="gone")
    found = hub.files.first_appearances(bob, repo, lambda f: f.path.endswith(".bin"))
    assert [(f.file.path, f.ref, f.commit.message) for f in found] == sorted(
        [("w/a.bin", "main", "one"), ("b.bin", "dev", "two")],
        key=lambda item: {"w/a.bin": blob.sha256, "b.bin": other.sha256}[item[0]],
    )
    assert hub.files.first_appearances(bob, repo, lambda f: False) == []
