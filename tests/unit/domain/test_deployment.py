"""Every row of the deployment identity's table, with in-memory fakes of its two ports."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, replace
from datetime import UTC, datetime

import pytest

from weighthouse.domain.deployment import DeploymentIdentity
from weighthouse.domain.errors import DeploymentMismatchError
from weighthouse.domain.model import DeploymentRecord

pytestmark = pytest.mark.unit

NOW = datetime(2026, 12, 1, tzinfo=UTC)


@dataclass
class FakeCatalog:
    record: DeploymentRecord | None = None
    repos: bool = False
    writes: int = 0

    def deployment(self) -> DeploymentRecord | None:
        return self.record

    def claim_deployment(self, record: DeploymentRecord) -> DeploymentRecord:
        if self.record is None:
            self.record = record
            self.writes += 1
        return self.record

    def mark_store(self, deployment_id: str, at: datetime) -> None:
        record = self.record
        if record is not None and record.id == deployment_id and record.store_marked_at is None:
            self.record = replace(record, store_marked_at=at)
            self.writes += 1

    def holds_repos(self) -> bool:
        return self.repos


@dataclass
class FakeStore:
    marker: str | None = None
    blobs: bool = False
    writes: int = 0

    def read(self) -> str | None:
        return self.marker

    def write(self, deployment_id: str) -> None:
        self.marker = deployment_id
        self.writes += 1

    def holds_anything(self) -> bool:
        return self.blobs or self.marker is not None


def identity(catalog: FakeCatalog, store: FakeStore) -> DeploymentIdentity:
    ids = (f"id{n}" for n in itertools.count(1))
    return DeploymentIdentity(
        catalog,
        store,
        lambda: NOW,
        catalog_name="postgresql://db/wh",
        store_name="/srv/blobs",
        new_id=lambda: next(ids),
    )


def marked(deployment_id: str) -> DeploymentRecord:
    return DeploymentRecord(deployment_id, NOW, store_marked_at=NOW)


def test_a_fresh_deployment_gets_one_id_in_both_places() -> None:
    catalog, store = FakeCatalog(), FakeStore()
    assert identity(catalog, store).verify() is None  # nothing to protect yet, nothing written
    assert catalog.writes == store.writes == 0
    assert identity(catalog, store).adopt() == "id1"
    assert catalog.record == marked("id1") and store.marker == "id1"
    assert identity(catalog, store).adopt() == "id1"  # idempotent
    assert identity(catalog, store).verify() == "id1"
    assert (catalog.writes, store.writes) == (2, 1)


@pytest.mark.parametrize("store", [FakeStore(blobs=True), FakeStore(marker="other")])
@pytest.mark.parametrize("adopt", [False, True])
def test_an_empty_catalog_over_a_store_with_content_is_refused(
    store: FakeStore, adopt: bool
) -> None:
    catalog = FakeCatalog()
    check = identity(catalog, store)
    with pytest.raises(DeploymentMismatchError) as refused:
        check.adopt() if adopt else check.verify()
    message = refused.value.message
    assert "the catalog postgresql://db/wh is empty" in message and "/srv/blobs" in message
    assert "WEIGHTHOUSE_CONFIG" in message
    assert catalog.writes == 0 and store.marker in (None, "other")


def test_a_deployment_from_before_ids_is_adopted_only_by_adopt() -> None:
    catalog, store = FakeCatalog(repos=True), FakeStore(blobs=True)
    with pytest.raises(DeploymentMismatchError, match=r"has no id yet.*db upgrade"):
        identity(catalog, store).verify()
    assert catalog.writes == store.writes == 0
    assert identity(catalog, store).adopt() == "id1"
    assert catalog.record == marked("id1") and store.marker == "id1"
    assert identity(catalog, store).verify() == "id1"


def test_a_catalog_without_id_over_a_marked_store_is_refused() -> None:
    catalog, store = FakeCatalog(repos=True), FakeStore(blobs=True, marker="theirs")
    with pytest.raises(DeploymentMismatchError, match="belongs to deployment theirs"):
        identity(catalog, store).adopt()
    assert catalog.writes == store.writes == 0


@pytest.mark.parametrize("adopt", [False, True])
def test_two_different_ids_are_refused(adopt: bool) -> None:
    catalog, store = FakeCatalog(marked("ours"), repos=True), FakeStore(marker="theirs")
    check = identity(catalog, store)
    with pytest.raises(DeploymentMismatchError, match=r"is deployment ours.*is deployment theirs"):
        check.adopt() if adopt else check.verify()
    assert store.marker == "theirs" and catalog.writes == 0


@pytest.mark.parametrize("blobs", [False, True])
def test_a_marked_store_that_lost_its_marker_is_refused(blobs: bool) -> None:
    """A wrong blob root (empty, or another deployment's from before ids) is never marked."""
    catalog, store = FakeCatalog(marked("ours"), repos=True), FakeStore(blobs=blobs)
    with pytest.raises(DeploymentMismatchError, match="no marker of deployment ours"):
        identity(catalog, store).adopt()
    assert store.writes == 0


def test_a_crash_after_the_catalog_was_claimed_is_finished_by_adopt() -> None:
    catalog = FakeCatalog(DeploymentRecord("id9", NOW), repos=True)
    store = FakeStore(blobs=True)
    with pytest.raises(DeploymentMismatchError, match="has no id yet"):
        identity(catalog, store).verify()
    assert identity(catalog, store).adopt() == "id9"
    assert store.marker == "id9" and catalog.record == marked("id9")


def test_a_crash_after_the_marker_was_written_is_finished_by_adopt() -> None:
    catalog = FakeCatalog(DeploymentRecord("id9", NOW), repos=True)
    store = FakeStore(blobs=True, marker="id9")
    assert identity(catalog, store).verify() == "id9"  # the pair is already provably one
    assert identity(catalog, store).adopt() == "id9"
    assert catalog.record == marked("id9") and store.writes == 0


def test_of_two_first_starts_both_take_the_id_that_won_the_catalog() -> None:
    store = FakeStore()
    winner = DeploymentRecord("winner", NOW)

    class LosingCatalog(FakeCatalog):
        def claim_deployment(self, record: DeploymentRecord) -> DeploymentRecord:
            self.record = self.record or winner  # another process committed first
            return self.record

    catalog = LosingCatalog()
    assert identity(catalog, store).adopt() == "winner"
    assert store.marker == "winner"
