"""``BlobProof`` on fakes: the permission service decides, not the catalog's hint; the store is
asked only about proven blobs; each candidate repo costs one permission check."""

from __future__ import annotations

import hashlib
from collections.abc import Collection
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import pytest

from weighthouse.domain.access import Principal
from weighthouse.domain.blob_proof import BlobProof, BlobRef
from weighthouse.domain.errors import BlobMissingError, InvalidInputError
from weighthouse.domain.model import BlobDigest, Repo, RepoType, Role, Scope, User
from weighthouse.domain.ports import (
    BlobSourceQuery,
    BlobSources,
    BlobStore,
    Catalog,
    StoredBlobInfo,
)

pytestmark = pytest.mark.unit

NOW = datetime(2026, 12, 1, tzinfo=UTC)
GRACE = timedelta(hours=6)


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def user(name: str) -> User:
    return User(id=f"id-{name}", name=name, is_admin=False, created_at=NOW)


def repo(namespace: str, name: str, *, private: bool = True) -> Repo:
    return Repo(
        id=f"{namespace}/{name}",
        type=RepoType.MODEL,
        namespace=namespace,
        name=name,
        private=private,
        created_at=NOW,
        owner_id=f"id-{namespace}",
    )


class FakeCatalog:
    """Answers with fixed holders, whoever asks: a careless hint the rule must not trust."""

    def __init__(
        self, holders: dict[str, tuple[Repo, ...]], uploaded: frozenset[str] = frozenset()
    ) -> None:
        self.holders = holders
        self.uploaded = uploaded
        self.queries: list[BlobSourceQuery] = []
        self.role_checks: list[str] = []
        self.collaborators: dict[tuple[str, str], Role] = {}
        self.recorded: list[tuple[str, str, int, datetime]] = []

    def find_blob_sources(self, sha256s: Collection[str], query: BlobSourceQuery) -> BlobSources:
        self.queries.append(query)
        uploaded = frozenset(s for s in sha256s if s in self.uploaded)
        held = {s: self.holders[s] for s in sha256s if s in self.holders and s not in uploaded}
        return BlobSources(uploaded=uploaded, holders=held)

    def member_role(self, namespace: str, user_id: str) -> Role | None:
        self.role_checks.append(namespace)
        return None

    def collaborator_role(self, repo_id: str, user_id: str) -> Role | None:
        return self.collaborators.get((repo_id, user_id))

    def get_bucket_configuration(
        self, repo_id: str, name: str, *, revision: int | None = None
    ) -> dict[str, Any] | None:
        return None  # the repos here hold models, which have no configurations

    def record_blob_upload(self, user_id: str, sha256: str, size: int, at: datetime) -> None:
        self.recorded.append((user_id, sha256, size, at))


class FakeStore:
    def __init__(self, sizes: dict[str, int]) -> None:
        self.sizes = sizes
        self.asked: list[str] = []

    def stat(self, sha256: str) -> StoredBlobInfo:
        self.asked.append(sha256)
        if sha256 not in self.sizes:
            raise BlobMissingError("missing")
        return StoredBlobInfo(sha256, self.sizes[sha256], NOW)


def proof_on(catalog: FakeCatalog, store: FakeStore | None = None) -> BlobProof:
    blobs = cast(BlobStore, store or FakeStore({}))
    return BlobProof(cast(Catalog, catalog), blobs, lambda: NOW, GRACE)


def as_user(name: str, **fields: Any) -> Principal:
    return Principal(user=user(name), scope=Scope.WRITE, **fields)


TARGET = repo("oscar", "mine")


def test_a_listed_holder_the_caller_cannot_read_proves_nothing() -> None:
    catalog = FakeCatalog({sha("secret"): (repo("olivia", "private"),)})
    assert proof_on(catalog).proven(as_user("oscar"), TARGET, [sha("secret")]) == frozenset()


def test_a_holder_the_caller_reads_proves_the_blob() -> None:
    source = repo("olivia", "shared")
    catalog = FakeCatalog({sha("shared"): (repo("olivia", "private"), source)})
    catalog.collaborators[source.id, "id-oscar"] = Role.READ
    proven = proof_on(catalog).proven(as_user("oscar"), TARGET, [sha("shared")])
    assert proven == {sha("shared")}


def test_public_and_own_holders_prove_and_the_target_is_never_asked_about() -> None:
    catalog = FakeCatalog(
        {
            sha("public"): (repo("olivia", "open", private=False),),
            sha("own"): (repo("oscar", "other"),),
            sha("here"): (TARGET,),
        }
    )
    wanted = [sha("public"), sha("own"), sha("here")]
    assert proof_on(catalog).proven(as_user("oscar"), TARGET, wanted) == set(wanted)
    assert catalog.role_checks == ["olivia"]  # own namespace and target need no lookup


def test_each_candidate_repo_is_checked_once_however_many_blobs_it_holds() -> None:
    private = repo("olivia", "private")
    catalog = FakeCatalog({sha(str(i)): (private,) for i in range(50)})
    proof_on(catalog).proven(as_user("oscar"), TARGET, [sha(str(i)) for i in range(50)])
    assert catalog.role_checks == ["olivia"]


def test_the_query_carries_who_asks_and_the_grace_period() -> None:
    catalog = FakeCatalog({})
    root = User(id="id-root", name="root", is_admin=True, created_at=NOW)
    admin = Principal(user=root, scope=Scope.ADMIN, restrict_to=("acme",))
    proof_on(catalog).proven(admin, TARGET, [sha("x"), sha("x")])
    (query,) = catalog.queries
    assert query.user_id == "id-root"
    assert query.uploaded_since == NOW - GRACE
    assert query.restrict_to == ("acme",)
    assert query.prefer_repo_id == TARGET.id
    assert query.see_all is True  # a site admin sees all, within the token's restriction
    assert query.per_blob >= 1


def test_nothing_asked_means_no_query() -> None:
    catalog = FakeCatalog({})
    assert proof_on(catalog).proven(as_user("oscar"), TARGET, []) == frozenset()
    assert catalog.queries == []


def test_the_store_is_asked_only_about_proven_blobs() -> None:
    """Whether unproven bytes exist must not change the work done, or timing would tell."""
    store = FakeStore({sha("secret"): 10, sha("mine"): 4})
    catalog = FakeCatalog({sha("secret"): (repo("olivia", "private"),)}, uploaded={sha("mine")})
    wanted = [BlobRef(sha("secret"), 10), BlobRef(sha("nothing"), 10), BlobRef(sha("mine"), 4)]
    available = proof_on(catalog, store).available(as_user("oscar"), TARGET, wanted)
    assert available == {BlobRef(sha("mine"), 4)}
    assert store.asked == [sha("mine")]


def test_a_proven_blob_of_another_size_or_missing_from_the_store_is_not_available() -> None:
    store = FakeStore({sha("mine"): 4})
    catalog = FakeCatalog({}, uploaded={sha("mine"), sha("gone")})
    wanted = [BlobRef(sha("mine"), 5), BlobRef(sha("gone"), 1)]
    assert proof_on(catalog, store).available(as_user("oscar"), TARGET, wanted) == frozenset()


@pytest.mark.parametrize("bad", ["A" * 64, "a" * 63, "g" * 64, "", "a" * 64 + "\n"])
def test_malformed_hashes_are_refused_before_any_lookup(bad: str) -> None:
    catalog = FakeCatalog({})
    with pytest.raises(InvalidInputError):
        proof_on(catalog).proven(as_user("oscar"), TARGET, [bad])
    assert catalog.queries == []


def test_negative_sizes_are_refused() -> None:
    with pytest.raises(InvalidInputError):
        proof_on(FakeCatalog({})).available(as_user("oscar"), TARGET, [BlobRef(sha("x"), -1)])


def test_an_upload_is_recorded_for_its_user_at_the_current_time() -> None:
    catalog = FakeCatalog({})
    proof_on(catalog).record_upload(as_user("oscar"), BlobDigest(sha("x"), 3))
    assert catalog.recorded == [("id-oscar", sha("x"), 3, NOW)]
