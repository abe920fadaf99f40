"""Buckets on the in-memory catalog and the memory blob store: puts, preconditions, listings
with prefixes and delimiters, and who may do what."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

import pytest
from tests.unit.domain.conftest import Hub

from weighthouse.domain.access import ANONYMOUS, Principal
from weighthouse.domain.buckets import PutConditions
from weighthouse.domain.errors import (
    AuthenticationError,
    DigestMismatchError,
    EntryNotFoundError,
    InvalidInputError,
    InvalidTagError,
    PermissionDeniedError,
    PreconditionFailedError,
    RepoNotFoundError,
)
from weighthouse.domain.model import ObjectListing, RepoId, RepoType, Role

pytestmark = pytest.mark.unit

BUCKET = RepoId(RepoType.BUCKET, "alice", "scratch")
KEYS = ["a/1", "a/2", "a/b/3", "b", "c/d/e", "c/x", "z", "é/1"]  # in UTF-8 byte order


@pytest.fixture
def bucket(hub: Hub, alice: Principal) -> RepoId:
    hub.repos.create(alice, BUCKET, private=False)
    for key in KEYS:
        hub.buckets.put(alice, BUCKET, key, [key.encode()])
    return BUCKET


def names(listing: ObjectListing) -> tuple[list[str], list[str]]:
    return [o.key for o in listing.objects], list(listing.common_prefixes)


def test_an_object_round_trips_with_its_digests_and_metadata(
    hub: Hub, alice: Principal, bucket: RepoId
) -> None:
    md5 = hashlib.md5(b"hello", usedforsecurity=False).hexdigest()
    stored = hub.buckets.put(
        alice, bucket, "k", [b"he", b"llo"], md5=md5.upper(), metadata={"Origin": "test"}
    )
    assert (stored.size, stored.md5, stored.metadata) == (5, md5, {"origin": "test"})
    assert stored.modified_at == hub.clock()
    obj, download = hub.buckets.download(alice, bucket, "k")
    assert obj == stored
    with hub.buckets.reader(download) as reader:
        assert reader.read_range(0, reader.size) == b"hello"


def test_content_headers_and_checksums_are_stored_with_the_object(
    hub: Hub, alice: Principal, bucket: RepoId
) -> None:
    read: list[bytes] = []

    def body() -> Iterator[bytes]:
        read.append(b"x")
        yield b"x"

    def checksums() -> dict[str, str]:
        assert read, "checksums are asked for only once the body has been read"
        return {"CRC32": "jEzhrw=="}

    stored = hub.buckets.put(
        alice,
        bucket,
        "k",
        body(),
        content_headers={"Content-Encoding": "gzip", "Cache-Control": "", "Expires": "x"},
        checksums=checksums,
    )
    assert stored.content_headers == {"content-encoding": "gzip", "expires": "x"}
    assert stored.checksums == {"crc32": "jEzhrw=="}
    assert hub.buckets.head(alice, bucket, "k") == stored


@pytest.mark.parametrize(
    ("headers", "checksums"),
    [
        ({"Location": "/elsewhere"}, {}),
        ({"Content-Length": "1"}, {}),
        ({"Cache-Control": "x" * 1025}, {}),
        ({"Content-Language": "en\x00"}, {}),
        ({}, {"crc/32": "AAAAAA=="}),
        ({}, {"": "AAAAAA=="}),
        ({}, {"crc32": ""}),
        ({}, {"crc32": "A" * 129}),
    ],
)
def test_bad_content_headers_or_checksums_are_refused_and_change_nothing(
    hub: Hub, alice: Principal, bucket: RepoId, headers: dict[str, str], checksums: dict[str, str]
) -> None:
    before = hub.buckets.head(alice, bucket, "b")
    with pytest.raises(InvalidInputError):
        hub.buckets.put(
            alice, bucket, "b", [b"new"], content_headers=headers, checksums=lambda: checksums
        )
    assert hub.buckets.head(alice, bucket, "b") == before


def test_a_wrong_declared_digest_changes_nothing(
    hub: Hub, alice: Principal, bucket: RepoId
) -> None:
    before = hub.buckets.head(alice, bucket, "b")
    with pytest.raises(DigestMismatchError):
        hub.buckets.put(alice, bucket, "b", [b"new"], md5="0" * 32)
    with pytest.raises(DigestMismatchError):
        hub.buckets.put(alice, bucket, "b", [b"new"], size=4)
    assert hub.buckets.head(alice, bucket, "b") == before


def test_listing_rolls_keys_up_at_the_delimiter(hub: Hub, alice: Principal, bucket: RepoId) -> None:
    assert names(hub.buckets.list(alice, bucket, delimiter="/")) == (
        ["b", "z"],
        ["a/", "c/", "é/"],
    )
    assert names(hub.buckets.list(alice, bucket, prefix="a/", delimiter="/")) == (
        ["a/1", "a/2"],
        ["a/b/"],
    )
    assert names(hub.buckets.list(alice, bucket, prefix="c")) == (["c/d/e", "c/x"], [])
    assert names(hub.buckets.list(alice, bucket)) == (KEYS, [])


def test_listing_pages_count_prefixes_and_objects_together(
    hub: Hub, alice: Principal, bucket: RepoId
) -> None:
    seen: list[str] = []
    after = None
    while True:
        page = hub.buckets.list(alice, bucket, delimiter="/", after=after, limit=2)
        objects, prefixes = names(page)
        assert len(objects) + len(prefixes) <= 2
        seen += sorted(objects + prefixes, key=str.encode)
        if page.next_after is None:
            break
        after = page.next_after
    assert seen == ["a/", "b", "c/", "z", "é/"]


def test_preconditions_create_only_or_replace_only_a_known_version(
    hub: Hub, alice: Principal, bucket: RepoId
) -> None:
    with pytest.raises(PreconditionFailedError):
        hub.buckets.put(alice, bucket, "b", [b"x"], conditions=PutConditions(if_none_match="*"))
    hub.buckets.put(alice, bucket, "new", [b"x"], conditions=PutConditions(if_none_match="*"))
    current = hub.buckets.head(alice, bucket, "new")
    stale = PutConditions(if_match=hashlib.sha256(b"other").hexdigest())
    with pytest.raises(PreconditionFailedError):
        hub.buckets.put(alice, bucket, "new", [b"y"], conditions=stale)
    fresh = PutConditions(if_match=f'"{current.sha256}"')
    assert hub.buckets.put(alice, bucket, "new", [b"y"], conditions=fresh).size == 1
    with pytest.raises(PreconditionFailedError):
        hub.buckets.put(alice, bucket, "absent", [b"y"], conditions=fresh)


def test_deleting_a_missing_object_is_not_found(hub: Hub, alice: Principal, bucket: RepoId) -> None:
    hub.buckets.delete(alice, bucket, "b")
    with pytest.raises(EntryNotFoundError):
        hub.buckets.delete(alice, bucket, "b")
    with pytest.raises(EntryNotFoundError):
        hub.buckets.head(alice, bucket, "b")


def test_readers_read_writers_write_and_private_buckets_hide(
    hub: Hub, alice: Principal, bob: Principal, bucket: RepoId
) -> None:
    assert hub.buckets.head(ANONYMOUS, bucket, "b").key == "b"
    with pytest.raises(PermissionDeniedError):
        hub.buckets.put(bob, bucket, "b", [b"mine now"])
    hub.repos.update(alice, bucket, private=True)
    for outsider in (bob, ANONYMOUS):
        with pytest.raises(RepoNotFoundError):
            hub.buckets.list(outsider, bucket)
    hub.orgs.set_collaborator(alice, bucket, "bob", Role.WRITE)
    hub.buckets.put(bob, bucket, "b", [b"mine now"])
    assert hub.buckets.head(alice, bucket, "b").size == len(b"mine now")
    with pytest.raises(InvalidInputError):
        hub.buckets.put(alice, RepoId(RepoType.MODEL, "alice", "scratch"), "k", [b"x"])


def test_tags_are_checked_kept_in_key_order_and_set_by_writers(
    hub: Hub, alice: Principal, bob: Principal, bucket: RepoId
) -> None:
    stored = hub.buckets.put(alice, bucket, "t", [b"x"], tags=[("b", "2"), ("a", "1")])
    assert list(stored.tags.items()) == [("a", "1"), ("b", "2")]
    with pytest.raises(InvalidTagError):
        hub.buckets.put(alice, bucket, "t", [b"new"], tags=[("k", "1"), ("k", "2")])
    assert hub.buckets.head(alice, bucket, "t") == stored
    assert hub.buckets.set_tags(alice, bucket, "t", [("c", "3")]) == {"c": "3"}
    assert hub.buckets.head(ANONYMOUS, bucket, "t").tags == {"c": "3"}
    with pytest.raises(PermissionDeniedError):
        hub.buckets.set_tags(bob, bucket, "t", [])
    with pytest.raises(AuthenticationError):
        hub.buckets.set_tags(ANONYMOUS, bucket, "t", [])
    with pytest.raises(EntryNotFoundError):
        hub.buckets.set_tags(alice, bucket, "missing", [("c", "3")])
    hub.buckets.put(alice, bucket, "t", [b"replaced"])
    assert hub.buckets.head(alice, bucket, "t").tags == {}
