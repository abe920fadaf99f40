"""Multipart uploads on the in-memory catalog and the memory blob store: assembling, the
part rules S3 clients rely on, preconditions at completion, and who may touch an upload."""

from __future__ import annotations

import hashlib

import pytest
from tests.unit.domain.conftest import Hub

from weighthouse.blobs.content import blob_key
from weighthouse.domain.access import Principal
from weighthouse.domain.buckets import PutConditions
from weighthouse.domain.errors import (
    BlobMissingError,
    InvalidInputError,
    InvalidPartError,
    PartOrderError,
    PartTooSmallError,
    PermissionDeniedError,
    PreconditionFailedError,
    RepoNotFoundError,
    TooLargeError,
    UploadNotFoundError,
)
from weighthouse.domain.model import ManifestPart, RepoId, RepoType, manifest_id
from weighthouse.domain.multipart import MIN_PART_SIZE, ChosenPart, MultipartUploads

pytestmark = pytest.mark.unit

BUCKET = RepoId(RepoType.BUCKET, "alice", "parts")
BIG = b"x" * MIN_PART_SIZE


@pytest.fixture
def uploads(hub: Hub, alice: Principal) -> MultipartUploads:
    hub.repos.create(alice, BUCKET, private=True)
    return MultipartUploads(hub.catalog, hub.blobs, hub.clock, max_object_bytes=2 * MIN_PART_SIZE)


def md5(data: bytes) -> str:
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


def test_parts_assemble_in_order_into_one_object(
    hub: Hub, alice: Principal, uploads: MultipartUploads
) -> None:
    upload = uploads.create(alice, BUCKET, "k", metadata={"Stage": "x"}, content_type="a/b")
    assert len(upload.id) == 48 and upload.id != uploads.create(alice, BUCKET, "k").id
    uploads.upload_part(alice, BUCKET, "k", upload.id, 2, [b"second try"])
    uploads.upload_part(alice, BUCKET, "k", upload.id, 2, [b"tail"])  # the last one wins
    uploads.upload_part(alice, BUCKET, "k", upload.id, 1, [BIG[:100], BIG[100:]])
    obj, parts = uploads.complete(
        alice, BUCKET, "k", upload.id, [ChosenPart(1, md5(BIG)), ChosenPart(2, md5(b"tail"))]
    )
    assert [p.size for p in parts] == [len(BIG), 4]
    # Joined, not copied: no blob was written, and no whole-content digest is claimed.
    assert obj.joined and obj.content_sha256 is None and obj.md5 == ""
    assert obj.sha256 == manifest_id([ManifestPart(p.sha256, p.size) for p in parts])
    assert {b.sha256 for b in hub.blobs.walk()} == {p.sha256 for p in parts} | {
        hashlib.sha256(b"second try").hexdigest()
    }
    assert obj.size == len(BIG) + 4
    assert obj.part_sizes == (len(BIG), 4)
    assert obj.parts_md5 == md5(bytes.fromhex(md5(BIG)) + bytes.fromhex(md5(b"tail")))
    assert (obj.content_type, obj.metadata) == ("a/b", {"stage": "x"})
    stored, download = hub.buckets.download(alice, BUCKET, "k")
    assert stored == obj
    with hub.buckets.reader(download) as reader:
        assert reader.read_range(0, reader.size) == BIG + b"tail"
        # Ranges within a part, across the boundary, at the end and past it.
        assert reader.read_range(10, 5) == b"xxxxx"
        assert reader.read_range(len(BIG) - 2, 4) == b"xxta"
        assert reader.read_range(len(BIG) + 2, 100) == b"il"
        assert reader.read_range(reader.size, 10) == b""
        assert b"".join(reader.iter_range(len(BIG) - 1, piece=2)) == b"xtail"
    with pytest.raises(UploadNotFoundError):
        uploads.complete(alice, BUCKET, "k", upload.id, [ChosenPart(1)])
    # The other upload of the same key is still open.
    assert len(uploads.uploads(alice, BUCKET)) == 1


def test_a_single_part_becomes_the_object_without_a_copy(
    hub: Hub, alice: Principal, uploads: MultipartUploads
) -> None:
    upload = uploads.create(alice, BUCKET, "k")
    part = uploads.upload_part(alice, BUCKET, "k", upload.id, 7, [b"small"])
    obj, _ = uploads.complete(alice, BUCKET, "k", upload.id, [ChosenPart(7)])
    assert (obj.sha256, obj.md5, obj.part_sizes) == (part.sha256, part.md5, (5,))


def test_completion_rules(alice: Principal, uploads: MultipartUploads) -> None:
    upload = uploads.create(alice, BUCKET, "k")
    uploads.upload_part(alice, BUCKET, "k", upload.id, 1, [b"small"])
    uploads.upload_part(alice, BUCKET, "k", upload.id, 2, [b"tail"])
    cases: list[tuple[list[ChosenPart], type[Exception]]] = [
        ([], InvalidPartError),
        ([ChosenPart(3)], InvalidPartError),
        ([ChosenPart(1, "0" * 32)], InvalidPartError),
        ([ChosenPart(2), ChosenPart(1)], PartOrderError),
        ([ChosenPart(1), ChosenPart(1)], PartOrderError),
        ([ChosenPart(1), ChosenPart(2)], PartTooSmallError),
    ]
    for chosen, error in cases:
        with pytest.raises(error):
            uploads.complete(alice, BUCKET, "k", upload.id, chosen)
    _, parts = uploads.parts(alice, BUCKET, "k", upload.id)
    assert [p.number for p in parts] == [1, 2]
    for number in (0, 10_001):
        with pytest.raises(InvalidInputError):
            uploads.upload_part(alice, BUCKET, "k", upload.id, number, [b"x"])


def test_an_object_over_the_limit_is_refused(alice: Principal, uploads: MultipartUploads) -> None:
    upload = uploads.create(alice, BUCKET, "k")
    for number in (1, 2, 3):
        uploads.upload_part(alice, BUCKET, "k", upload.id, number, [BIG])
    with pytest.raises(TooLargeError):
        uploads.complete(alice, BUCKET, "k", upload.id, [ChosenPart(n) for n in (1, 2, 3)])


def test_preconditions_decide_at_completion_and_a_refusal_keeps_the_upload(
    hub: Hub, alice: Principal, uploads: MultipartUploads
) -> None:
    first = uploads.create(alice, BUCKET, "k")
    second = uploads.create(alice, BUCKET, "k")
    for upload in (first, second):
        uploads.upload_part(alice, BUCKET, "k", upload.id, 1, [upload.id.encode()])
    create_only = PutConditions(if_none_match="*")
    obj, _ = uploads.complete(alice, BUCKET, "k", first.id, [ChosenPart(1)], conditions=create_only)
    with pytest.raises(PreconditionFailedError):
        uploads.complete(alice, BUCKET, "k", second.id, [ChosenPart(1)], conditions=create_only)
    with pytest.raises(PreconditionFailedError):
        uploads.complete(
            alice,
            BUCKET,
            "k",
            second.id,
            [ChosenPart(1)],
            conditions=PutConditions(if_match="0" * 64),
        )
    replaced, _ = uploads.complete(
        alice,
        BUCKET,
        "k",
        second.id,
        [ChosenPart(1)],
        conditions=PutConditions(if_match=obj.sha256),
    )
    assert hub.buckets.head(alice, BUCKET, "k").sha256 == replaced.sha256 != obj.sha256


def test_only_the_initiator_may_touch_an_upload(
    hub: Hub, alice: Principal, bob: Principal, uploads: MultipartUploads
) -> None:
    public = RepoId(RepoType.BUCKET, "alice", "shared")
    hub.repos.create(alice, public, private=False)
    upload = uploads.create(alice, public, "k")
    uploads.upload_part(alice, public, "k", upload.id, 1, [b"mine"])
    attempts = [
        lambda: uploads.upload_part(bob, public, "k", upload.id, 1, [b"evil"]),
        lambda: uploads.parts(bob, public, "k", upload.id),
        lambda: uploads.abort(bob, public, "k", upload.id),
        lambda: uploads.complete(bob, public, "k", upload.id, [ChosenPart(1)]),
        lambda: uploads.uploads(bob, public),
        lambda: uploads.create(bob, public, "k"),
    ]
    for attempt in attempts:
        with pytest.raises((PermissionDeniedError, RepoNotFoundError)):
            attempt()
    with pytest.raises(RepoNotFoundError):
        uploads.create(bob, BUCKET, "k")  # a private bucket does not even show
    # Alice's upload, under another key or another bucket's name, is not found.
    with pytest.raises(UploadNotFoundError):
        uploads.parts(alice, public, "other", upload.id)
    with pytest.raises(UploadNotFoundError):
        uploads.parts(alice, BUCKET, "k", upload.id)
    with pytest.raises(UploadNotFoundError):
        uploads.parts(alice, public, "k", "../" + upload.id[3:])
    _, parts = uploads.parts(alice, public, "k", upload.id)
    assert [p.md5 for p in parts] == [md5(b"mine")]


def test_abort_and_listing(hub: Hub, alice: Principal, uploads: MultipartUploads) -> None:
    made = sorted(
        (uploads.create(alice, BUCKET, key) for key in ("b", "a/1", "a/2", "a/2")),
        key=lambda u: (u.key.encode(), u.id),
    )
    listed = uploads.uploads(alice, BUCKET)
    assert [u.id for u in listed] == [u.id for u in made]
    assert [u.key for u in uploads.uploads(alice, BUCKET, prefix="a/")] == ["a/1", "a/2", "a/2"]
    after = uploads.uploads(alice, BUCKET, after=(made[1].key, made[1].id), limit=1)
    assert [u.id for u in after] == [made[2].id]
    uploads.abort(alice, BUCKET, made[0].key, made[0].id)
    with pytest.raises(UploadNotFoundError):
        uploads.abort(alice, BUCKET, made[0].key, made[0].id)
    assert len(uploads.uploads(alice, BUCKET)) == 3
    hub.repos.delete(alice, BUCKET)
    assert hub.catalog.list_uploads(made[1].repo_id, "", None, 10) == []


def test_listing_rolls_keys_up_into_common_prefixes(
    alice: Principal, uploads: MultipartUploads
) -> None:
    for key in ("a/1", "a/2", "a/b/3", "b", "c/4"):
        uploads.create(alice, BUCKET, key)
    page = uploads.listing(alice, BUCKET, delimiter="/")
    assert ([u.key for u in page.uploads], page.prefixes) == (["b"], ("a/", "c/"))
    assert not page.truncated
    first = uploads.listing(alice, BUCKET, delimiter="/", limit=1)
    assert (first.prefixes, first.truncated, first.last) == (("a/",), True, ("a/", ""))
    # A marker inside a rolled-up prefix continues past the whole prefix.
    rest = uploads.listing(alice, BUCKET, delimiter="/", after=("a/", "\uffff"))
    assert ([u.key for u in rest.uploads], rest.prefixes) == (["b"], ("c/",))
    nested = uploads.listing(alice, BUCKET, prefix="a/", delimiter="/")
    assert ([u.key for u in nested.uploads], nested.prefixes) == (["a/1", "a/2"], ("a/b/",))
    with pytest.raises(InvalidInputError):
        uploads.listing(alice, BUCKET, delimiter="/" * 17)


def test_open_parts_count_as_referenced_until_the_upload_ends(
    hub: Hub, alice: Principal, uploads: MultipartUploads
) -> None:
    upload = uploads.create(alice, BUCKET, "k")
    part = uploads.upload_part(alice, BUCKET, "k", upload.id, 1, [b"part"])
    assert hub.catalog.is_referenced(part.sha256)
    assert part.sha256 in dict(hub.catalog.referenced_blobs())
    uploads.abort(alice, BUCKET, "k", upload.id)
    assert not hub.catalog.is_referenced(part.sha256)


def test_a_joined_objects_parts_stay_referenced_while_an_object_names_them(
    hub: Hub, alice: Principal, uploads: MultipartUploads
) -> None:
    upload = uploads.create(alice, BUCKET, "k")
    first = uploads.upload_part(alice, BUCKET, "k", upload.id, 1, [BIG])
    second = uploads.upload_part(alice, BUCKET, "k", upload.id, 2, [b"end"])
    unused = uploads.upload_part(alice, BUCKET, "k", upload.id, 3, [b"not chosen"])
    obj, _ = uploads.complete(alice, BUCKET, "k", upload.id, [ChosenPart(1), ChosenPart(2)])
    referenced = dict(hub.catalog.referenced_blobs())
    assert referenced == {first.sha256: len(BIG), second.sha256: 3}
    assert obj.sha256 not in referenced  # a manifest id is no blob
    assert hub.catalog.is_referenced(second.sha256)
    assert not hub.catalog.is_referenced(unused.sha256)
    hub.buckets.delete(alice, BUCKET, "k")
    assert not hub.catalog.is_referenced(first.sha256)
    assert dict(hub.catalog.referenced_blobs()) == {}


def test_a_joined_object_with_a_part_missing_is_a_missing_blob_not_a_short_body(
    hub: Hub, alice: Principal, uploads: MultipartUploads
) -> None:
    upload = uploads.create(alice, BUCKET, "k")
    uploads.upload_part(alice, BUCKET, "k", upload.id, 1, [BIG])
    second = uploads.upload_part(alice, BUCKET, "k", upload.id, 2, [b"end"])
    uploads.complete(alice, BUCKET, "k", upload.id, [ChosenPart(1), ChosenPart(2)])
    hub.blobs.driver.delete(blob_key(second.sha256))
    _, download = hub.buckets.download(alice, BUCKET, "k")
    with hub.buckets.reader(download) as reader, pytest.raises(BlobMissingError):
        reader.read_range(len(BIG) - 1, 2)
