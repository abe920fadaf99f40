"""Proof before reuse through the use cases, on the real embedded stack (SQLite catalog, local
blob store) with a clock the tests move: who may commit a stored blob by its hash, and what
everyone else learns (nothing)."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from weighthouse.bootstrap import Container, bootstrap, start
from weighthouse.config import Settings
from weighthouse.domain.access import Principal
from weighthouse.domain.blob_proof import BlobRef
from weighthouse.domain.commits import AddFile
from weighthouse.domain.errors import (
    BlobUnknownError,
    DigestMismatchError,
    DomainError,
    EntryNotFoundError,
    InvalidInputError,
)
from weighthouse.domain.model import Commit, RepoId, RepoType, Role, Scope
from weighthouse.domain.ports import BlobSourceQuery

pytestmark = pytest.mark.integration

GRACE = timedelta(hours=6)
SECRET = b"the private weights nobody else has seen" * 50


class Clock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now


@dataclass
class World:
    hub: Container
    clock: Clock
    admin: Principal
    owner: Principal
    outsider: Principal
    member: Principal
    collaborator: Principal
    source: RepoId  # acme/source, private, holds SECRET at weights.bin
    secret: BlobRef

    def principal(self, name: str) -> Principal:
        return Principal(user=self.hub.catalog.get_user(name), scope=Scope.WRITE)

    def own_repo(self, who: Principal, name: str = "mine") -> RepoId:
        assert who.user is not None
        repo = RepoId(RepoType.MODEL, who.user.name, name)
        self.hub.repos.create(who, repo, private=True)
        return repo


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    clock = Clock()
    settings = Settings(data_dir=tmp_path / "data", gc_grace_seconds=int(GRACE.total_seconds()))
    hub = bootstrap(settings, clock=clock)
    start(hub)
    admin = Principal(user=hub.catalog.get_user("admin"), scope=Scope.ADMIN)
    for name in ("olivia", "oscar", "mia", "cole"):
        hub.accounts.create_user(admin, name)
    owner = Principal(user=hub.catalog.get_user("olivia"), scope=Scope.WRITE)
    hub.orgs.create(owner, "acme")
    hub.orgs.set_member(owner, "acme", "mia", Role.READ)
    source = RepoId(RepoType.MODEL, "acme", "source")
    hub.repos.create(owner, source, private=True)
    hub.orgs.set_collaborator(owner, source, "cole", Role.READ)
    _, digest = hub.commits.upload_file(owner, source, "main", "weights.bin", [SECRET])
    w = World(
        hub=hub,
        clock=clock,
        admin=admin,
        owner=owner,
        outsider=Principal(user=hub.catalog.get_user("oscar"), scope=Scope.WRITE),
        member=Principal(user=hub.catalog.get_user("mia"), scope=Scope.WRITE),
        collaborator=Principal(user=hub.catalog.get_user("cole"), scope=Scope.WRITE),
        source=source,
        secret=BlobRef(digest.sha256, digest.size),
    )
    # Past the grace period: the owner's own upload record no longer proves anything, so what
    # follows tests reachability unless a test uploads again.
    clock.now += GRACE + timedelta(seconds=1)
    try:
        yield w
    finally:
        hub.close()


def commit_ref(w: World, who: Principal, repo: RepoId, ref: BlobRef, path: str = "copy") -> Commit:
    return w.hub.commits.commit(
        who, repo, "main", [AddFile(path, ref.sha256, ref.size)], message="reuse"
    )


def refusal(w: World, who: Principal, repo: RepoId, ref: BlobRef) -> DomainError:
    with pytest.raises(DomainError) as caught:
        commit_ref(w, who, repo, ref)
    return caught.value


def masked(error: DomainError, sha256: str) -> tuple[type, str, dict[str, object]]:
    fields = {k: str(v).replace(sha256, "<sha>") for k, v in error.fields.items()}
    return type(error), error.message.replace(sha256, "<sha>"), fields


def random_ref(size: int) -> BlobRef:
    return BlobRef(hashlib.sha256(os.urandom(16)).hexdigest(), size)


def read(w: World, who: Principal, repo: RepoId, path: str = "copy") -> bytes:
    _, download = w.hub.files.download(who, repo, "main", path)
    with w.hub.files.reader(download) as reader:
        return reader.read_range(0, reader.size)


# --- an outsider gets nothing ----------------------------------------------------------------
@pytest.mark.parametrize("size", ["right", "wrong"])
def test_an_outsiders_commit_of_a_private_blob_fails_exactly_like_a_random_hash(
    world: World, size: str
) -> None:
    repo = world.own_repo(world.outsider)
    declared = world.secret.size if size == "right" else world.secret.size + 1
    private = refusal(world, world.outsider, repo, BlobRef(world.secret.sha256, declared))
    unknown_ref = random_ref(declared)
    unknown = refusal(world, world.outsider, repo, unknown_ref)
    assert isinstance(private, BlobUnknownError)
    assert masked(private, world.secret.sha256) == masked(unknown, unknown_ref.sha256)
    assert str(world.secret.size) not in private.message
    with pytest.raises(EntryNotFoundError):  # the refused commit left nothing behind
        world.hub.files.download(world.outsider, repo, "main", "copy")


def test_the_availability_check_says_missing_for_a_private_and_a_random_blob(
    world: World,
) -> None:
    repo = world.own_repo(world.outsider)
    unknown = random_ref(world.secret.size)
    assert world.hub.commits.check_blobs(world.outsider, repo, [world.secret, unknown]) == set()
    assert world.hub.commits.check_blobs(world.owner, world.source, [world.secret, unknown]) == {
        world.secret
    }


def test_knowing_the_hash_reads_nothing_through_files(world: World) -> None:
    """Only a use case that has checked access hands out a blob's hash; guessing paths by hash
    in one's own repo finds nothing."""
    repo = world.own_repo(world.outsider)
    with pytest.raises(DomainError):
        world.hub.files.download(world.outsider, repo, "main", world.secret.sha256)
    with pytest.raises(DomainError):
        world.hub.files.download(world.outsider, world.source, "main", "weights.bin")


# --- those who can read the source reuse it without uploading --------------------------------
@pytest.mark.parametrize("who", ["owner", "member", "collaborator", "admin"])
def test_readers_of_the_source_reuse_the_blob_without_uploading(world: World, who: str) -> None:
    principal = getattr(world, who)
    repo = world.own_repo(principal, f"copy-of-{who}")
    assert world.hub.commits.check_blobs(principal, repo, [world.secret]) == {world.secret}
    commit_ref(world, principal, repo, world.secret)
    assert read(world, principal, repo) == SECRET


def test_the_target_repo_itself_proves_its_own_blobs(world: World) -> None:
    world.hub.commits.commit(
        world.owner,
        world.source,
        "main",
        [AddFile("again.bin", world.secret.sha256, world.secret.size)],
        message="a second path, same bytes",
    )
    assert read(world, world.owner, world.source, "again.bin") == SECRET


def test_a_prover_who_names_the_wrong_size_learns_the_size_they_could_read(world: World) -> None:
    repo = world.own_repo(world.collaborator)
    wrong = BlobRef(world.secret.sha256, world.secret.size + 1)
    error = refusal(world, world.collaborator, repo, wrong)
    assert isinstance(error, DigestMismatchError)
    assert world.hub.commits.check_blobs(world.collaborator, repo, [wrong]) == set()


def test_a_public_source_proves_its_blobs_to_everyone_until_it_turns_private(
    world: World,
) -> None:
    repo = world.own_repo(world.outsider)
    world.hub.repos.update(world.owner, world.source, private=False)
    assert world.hub.commits.check_blobs(world.outsider, repo, [world.secret]) == {world.secret}
    world.hub.repos.update(world.owner, world.source, private=True)
    assert world.hub.commits.check_blobs(world.outsider, repo, [world.secret]) == set()
    assert isinstance(refusal(world, world.outsider, repo, world.secret), BlobUnknownError)


# --- uploads prove possession for the grace period ---------------------------------------------
def test_an_own_upload_is_committed_by_hash_within_the_grace_period(world: World) -> None:
    staging = world.own_repo(world.outsider, "staging")
    target = world.own_repo(world.outsider, "target")
    digest = world.hub.commits.upload_blob(world.outsider, staging, [b"my own bytes"])
    world.clock.now += GRACE - timedelta(seconds=1)
    ref = BlobRef(digest.sha256, digest.size)
    assert world.hub.commits.check_blobs(world.outsider, target, [ref]) == {ref}
    commit_ref(world, world.outsider, target, ref)
    assert read(world, world.outsider, target) == b"my own bytes"


def test_after_the_grace_period_an_unreferenced_upload_needs_uploading_again(
    world: World,
) -> None:
    repo = world.own_repo(world.outsider)
    digest = world.hub.commits.upload_blob(world.outsider, repo, [b"late bytes"])
    ref = BlobRef(digest.sha256, digest.size)
    world.clock.now += GRACE + timedelta(seconds=1)
    assert world.hub.commits.check_blobs(world.outsider, repo, [ref]) == set()
    assert isinstance(refusal(world, world.outsider, repo, ref), BlobUnknownError)
    world.hub.commits.upload_blob(world.outsider, repo, [b"late bytes"])
    commit_ref(world, world.outsider, repo, ref)


def test_an_outsider_who_has_the_bytes_may_upload_and_commit_them(world: World) -> None:
    """Proof is possession: sending the same bytes is the honest way to reuse them."""
    repo = world.own_repo(world.outsider)
    digest = world.hub.commits.upload_blob(world.outsider, repo, [SECRET])
    assert digest.sha256 == world.secret.sha256
    commit_ref(world, world.outsider, repo, world.secret)


def test_one_users_upload_proves_nothing_for_another(world: World) -> None:
    repo = world.own_repo(world.owner, "staging")
    digest = world.hub.commits.upload_blob(world.owner, repo, [b"olivia's upload"])
    ref = BlobRef(digest.sha256, digest.size)
    target = world.own_repo(world.outsider)
    assert isinstance(refusal(world, world.outsider, target, ref), BlobUnknownError)


# --- revocation ---------------------------------------------------------------------------------
def test_losing_read_access_loses_the_ability_to_reuse(world: World) -> None:
    member_repo = world.own_repo(world.member)
    collaborator_repo = world.own_repo(world.collaborator)
    world.hub.orgs.remove_member(world.owner, "acme", "mia")
    world.hub.orgs.remove_collaborator(world.owner, world.source, "cole")
    for who, repo in ((world.member, member_repo), (world.collaborator, collaborator_repo)):
        assert world.hub.commits.check_blobs(who, repo, [world.secret]) == set()
        assert isinstance(refusal(world, who, repo, world.secret), BlobUnknownError)


def test_a_token_restricted_elsewhere_cannot_reuse_what_its_user_could(world: World) -> None:
    repo = world.own_repo(world.member)
    restricted = Principal(user=world.member.user, scope=Scope.WRITE, restrict_to=("mia/mine",))
    assert isinstance(refusal(world, restricted, repo, world.secret), BlobUnknownError)
    commit_ref(world, world.member, repo, world.secret)


def test_deleting_the_source_leaves_nothing_to_reuse(world: World) -> None:
    repo = world.own_repo(world.collaborator)
    world.hub.repos.delete(world.owner, world.source)
    assert isinstance(refusal(world, world.collaborator, repo, world.secret), BlobUnknownError)


# --- input and housekeeping ---------------------------------------------------------------------
def test_malformed_hashes_and_oversized_checks_are_invalid_input(world: World) -> None:
    repo = world.own_repo(world.owner)
    with pytest.raises(InvalidInputError):
        commit_ref(world, world.owner, repo, BlobRef(world.secret.sha256.upper(), 1))
    with pytest.raises(InvalidInputError):
        world.hub.commits.check_blobs(world.owner, repo, [BlobRef("ab" * 31, 1)])
    with pytest.raises(InvalidInputError):
        world.hub.commits.check_blobs(world.owner, repo, [BlobRef(world.secret.sha256, -1)])
    too_many = [random_ref(i) for i in range(1001)]
    with pytest.raises(InvalidInputError):
        world.hub.commits.check_blobs(world.owner, repo, too_many)


def test_gc_forgets_upload_records_past_the_grace_period(world: World) -> None:
    repo = world.own_repo(world.outsider)
    digest = world.hub.commits.upload_blob(world.outsider, repo, [b"kept a while"])
    assert world.outsider.user is not None
    ever = BlobSourceQuery(world.outsider.user.id, uploaded_since=datetime.min.replace(tzinfo=UTC))

    def recorded() -> frozenset[str]:
        return world.hub.catalog.find_blob_sources([digest.sha256], ever).uploaded

    young = world.hub.maintenance.gc(GRACE, dry_run=True)
    assert young.upload_records_removed == 0
    young = world.hub.maintenance.gc(GRACE)
    assert young.upload_records_removed == 1  # the owner's, from the fixture
    assert recorded() == {digest.sha256}
    world.clock.now += GRACE + timedelta(seconds=1)
    assert world.hub.maintenance.gc(GRACE).upload_records_removed == 1
    assert recorded() == set()
