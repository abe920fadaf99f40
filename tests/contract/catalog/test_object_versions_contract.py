"""Versions of bucket objects on every catalog: a bucket's versioning, versions written and
hidden by delete markers in the same write as the key's latest object, the ``null`` version
under suspended versioning, removing versions for good, listing them in order and from any
position, tags per version, the bucket's size, and the blobs and manifests versions keep."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from tests.contract.catalog.samples import NOW, digest, make_object, make_repo, run_together

from weighthouse.domain.catalog import Catalog
from weighthouse.domain.errors import PreconditionFailedError, RepoNotFoundError
from weighthouse.domain.model import (
    NULL_VERSION,
    ManifestPart,
    Repo,
    RepoType,
    User,
    manifest_id,
)
from weighthouse.domain.object_versions import ObjectVersion, Versioning, version_position

pytestmark = pytest.mark.contract


@pytest.fixture
def bucket(catalog: Catalog, user: User) -> Repo:
    stored = make_repo(user, name="versioned", type=RepoType.BUCKET)
    catalog.add_repo(stored)
    return stored


def history(catalog: Catalog, bucket: Repo, key: str = "") -> list[tuple[str, str, bool, bool]]:
    """``(key, version id, latest, delete marker)`` of every version, in listing order."""
    return [
        (v.key, v.version_id, v.latest, v.delete_marker)
        for v in catalog.list_object_versions(bucket.id, key, None, 1000)
    ]


def size_of(catalog: Catalog, bucket: Repo) -> int:
    return catalog.get_repo(bucket.type, bucket.namespace, bucket.name).size


def test_versioning_is_none_until_set(catalog: Catalog, bucket: Repo, repo: Repo) -> None:
    assert catalog.bucket_versioning(bucket.id) is None
    catalog.set_bucket_versioning(bucket.id, Versioning.ENABLED)
    assert catalog.bucket_versioning(bucket.id) is Versioning.ENABLED
    catalog.set_bucket_versioning(bucket.id, Versioning.SUSPENDED)
    assert catalog.bucket_versioning(bucket.id) is Versioning.SUSPENDED
    with pytest.raises(RepoNotFoundError):
        catalog.set_bucket_versioning("no-such-bucket", Versioning.ENABLED)
    with pytest.raises(RepoNotFoundError):
        catalog.set_bucket_versioning(repo.id, Versioning.ENABLED)  # a model is no bucket


def test_without_versioning_a_key_has_only_its_null_version(catalog: Catalog, bucket: Repo) -> None:
    assert catalog.put_object(bucket.id, make_object("k", "one")) == NULL_VERSION
    assert catalog.put_object(bucket.id, make_object("k", "two")) == NULL_VERSION
    assert history(catalog, bucket) == [("k", NULL_VERSION, True, False)]
    deletion = catalog.delete_object(bucket.id, "k")
    assert deletion.removed and deletion.marker is None
    assert history(catalog, bucket) == []


def test_enabled_versioning_keeps_every_write(catalog: Catalog, bucket: Repo) -> None:
    catalog.put_object(bucket.id, make_object("k", "before"))
    catalog.set_bucket_versioning(bucket.id, Versioning.ENABLED)
    ids = [catalog.put_object(bucket.id, make_object("k", f"v{n}")) for n in range(3)]
    assert len(set(ids)) == 3 and NULL_VERSION not in ids
    assert [version_position(i) for i in ids] == sorted(version_position(i) or 0 for i in ids)
    latest = catalog.get_object(bucket.id, "k")
    assert latest == replace(make_object("k", "v2"), version_id=ids[2])
    assert history(catalog, bucket) == [
        ("k", ids[2], True, False),
        ("k", ids[1], False, False),
        ("k", ids[0], False, False),
        ("k", NULL_VERSION, False, False),
    ]
    older = catalog.get_object_version(bucket.id, "k", ids[0])
    assert older is not None and not older.latest
    assert older.object == replace(make_object("k", "v0"), version_id=ids[0])
    before = catalog.get_object_version(bucket.id, "k", NULL_VERSION)
    assert before is not None and before.object == make_object("k", "before")
    assert catalog.get_object_version(bucket.id, "k", "0" * 32) is None
    assert catalog.get_object_version(bucket.id, "other", ids[0]) is None
    assert size_of(catalog, bucket) == latest.size  # the bucket's size is its latest objects


def test_a_delete_marker_hides_the_key_and_is_its_latest(catalog: Catalog, bucket: Repo) -> None:
    catalog.set_bucket_versioning(bucket.id, Versioning.ENABLED)
    kept = catalog.put_object(bucket.id, make_object("k", "kept"))
    later = NOW + timedelta(minutes=1)
    deletion = catalog.delete_object(bucket.id, "k", at=later)
    assert deletion.removed and deletion.marker not in (None, kept)
    assert deletion.marker is not None
    assert catalog.list_objects(bucket.id, "", None, 10) == []
    _, found = catalog.find_object(bucket.type, bucket.namespace, bucket.name, "k")
    assert found is None
    marker = catalog.get_object_version(bucket.id, "k", deletion.marker)
    assert marker == ObjectVersion("k", deletion.marker, marker.position, later, latest=True)
    assert marker.delete_marker
    assert history(catalog, bucket) == [
        ("k", deletion.marker, True, True),
        ("k", kept, False, False),
    ]
    assert size_of(catalog, bucket) == 0
    # A second deletion adds a second marker, even with no object to hide.
    again = catalog.delete_object(bucket.id, "k")
    assert not again.removed and again.marker is not None
    assert catalog.delete_object(bucket.id, "never-written").marker is not None


def test_removing_the_latest_version_shows_the_one_before(catalog: Catalog, bucket: Repo) -> None:
    catalog.set_bucket_versioning(bucket.id, Versioning.ENABLED)
    first = catalog.put_object(bucket.id, make_object("k", "first"))
    second = catalog.put_object(bucket.id, make_object("k", "second!"))
    marker = catalog.delete_object(bucket.id, "k").marker
    assert marker is not None
    removed = catalog.delete_object_version(bucket.id, "k", marker, NOW)
    assert removed is not None and removed.delete_marker and removed.latest
    assert catalog.get_object(bucket.id, "k").version_id == second
    assert size_of(catalog, bucket) == len("second!")
    gone = catalog.delete_object_version(bucket.id, "k", second, NOW)
    assert gone is not None and gone.object is not None and gone.latest
    assert catalog.get_object(bucket.id, "k") == replace(
        make_object("k", "first"), version_id=first
    )
    assert size_of(catalog, bucket) == len("first")
    assert catalog.delete_object_version(bucket.id, "k", second, NOW) is None
    assert catalog.delete_object_version(bucket.id, "k", first, NOW) is not None
    assert history(catalog, bucket) == [] and size_of(catalog, bucket) == 0


def test_removing_an_older_version_or_marker_leaves_the_latest(
    catalog: Catalog, bucket: Repo
) -> None:
    catalog.set_bucket_versioning(bucket.id, Versioning.ENABLED)
    old = catalog.put_object(bucket.id, make_object("k", "old"))
    marker = catalog.delete_object(bucket.id, "k").marker
    new = catalog.put_object(bucket.id, make_object("k", "new"))
    assert marker is not None
    assert catalog.delete_object_version(bucket.id, "k", marker, NOW) is not None
    assert catalog.delete_object_version(bucket.id, "k", old, NOW) is not None
    assert history(catalog, bucket) == [("k", new, True, False)]
    # A marker under another marker: removing the newer shows the older marker as latest.
    first = catalog.delete_object(bucket.id, "k").marker
    second = catalog.delete_object(bucket.id, "k").marker
    assert first is not None and second is not None
    catalog.delete_object_version(bucket.id, "k", second, NOW)
    assert history(catalog, bucket) == [("k", first, True, True), ("k", new, False, False)]
    assert catalog.list_objects(bucket.id, "", None, 10) == []


def test_removing_the_null_version_of_a_bucket_without_versioning(
    catalog: Catalog, bucket: Repo
) -> None:
    catalog.put_object(bucket.id, make_object("k", "plain"))
    removed = catalog.delete_object_version(bucket.id, "k", NULL_VERSION, NOW)
    assert removed is not None and removed.object == make_object("k", "plain")
    assert catalog.list_objects(bucket.id, "", None, 10) == []
    assert catalog.delete_object_version(bucket.id, "k", NULL_VERSION, NOW) is None


def test_suspended_versioning_replaces_the_null_version_wherever_it_is(
    catalog: Catalog, bucket: Repo
) -> None:
    catalog.put_object(bucket.id, make_object("k", "original"))
    catalog.set_bucket_versioning(bucket.id, Versioning.ENABLED)
    kept = catalog.put_object(bucket.id, make_object("k", "kept"))
    catalog.set_bucket_versioning(bucket.id, Versioning.SUSPENDED)
    # The older null version goes; the new one is the latest.
    assert catalog.put_object(bucket.id, make_object("k", "suspended")) == NULL_VERSION
    assert history(catalog, bucket) == [
        ("k", NULL_VERSION, True, False),
        ("k", kept, False, False),
    ]
    assert catalog.put_object(bucket.id, make_object("k", "again")) == NULL_VERSION
    assert len(history(catalog, bucket)) == 2
    # A deletion is a null delete marker, replacing the null object.
    deletion = catalog.delete_object(bucket.id, "k")
    assert deletion.removed and deletion.marker == NULL_VERSION
    assert history(catalog, bucket) == [
        ("k", NULL_VERSION, True, True),
        ("k", kept, False, False),
    ]
    catalog.delete_object_version(bucket.id, "k", NULL_VERSION, NOW)
    assert catalog.get_object(bucket.id, "k").version_id == kept


def test_conditions_see_a_delete_marker_as_no_object(catalog: Catalog, bucket: Repo) -> None:
    catalog.set_bucket_versioning(bucket.id, Versioning.ENABLED)
    catalog.put_object(bucket.id, make_object("k", "one"))
    with pytest.raises(PreconditionFailedError):
        catalog.put_object(bucket.id, make_object("k", "two"), if_none_match=True)
    catalog.delete_object(bucket.id, "k")
    with pytest.raises(PreconditionFailedError):
        catalog.put_object(bucket.id, make_object("k", "two"), if_match=digest("one"))
    catalog.put_object(bucket.id, make_object("k", "two"), if_none_match=True)
    catalog.put_object(bucket.id, make_object("k", "three"), if_match=digest("two"))
    assert not catalog.delete_object(bucket.id, "k", if_sha256=digest("two")).removed
    assert len(history(catalog, bucket)) == 4  # a refused write or deletion adds nothing
    assert catalog.delete_object(bucket.id, "k", if_sha256=digest("three")).removed


def test_racing_creators_in_a_versioned_bucket_have_one_winner(
    catalog: Catalog, bucket: Repo
) -> None:
    catalog.set_bucket_versioning(bucket.id, Versioning.ENABLED)
    results = run_together(
        8, lambda i: catalog.put_object(bucket.id, make_object("hot", f"{i}"), if_none_match=True)
    )
    assert sum(isinstance(r, str) for r in results) == 1, results
    assert sum(isinstance(r, PreconditionFailedError) for r in results) == 7
    assert len(history(catalog, bucket)) == 1


def test_concurrent_writers_each_leave_a_version(catalog: Catalog, bucket: Repo) -> None:
    catalog.set_bucket_versioning(bucket.id, Versioning.ENABLED)
    results = run_together(
        8, lambda i: catalog.put_object(bucket.id, make_object("k", "x" * (i + 1)))
    )
    assert all(isinstance(r, str) for r in results), results
    listed = history(catalog, bucket)
    assert sorted(v[1] for v in listed) == sorted(str(r) for r in results)
    assert [v[2] for v in listed] == [True] + [False] * 7
    assert size_of(catalog, bucket) == catalog.get_object(bucket.id, "k").size


def test_listing_orders_by_key_then_newest_and_continues_anywhere(
    catalog: Catalog, bucket: Repo
) -> None:
    catalog.set_bucket_versioning(bucket.id, Versioning.ENABLED)
    for key in ("b", "a", "a/x", "c"):
        catalog.put_object(bucket.id, make_object(key, f"{key} 1"))
        catalog.put_object(bucket.id, make_object(key, f"{key} 2"))
    catalog.delete_object(bucket.id, "c")
    every = catalog.list_object_versions(bucket.id, "", None, 100)
    assert [v.key for v in every] == ["a"] * 2 + ["a/x"] * 2 + ["b"] * 2 + ["c"] * 3
    for key in ("a", "a/x", "b", "c"):
        positions = [v.position for v in every if v.key == key]
        assert positions == sorted(positions, reverse=True)
    # Page by page from each last version gives the same list.
    paged: list[ObjectVersion] = []
    after = None
    while page := catalog.list_object_versions(bucket.id, "", after, 2):
        paged += page
        after = (page[-1].key.encode(), page[-1].position)
    assert paged == every
    assert catalog.list_object_versions(bucket.id, "a/", None, 10) == every[2:4]
    assert catalog.list_object_versions(bucket.id, "", (b"a/x", None), 10) == every[4:]
    # A position whose version was removed still places the listing.
    catalog.delete_object_version(bucket.id, "b", every[4].version_id, NOW)
    assert catalog.list_object_versions(bucket.id, "", (b"b", every[4].position), 1) == [
        replace(every[5], latest=True)
    ]


def test_tags_belong_to_one_version(catalog: Catalog, bucket: Repo) -> None:
    catalog.set_bucket_versioning(bucket.id, Versioning.ENABLED)
    old = catalog.put_object(bucket.id, replace(make_object("k", "old"), tags={"a": "1"}))
    new = catalog.put_object(bucket.id, make_object("k", "new"))
    assert catalog.set_object_version_tags(bucket.id, "k", old, {"b": "2"})
    assert catalog.set_object_version_tags(bucket.id, "k", new, {"c": "3"})
    older = catalog.get_object_version(bucket.id, "k", old)
    assert older is not None and older.object is not None and older.object.tags == {"b": "2"}
    assert catalog.get_object(bucket.id, "k").tags == {"c": "3"}
    marker = catalog.delete_object(bucket.id, "k").marker
    assert marker is not None
    assert not catalog.set_object_version_tags(bucket.id, "k", marker, {"d": "4"})
    assert not catalog.set_object_version_tags(bucket.id, "k", "0" * 32, {"d": "4"})


def test_every_versions_blob_is_referenced_until_it_is_removed(
    catalog: Catalog, bucket: Repo
) -> None:
    catalog.set_bucket_versioning(bucket.id, Versioning.ENABLED)
    old = catalog.put_object(bucket.id, make_object("k", "old bytes"))
    catalog.put_object(bucket.id, make_object("k", "new bytes"))
    catalog.delete_object(bucket.id, "k")
    assert dict(catalog.referenced_blobs()) == {
        digest("old bytes"): len("old bytes"),
        digest("new bytes"): len("new bytes"),
    }
    assert catalog.is_referenced(digest("old bytes"))
    catalog.delete_object_version(bucket.id, "k", old, NOW)
    assert not catalog.is_referenced(digest("old bytes"))
    assert set(dict(catalog.referenced_blobs())) == {digest("new bytes")}


def test_a_manifest_an_older_version_names_is_kept(catalog: Catalog, bucket: Repo) -> None:
    catalog.set_bucket_versioning(bucket.id, Versioning.ENABLED)
    parts = [ManifestPart(digest(f"part {n}"), n + 1) for n in range(2)]
    manifest = manifest_id(parts)
    joined = replace(make_object("k"), sha256=manifest, md5="", size=3, part_sizes=(1, 2))

    def store() -> str:
        catalog.put_manifest(manifest, parts, NOW - timedelta(days=2))
        return catalog.put_object(bucket.id, joined)

    version_id = catalog.run_atomic(store)
    catalog.put_object(bucket.id, make_object("k", "plain"))
    assert catalog.prune_manifests(NOW - timedelta(days=1)) == 0
    assert catalog.manifest(manifest) == parts
    assert all(catalog.is_referenced(part.sha256) for part in parts)
    catalog.delete_object_version(bucket.id, "k", version_id, NOW)
    assert not any(catalog.is_referenced(part.sha256) for part in parts)
    assert catalog.prune_manifests(NOW - timedelta(days=1)) == 1


def test_versions_go_with_their_bucket(catalog: Catalog, bucket: Repo, user: User) -> None:
    catalog.set_bucket_versioning(bucket.id, Versioning.ENABLED)
    catalog.put_object(bucket.id, make_object("k", "old"))
    catalog.put_object(bucket.id, make_object("k", "new"))
    catalog.delete_object(bucket.id, "k")
    catalog.delete_repo(bucket.id)
    assert list(catalog.referenced_blobs()) == []
    again = make_repo(user, name="versioned", type=RepoType.BUCKET)
    catalog.add_repo(again)
    assert catalog.bucket_versioning(again.id) is None
    assert catalog.list_object_versions(again.id, "", None, 10) == []
    with pytest.raises(RepoNotFoundError):
        catalog.put_object(bucket.id, make_object("k"))
