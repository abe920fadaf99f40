"""Versioned buckets on the in-memory catalog: who may set and read versioning, reading,
tagging and removing versions by id, delete markers, listings of versions with prefixes,
delimiters and positions, and the errors a careless or foreign caller gets."""

from __future__ import annotations

import pytest
from tests.unit.domain.conftest import Hub

from weighthouse.domain.access import ANONYMOUS, Principal
from weighthouse.domain.errors import (
    AuthenticationError,
    DeleteMarkerError,
    EntryNotFoundError,
    InvalidInputError,
    PermissionDeniedError,
    RepoNotFoundError,
    VersionNotFoundError,
)
from weighthouse.domain.model import NULL_VERSION, RepoId, RepoType, Role
from weighthouse.domain.object_versions import (
    Versioning,
    VersionListing,
    check_version_id,
    new_version_id,
    version_position,
)

pytestmark = pytest.mark.unit

BUCKET = RepoId(RepoType.BUCKET, "alice", "history")


@pytest.fixture
def bucket(hub: Hub, alice: Principal) -> RepoId:
    hub.repos.create(alice, BUCKET, private=True)
    hub.buckets.set_versioning(alice, BUCKET, Versioning.ENABLED)
    return BUCKET


def entries(listing: VersionListing) -> list[tuple[str, bool, bool]]:
    return [(v.key, v.latest, v.delete_marker) for v in listing.versions]


def test_version_ids_are_checked_and_carry_their_position() -> None:
    made = new_version_id(42)
    assert check_version_id(made) == made and len(made) == 32
    assert version_position(made) == 42 and version_position(NULL_VERSION) is None
    assert new_version_id(42) != made
    for bad in ("", "NULL", "Null", made.upper(), made[:-1], made + "0", "g" * 32, "../x"):
        with pytest.raises(InvalidInputError):
            check_version_id(bad)


def test_versioning_is_read_by_readers_and_set_by_admins_only(
    hub: Hub, alice: Principal, bob: Principal, bucket: RepoId
) -> None:
    assert hub.buckets.versioning(alice, bucket) is Versioning.ENABLED
    for stranger in (bob, ANONYMOUS):
        with pytest.raises(RepoNotFoundError):
            hub.buckets.versioning(stranger, bucket)
        with pytest.raises(RepoNotFoundError):
            hub.buckets.set_versioning(stranger, bucket, Versioning.SUSPENDED)
    hub.orgs.set_collaborator(alice, bucket, "bob", Role.WRITE)
    assert hub.buckets.versioning(bob, bucket) is Versioning.ENABLED
    with pytest.raises(PermissionDeniedError):
        hub.buckets.set_versioning(bob, bucket, Versioning.SUSPENDED)
    hub.repos.update(alice, bucket, private=False)
    with pytest.raises(AuthenticationError):
        hub.buckets.set_versioning(ANONYMOUS, bucket, Versioning.SUSPENDED)
    with pytest.raises(ValueError):
        hub.buckets.set_versioning(alice, bucket, "Disabled")  # type: ignore[arg-type]
    assert hub.buckets.versioning(alice, bucket) is Versioning.ENABLED


def test_versions_are_read_by_id_and_a_marker_hides_the_key(
    hub: Hub, alice: Principal, bucket: RepoId
) -> None:
    first = hub.buckets.put(alice, bucket, "k", [b"first"], tags=[("n", "1")])
    second = hub.buckets.put(alice, bucket, "k", [b"second"])
    assert first.version_id != second.version_id != NULL_VERSION
    assert hub.buckets.head(alice, bucket, "k") == second
    assert hub.buckets.head(alice, bucket, "k", version_id=first.version_id) == first
    obj, download = hub.buckets.download(alice, bucket, "k", version_id=first.version_id)
    with hub.buckets.reader(download) as reader:
        assert reader.read_range(0, obj.size) == b"first"
    deletion = hub.buckets.delete(alice, bucket, "k")
    assert deletion.removed and deletion.marker is not None
    with pytest.raises(EntryNotFoundError) as hidden:
        hub.buckets.head(alice, bucket, "k")
    assert hidden.value.fields["delete_marker"] == deletion.marker
    with pytest.raises(DeleteMarkerError) as marked:
        hub.buckets.head(alice, bucket, "k", version_id=deletion.marker)
    assert marked.value.fields["delete_marker"] == deletion.marker
    with pytest.raises(VersionNotFoundError):
        hub.buckets.head(alice, bucket, "k", version_id=new_version_id(999))
    with pytest.raises(InvalidInputError):
        hub.buckets.head(alice, bucket, "k", version_id="nope")
    # A deletion in a versioned bucket adds a marker even where there is nothing to hide.
    assert hub.buckets.delete(alice, bucket, "never-written").marker is not None
    removed = hub.buckets.delete_version(alice, bucket, "k", deletion.marker)
    assert removed is not None and removed.delete_marker
    assert hub.buckets.head(alice, bucket, "k") == second
    assert hub.buckets.delete_version(alice, bucket, "k", deletion.marker) is None


def test_a_key_without_versions_is_missing_without_a_marker(
    hub: Hub, alice: Principal, bucket: RepoId
) -> None:
    with pytest.raises(EntryNotFoundError) as missing:
        hub.buckets.head(alice, bucket, "nothing")
    assert "delete_marker" not in missing.value.fields


def test_tags_of_one_version(hub: Hub, alice: Principal, bob: Principal, bucket: RepoId) -> None:
    first = hub.buckets.put(alice, bucket, "k", [b"1"])
    hub.buckets.put(alice, bucket, "k", [b"2"], tags=[("latest", "yes")])
    hub.buckets.set_tags(alice, bucket, "k", [("old", "yes")], version_id=first.version_id)
    assert hub.buckets.head(alice, bucket, "k", version_id=first.version_id).tags == {"old": "yes"}
    assert hub.buckets.head(alice, bucket, "k").tags == {"latest": "yes"}
    marker = hub.buckets.delete(alice, bucket, "k").marker
    assert marker is not None
    with pytest.raises(DeleteMarkerError):
        hub.buckets.set_tags(alice, bucket, "k", [("a", "1")], version_id=marker)
    with pytest.raises(EntryNotFoundError) as hidden:
        hub.buckets.set_tags(alice, bucket, "k", [("a", "1")])
    assert hidden.value.fields["delete_marker"] == marker
    with pytest.raises(RepoNotFoundError):
        hub.buckets.set_tags(bob, bucket, "k", [], version_id=first.version_id)


def test_strangers_get_the_missing_buckets_answer_for_every_version_call(
    hub: Hub, alice: Principal, bob: Principal, bucket: RepoId
) -> None:
    version_id = hub.buckets.put(alice, bucket, "k", [b"secret"]).version_id
    missing = RepoId(RepoType.BUCKET, "alice", "nothing-here")
    for target in (bucket, missing):
        for call in (
            lambda t=target: hub.buckets.head(bob, t, "k", version_id=version_id),
            lambda t=target: hub.buckets.head(bob, t, "k", version_id="malformed"),
            lambda t=target: hub.buckets.delete_version(bob, t, "k", version_id),
            lambda t=target: hub.buckets.delete_version(bob, t, "k", "malformed"),
            lambda t=target: hub.buckets.list_versions(bob, t),
            lambda t=target: hub.buckets.version_position(bob, t, "k", version_id),
            lambda t=target: hub.buckets.set_tags(bob, t, "k", [], version_id=version_id),
        ):
            with pytest.raises(RepoNotFoundError) as raised:
                call()
            assert raised.value.message == "repo 'alice/" + target.name + "' not found"
    assert hub.buckets.head(alice, bucket, "k", version_id=version_id).size == 6


def test_listing_versions_rolls_up_prefixes_and_continues_from_a_position(
    hub: Hub, alice: Principal, bucket: RepoId
) -> None:
    for key in ("a", "d/1", "d/2", "z"):
        hub.buckets.put(alice, bucket, key, [b"1"])
        hub.buckets.put(alice, bucket, key, [b"2"])
    hub.buckets.delete(alice, bucket, "z")
    every = hub.buckets.list_versions(alice, bucket)
    assert entries(every) == [
        ("a", True, False),
        ("a", False, False),
        ("d/1", True, False),
        ("d/1", False, False),
        ("d/2", True, False),
        ("d/2", False, False),
        ("z", True, True),
        ("z", False, False),
        ("z", False, False),
    ]
    assert every.next_after is None
    rolled = hub.buckets.list_versions(alice, bucket, delimiter="/", limit=3)
    assert entries(rolled) == [("a", True, False), ("a", False, False)]
    assert rolled.common_prefixes == ("d/",)
    assert (rolled.next_key, rolled.next_version_id) == ("d/", None)
    assert rolled.next_after is not None
    rest = hub.buckets.list_versions(alice, bucket, delimiter="/", after=rolled.next_after)
    assert entries(rest) == [("z", True, True), ("z", False, False), ("z", False, False)]
    page = hub.buckets.list_versions(alice, bucket, prefix="d/", limit=3)
    assert page.next_key == "d/2" and page.next_version_id == page.versions[-1].version_id
    assert page.next_after is not None
    after = hub.buckets.version_position(alice, bucket, "d/2", page.next_version_id)
    assert after == page.next_after
    assert entries(hub.buckets.list_versions(alice, bucket, prefix="d/", after=after)) == [
        ("d/2", False, False)
    ]
    with pytest.raises(InvalidInputError):
        hub.buckets.version_position(alice, bucket, "d/2", "malformed")


def test_a_removed_null_version_still_places_a_listing(
    hub: Hub, alice: Principal, bob: Principal
) -> None:
    plain = RepoId(RepoType.BUCKET, "alice", "plain")
    hub.repos.create(alice, plain, private=True)
    hub.buckets.put(alice, plain, "k", [b"null version"])
    position = hub.buckets.version_position(alice, plain, "k", NULL_VERSION)
    hub.buckets.delete_version(alice, plain, "k", NULL_VERSION)
    hub.buckets.put(alice, plain, "m", [b"next"])
    later = hub.buckets.version_position(alice, plain, "k", NULL_VERSION)
    assert later[0] == position[0] == b"k"
    assert [v.key for v in hub.buckets.list_versions(alice, plain, after=later).versions] == ["m"]
    assert hub.buckets.versioning(alice, plain) is None
