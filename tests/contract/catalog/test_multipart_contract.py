"""Open multipart uploads and their parts, on every catalog: parts replace by number, one
ending of an upload wins (completion claims it inside a unit of work), and open parts keep
their blobs referenced."""

from __future__ import annotations

import secrets
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import datetime, timedelta

import pytest
from tests.contract.catalog.samples import NOW, digest, make_object, run_together

from weighthouse.domain.errors import (
    BlobMissingError,
    PreconditionFailedError,
    RepoNotFoundError,
    UploadNotFoundError,
)
from weighthouse.domain.model import (
    BucketObject,
    ManifestPart,
    MultipartUpload,
    Repo,
    UploadedPart,
    User,
    manifest_id,
)
from weighthouse.domain.ports import Catalog

pytestmark = pytest.mark.contract


def make_upload(repo: Repo, user: User, key: str = "k", **fields: object) -> MultipartUpload:
    upload = MultipartUpload(
        id=secrets.token_hex(24),
        repo_id=repo.id,
        key=key,
        initiator_id=user.id,
        created_at=NOW,
        content_type="application/octet-stream",
        metadata={"stage": "draft"},
        checksum_algorithm="crc32",
        checksum_type="COMPOSITE",
    )
    return replace(upload, **fields)  # type: ignore[arg-type]


def make_part(number: int, content: str = "") -> UploadedPart:
    data = content or f"part {number}"
    return UploadedPart(
        number=number,
        sha256=digest(data),
        size=len(data),
        md5="0" * 32,
        modified_at=NOW,
        checksum="AAAAAA==",
    )


def test_an_upload_and_its_parts_round_trip(catalog: Catalog, repo: Repo, user: User) -> None:
    upload = make_upload(repo, user, key="dir/é.bin")
    catalog.add_upload(upload)
    assert catalog.get_upload(upload.id) == upload
    for number in (3, 1, 2):
        catalog.put_part(upload.id, make_part(number))
    catalog.put_part(upload.id, make_part(2, "again"))
    parts = catalog.list_parts(upload.id, 0, 10)
    assert parts == [make_part(1), make_part(2, "again"), make_part(3)]
    assert catalog.list_parts(upload.id, 1, 1) == [make_part(2, "again")]
    with pytest.raises(UploadNotFoundError):
        catalog.get_upload("f" * 48)
    with pytest.raises(RepoNotFoundError):
        catalog.add_upload(make_upload(replace(repo, id="0" * 32), user))


def test_an_upload_keeps_its_content_headers_apart_from_the_callers_copy(
    catalog: Catalog, repo: Repo, user: User
) -> None:
    headers = {"content-disposition": 'attachment; filename="w.bin"', "cache-control": "no-store"}
    upload = make_upload(repo, user, content_headers=dict(headers))
    catalog.add_upload(upload)
    upload.content_headers["cache-control"] = "changed by the caller"
    stored = catalog.get_upload(upload.id)
    assert stored.content_headers == headers
    stored.content_headers.clear()
    assert catalog.get_upload(upload.id).content_headers == headers
    assert catalog.list_uploads(repo.id, "", None, 10)[0].content_headers == headers
    bare = make_upload(repo, user, key="bare")
    catalog.add_upload(bare)
    assert catalog.get_upload(bare.id).content_headers == {}


def test_ending_an_upload_removes_its_parts_once(catalog: Catalog, repo: Repo, user: User) -> None:
    upload = make_upload(repo, user)
    catalog.add_upload(upload)
    catalog.put_part(upload.id, make_part(1))
    assert catalog.is_referenced(make_part(1).sha256)
    catalog.end_upload(upload.id)
    assert not catalog.is_referenced(make_part(1).sha256)
    assert catalog.list_parts(upload.id, 0, 10) == []
    for call in (
        lambda: catalog.end_upload(upload.id),
        lambda: catalog.put_part(upload.id, make_part(2)),
        lambda: catalog.get_upload(upload.id),
    ):
        with pytest.raises(UploadNotFoundError):
            call()


def test_of_racing_completions_one_claims_the_upload(
    catalog: Catalog, repo: Repo, user: User
) -> None:
    upload = make_upload(repo, user)
    catalog.add_upload(upload)
    catalog.put_part(upload.id, make_part(1))

    def complete(index: int) -> None:
        def work() -> None:
            catalog.end_upload(upload.id)
            catalog.put_object(repo.id, make_object("k", f"racer {index}"))

        catalog.run_atomic(work)

    results = run_together(8, complete)
    assert results.count(None) == 1, results
    assert all(isinstance(r, UploadNotFoundError) for r in results if r is not None)


def test_a_refused_object_write_keeps_the_upload_open(
    catalog: Catalog, repo: Repo, user: User
) -> None:
    catalog.put_object(repo.id, make_object("k", "there"))
    upload = make_upload(repo, user)
    catalog.add_upload(upload)
    catalog.put_part(upload.id, make_part(1))

    def work() -> None:
        catalog.end_upload(upload.id)
        catalog.put_object(repo.id, make_object("k", "new"), if_none_match=True)

    with pytest.raises(PreconditionFailedError):
        catalog.run_atomic(work)
    assert catalog.list_parts(upload.id, 0, 10) == [make_part(1)]
    assert catalog.get_object(repo.id, "k") == make_object("k", "there")


def test_listing_pruning_and_deleting_the_bucket(catalog: Catalog, repo: Repo, user: User) -> None:
    made = [
        make_upload(repo, user, key=key, created_at=NOW + timedelta(minutes=minutes))
        for key, minutes in (("b", 0), ("a/1", 1), ("a/2", 2), ("a/2", 3))
    ]
    for upload in made:
        catalog.add_upload(upload)
        catalog.put_part(upload.id, make_part(1, upload.id))
    order = sorted(made, key=lambda u: (u.key.encode(), u.id))
    assert [u.id for u in catalog.list_uploads(repo.id, "", None, 10)] == [u.id for u in order]
    assert [u.key for u in catalog.list_uploads(repo.id, "a/", None, 10)] == ["a/1", "a/2", "a/2"]
    after = (order[1].key.encode(), order[1].id)
    assert [u.id for u in catalog.list_uploads(repo.id, "", after, 1)] == [order[2].id]
    assert catalog.prune_uploads(NOW + timedelta(seconds=90)) == 2
    assert {u.key for u in catalog.list_uploads(repo.id, "", None, 10)} == {"a/2"}
    catalog.delete_repo(repo.id)
    assert catalog.list_uploads(repo.id, "", None, 10) == []
    assert not any(catalog.is_referenced(make_part(1, u.id).sha256) for u in made)


def joined_object(key: str, parts: list[ManifestPart]) -> tuple[str, BucketObject]:
    manifest = manifest_id(parts)
    obj = replace(
        make_object(key),
        sha256=manifest,
        md5="",
        size=sum(part.size for part in parts),
        part_sizes=tuple(part.size for part in parts),
        parts_md5="0" * 32,
    )
    return manifest, obj


def test_a_joined_objects_manifest_keeps_its_parts_blobs_while_an_object_names_it(
    catalog: Catalog, repo: Repo
) -> None:
    parts = [ManifestPart(digest(f"p{n}"), 10 + n) for n in range(3)]
    parts.append(parts[0])  # a blob may come back in one manifest
    manifest, obj = joined_object("joined", parts)
    alone = ManifestPart(digest("unnamed"), 7)
    catalog.put_manifest(manifest_id([alone]), [alone], NOW)  # no object names it
    with pytest.raises(BlobMissingError):
        catalog.manifest(manifest)

    def store() -> None:
        catalog.put_manifest(manifest, parts, NOW)
        catalog.put_object(repo.id, obj)

    catalog.run_atomic(store)
    catalog.put_manifest(manifest, parts, NOW)  # again: nothing changes
    assert catalog.manifest(manifest) == parts
    assert catalog.get_object(repo.id, "joined") == obj and obj.joined
    referenced = dict(catalog.referenced_blobs())
    assert referenced == {part.sha256: part.size for part in parts}
    assert all(catalog.is_referenced(part.sha256) for part in parts)
    assert not catalog.is_referenced(manifest) and not catalog.is_referenced(alone.sha256)
    # Two objects naming one manifest: the parts stay until neither does.
    catalog.put_object(repo.id, replace(obj, key="copy"))
    assert catalog.delete_object(repo.id, "joined", if_sha256=manifest).removed
    assert catalog.is_referenced(parts[1].sha256)
    catalog.put_object(repo.id, make_object("copy"))  # replaced by a plain object
    assert not any(catalog.is_referenced(part.sha256) for part in parts)
    assert set(dict(catalog.referenced_blobs())) == {make_object("copy").sha256}


def test_gc_prunes_only_old_manifests_no_object_names(catalog: Catalog, repo: Repo) -> None:
    def recorded(name: str, at: datetime) -> tuple[str, list[ManifestPart], BucketObject]:
        parts = [ManifestPart(digest(f"{name} {n}"), n + 1) for n in range(3)]
        manifest, obj = joined_object(name, parts)
        catalog.put_manifest(manifest, parts, at)
        return manifest, parts, obj

    old = NOW - timedelta(days=2)
    orphan, _, _ = recorded("orphan", old)
    young, young_parts, _ = recorded("young", NOW)
    named, named_parts, named_obj = recorded("named", old)
    catalog.put_object(repo.id, named_obj)
    # Recorded long ago, then again by a later completion: the later time counts.
    again, again_parts, _ = recorded("again", old)
    catalog.put_manifest(again, again_parts, NOW)

    assert catalog.prune_manifests(NOW - timedelta(days=1)) == 1
    with pytest.raises(BlobMissingError):
        catalog.manifest(orphan)
    assert catalog.manifest(young) == young_parts
    assert catalog.manifest(named) == named_parts
    assert catalog.manifest(again) == again_parts
    assert catalog.prune_manifests(NOW - timedelta(days=1)) == 0
    # Once no object names it, a manifest goes like any other.
    assert catalog.delete_object(repo.id, "named").removed
    assert catalog.prune_manifests(NOW - timedelta(days=1)) == 1
    with pytest.raises(BlobMissingError):
        catalog.manifest(named)
    # Recorded again after its removal, a manifest is whole again.
    catalog.put_manifest(
        orphan, [ManifestPart(digest(f"orphan {n}"), n + 1) for n in range(3)], NOW
    )
    assert len(catalog.manifest(orphan)) == 3


def test_a_manifest_a_completion_is_recording_survives_a_concurrent_prune(
    catalog: Catalog, repo: Repo
) -> None:
    """The completion records an old, unnamed manifest again and names it in one unit of
    work; a prune running in between must neither remove the rows nor report them."""
    parts = [ManifestPart(digest(f"raced {n}"), n + 1) for n in range(4)]
    manifest, obj = joined_object("raced", parts)
    catalog.put_manifest(manifest, parts, NOW - timedelta(days=2))
    recorded, go = threading.Event(), threading.Event()

    def store() -> None:
        catalog.put_manifest(manifest, parts, NOW)
        recorded.set()
        assert go.wait(10)
        catalog.put_object(repo.id, obj)

    with ThreadPoolExecutor(2) as pool:
        completion = pool.submit(catalog.run_atomic, store)
        assert recorded.wait(10)
        pruning = pool.submit(catalog.prune_manifests, NOW - timedelta(days=1))
        # Long enough for the prune to reach the rows while the completion is open (it
        # waits for them, or for the writer's lock on SQLite); the outcome is the same later.
        time.sleep(0.3)
        go.set()
        completion.result(timeout=30)
        assert pruning.result(timeout=30) == 0
    assert catalog.manifest(manifest) == parts
    assert catalog.get_object(repo.id, "raced") == obj


def test_concurrent_writers_of_one_manifest_all_succeed(catalog: Catalog, repo: Repo) -> None:
    parts = [ManifestPart(digest(f"race {n}"), n + 1) for n in range(50)]
    manifest = manifest_id(parts)
    results = run_together(4, lambda _: catalog.put_manifest(manifest, parts, NOW))
    assert results == [None] * 4
    assert catalog.manifest(manifest) == parts


def test_a_manifest_written_by_a_refused_completion_is_not_kept(
    catalog: Catalog, repo: Repo
) -> None:
    parts = [ManifestPart(digest("refused"), 3), ManifestPart(digest("too"), 4)]
    manifest, obj = joined_object("taken", parts)
    catalog.put_object(repo.id, make_object("taken"))

    def store() -> None:
        catalog.put_manifest(manifest, parts, NOW)
        catalog.put_object(repo.id, obj, if_none_match=True)

    with pytest.raises(PreconditionFailedError):
        catalog.run_atomic(store)
    with pytest.raises(BlobMissingError):
        catalog.manifest(manifest)
