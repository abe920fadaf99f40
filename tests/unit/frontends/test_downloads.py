"""The download response picks the fastest way the blob store offers, and streams flat."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import anyio
import pytest
from starlette.requests import Request

from weighthouse.blobs.content import ContentBlobStore
from weighthouse.blobs.driver import BlobDriver
from weighthouse.blobs.local import LocalBlobDriver
from weighthouse.blobs.memory import MemoryBlobDriver
from weighthouse.domain.errors import BlobMissingError, RangeNotSatisfiableError, StorageError
from weighthouse.domain.files import Download, open_download
from weighthouse.domain.ports import BlobReader
from weighthouse.frontends.downloads import (
    CHUNK,
    PATHSEND_RANGE,
    SEND_PIECE,
    SMALL,
    STREAM_READ,
    blob_response,
    content_disposition,
    if_range_holds,
    parse_range,
    preload,
)

pytestmark = pytest.mark.unit

PATHSEND = {"http.response.pathsend": {}}
BOTH = {**PATHSEND, PATHSEND_RANGE: {}}


class PresigningMemoryDriver(MemoryBlobDriver):
    """A memory driver that, like an object store, can sign URLs for its keys."""

    def presigned_url(self, key: str, *, expires_in: int) -> str | None:
        return f"https://objects.example/{key}?expires={expires_in}"


def stored(driver: BlobDriver, data: bytes) -> tuple[ContentBlobStore, Download]:
    store = ContentBlobStore(driver)
    digest = store.put([data])
    download = Download(
        sha256=digest.sha256, size=digest.size, modified_at=datetime.now(UTC), name="w.bin"
    )
    return store, download


def serve(
    store: ContentBlobStore,
    download: Download,
    *,
    method: str = "GET",
    headers: dict[str, str] | None = None,
    extensions: dict[str, Any] | None = None,
    opener: Callable[[Download], BlobReader] | None = None,
    preloaded: bytes | None = None,
) -> list[dict[str, Any]]:
    """Run the response as the ASGI server would and return every message it sent."""
    scope = {
        "type": "http",
        "method": method,
        "path": "/x",
        "headers": [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()],
        "extensions": extensions or {},
    }
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    async def run() -> None:
        response = blob_response(
            Request(scope),
            download,
            opener or (lambda d: open_download(store, d)),
            preloaded=preloaded,
        )
        await response(scope, receive, send)

    anyio.run(run)
    return sent


def status_and_body(sent: list[dict[str, Any]]) -> tuple[int, bytes, dict[bytes, bytes]]:
    start = sent[0]
    assert start["type"] == "http.response.start"
    body = b"".join(m.get("body", b"") for m in sent[1:])
    return start["status"], body, dict(start["headers"])


def test_a_large_body_streams_in_small_messages(tmp_path: Path) -> None:
    data = os.urandom(2 * STREAM_READ + 12345)
    store, download = stored(LocalBlobDriver(tmp_path), data)
    sent = serve(store, download)
    status, body, headers = status_and_body(sent)
    assert (status, body) == (200, data)
    assert headers[b"content-length"] == str(len(data)).encode()
    # No message holds more than SEND_PIECE, so the transport never buffers a whole read.
    per_read = STREAM_READ // SEND_PIECE
    assert [len(m["body"]) for m in sent[1:]] == [SEND_PIECE] * (2 * per_read) + [12345]
    assert [m["more_body"] for m in sent[1:]] == [True] * (2 * per_read) + [False]


def test_a_small_body_goes_out_in_one_message() -> None:
    store, download = stored(MemoryBlobDriver(), b"tiny")
    sent = serve(store, download)
    assert status_and_body(sent)[:2] == (200, b"tiny")
    assert len(sent) == 2


@pytest.mark.parametrize("size", [SMALL - 1, SMALL + 1, CHUNK + 1])
def test_ranges_of_every_size_class(tmp_path: Path, size: int) -> None:
    data = os.urandom(size + 100)
    store, download = stored(LocalBlobDriver(tmp_path), data)
    sent = serve(store, download, headers={"Range": "bytes=50-"})
    status, body, headers = status_and_body(sent)
    assert (status, body) == (206, data[50:])
    assert headers[b"content-range"] == f"bytes 50-{len(data) - 1}/{len(data)}".encode()


def refuse(_: Download) -> BlobReader:
    raise AssertionError("the blob must not be opened again")


@pytest.mark.parametrize("size", [0, 1, 4096, SMALL])
def test_a_preloaded_small_body_is_served_without_opening_the_blob(
    tmp_path: Path, size: int
) -> None:
    data = os.urandom(size)
    store, download = stored(LocalBlobDriver(tmp_path), data)
    body = preload(lambda d: open_download(store, d), download)
    assert body == data
    sent = serve(store, download, opener=refuse, preloaded=body, extensions=PATHSEND)
    assert status_and_body(sent)[:2] == (200, data)
    if size > 1:
        sent = serve(store, download, opener=refuse, preloaded=body, headers={"Range": "bytes=1-"})
        assert status_and_body(sent)[:2] == (206, data[1:])


def test_large_and_presigned_blobs_are_not_preloaded(tmp_path: Path) -> None:
    store, download = stored(LocalBlobDriver(tmp_path), os.urandom(SMALL + 1))
    assert preload(lambda d: open_download(store, d), download) is None
    store, download = stored(PresigningMemoryDriver(), b"far away")
    assert preload(lambda d: open_download(store, d), download) is None


def test_a_preloaded_body_of_another_size_is_not_served() -> None:
    store, download = stored(MemoryBlobDriver(), b"twelve bytes")
    with pytest.raises(StorageError):
        serve(store, download, opener=refuse, preloaded=b"eleven byte")


def test_a_local_file_goes_out_by_pathsend_when_the_server_offers_it(tmp_path: Path) -> None:
    data = os.urandom(SMALL * 2)
    store, download = stored(LocalBlobDriver(tmp_path), data)
    sent = serve(store, download, extensions=PATHSEND)
    assert sent[0]["status"] == 200
    assert sent[1]["type"] == "http.response.pathsend"
    assert Path(sent[1]["path"]).read_bytes() == data
    ranged = serve(store, download, headers={"Range": "bytes=1-"}, extensions=PATHSEND)
    assert status_and_body(ranged)[:2] == (206, data[1:])  # a part is streamed, not sent whole


@pytest.mark.parametrize(
    ("header", "offset", "count"),
    [(None, 0, SMALL * 2), ("bytes=1-", 1, SMALL * 2 - 1), ("bytes=-7", SMALL * 2 - 7, 7)],
)
def test_any_range_of_a_local_file_goes_out_as_one_span(
    tmp_path: Path, header: str | None, offset: int, count: int
) -> None:
    data = os.urandom(SMALL * 2)
    store, download = stored(LocalBlobDriver(tmp_path), data)
    sent = serve(store, download, headers={"Range": header} if header else {}, extensions=BOTH)
    assert sent[0]["status"] == (206 if header else 200)
    assert len(sent) == 2
    span = sent[1]
    assert span["type"] == PATHSEND_RANGE
    assert (span["offset"], span["count"], span["more_body"]) == (offset, count, False)
    assert Path(span["path"]).read_bytes() == data


@pytest.mark.parametrize("extensions", [PATHSEND, BOTH])
def test_a_store_without_files_streams_even_when_pathsend_is_offered(
    extensions: dict[str, Any],
) -> None:
    store, download = stored(MemoryBlobDriver(), b"m" * (SMALL + 1))
    status, body, _ = status_and_body(serve(store, download, extensions=extensions))
    assert (status, body) == (200, b"m" * (SMALL + 1))


def test_a_presigned_url_becomes_a_redirect_keeping_the_digests() -> None:
    store, download = stored(PresigningMemoryDriver(), b"far away")
    sent = serve(store, download)
    status, body, headers = status_and_body(sent)
    assert (status, body) == (307, b"")
    assert headers[b"location"].startswith(b"https://objects.example/sha256/")
    assert headers[b"etag"] == f'"{download.sha256}"'.encode()
    assert b"content-range" not in headers


def test_head_opens_nothing() -> None:
    store, download = stored(MemoryBlobDriver(), b"head")

    def refuse(_: Download) -> BlobReader:
        raise AssertionError("HEAD must not open the blob")

    status, body, headers = status_and_body(serve(store, download, method="HEAD", opener=refuse))
    assert (status, body, headers[b"content-length"]) == (200, b"", b"4")


def test_a_missing_blob_fails_before_the_status_line() -> None:
    store, download = stored(MemoryBlobDriver(), b"gone soon")
    store.delete(download.sha256)
    with pytest.raises(BlobMissingError):
        serve(store, download)


def test_a_blob_whose_size_disagrees_with_the_catalog_is_not_served() -> None:
    store, download = stored(MemoryBlobDriver(), b"twelve bytes")
    lying = Download(
        sha256=download.sha256, size=13, modified_at=download.modified_at, name="w.bin"
    )
    with pytest.raises(BlobMissingError, match="12 bytes"):
        serve(store, lying)


def test_every_reader_is_closed(tmp_path: Path) -> None:
    store, download = stored(LocalBlobDriver(tmp_path), os.urandom(CHUNK + 1))
    opened: list[BlobReader] = []

    def tracking(d: Download) -> BlobReader:
        reader = open_download(store, d)
        opened.append(reader)
        return reader

    for extensions in ({}, PATHSEND):
        for headers in ({}, {"Range": "bytes=0-9"}, {"Range": "bytes=9-"}):
            serve(store, download, headers=headers, extensions=extensions, opener=tracking)
    assert len(opened) == 6
    for reader in opened:
        with pytest.raises(StorageError) as caught:
            reader.read_range(0, 1)
        assert "closed" in str(caught.value.fields["detail"])
    whole = b"".join(m.get("body", b"") for m in serve(store, download)[1:])
    assert hashlib.sha256(whole).hexdigest() == download.sha256


_SAVED = Download(
    sha256="ab" * 32, size=10, modified_at=datetime(2024, 1, 1, 12, 0, 0, 500, UTC), name="w.bin"
)


@pytest.mark.parametrize(
    ("header", "holds"),
    [
        (None, True),
        ('"' + "ab" * 32 + '"', True),
        ('W/"' + "ab" * 32 + '"', False),  # If-Range needs a strong tag
        ('"0000"', False),
        ("Mon, 01 Jan 2024 12:00:00 GMT", True),
        ("Mon, 01 Jan 2024 11:59:59 GMT", False),
        # No zone and "-0000" parse to naive datetimes: read as UTC, never a 500.
        ("Mon, 01 Jan 2024 12:00:00", True),
        ("Mon, 01 Jan 2024 11:59:59", False),
        ("Mon, 01 Jan 2024 12:00:00 -0000", True),
        ("Mon, 01 Jan 2024 11:00:00 -0000", False),
        ("Mon, 01 Jan 2024 13:00:00 +0100", True),
        ("Mon, 01 Jan 2024 12:59:59 +0100", False),
        ("not a date", False),
        ("", False),
        ("Mon, 01 Jan 99999999999 12:00:00 GMT", False),
        ("Mon, 32 Jan 2024 12:00:00 GMT", False),
    ],
)
def test_if_range_dates_of_every_shape_decide_without_raising(
    header: str | None, holds: bool
) -> None:
    assert if_range_holds(header, '"' + "ab" * 32 + '"', _SAVED) is holds


@pytest.mark.parametrize(
    ("header", "size", "expected"),
    [
        ("bytes=0-9", 100, (0, 10)),
        ("bytes=90-", 100, (90, 100)),
        ("bytes=-10", 100, (90, 100)),
        ("bytes=-1000", 100, (0, 100)),
        ("bytes=5-2", 100, None),
        ("bytes=0-1,5-6", 100, None),
        ("items=0-1", 100, None),
    ],
)
def test_ranges(header: str, size: int, expected: tuple[int, int] | None) -> None:
    assert parse_range(header, size) == expected


@pytest.mark.parametrize(("header", "size"), [("bytes=-0", 100), ("bytes=-5", 0), ("bytes=0-", 0)])
def test_unsatisfiable_ranges(header: str, size: int) -> None:
    # A suffix of an empty file used to come out as (0, 0): "bytes 0--1/0" on the wire.
    with pytest.raises(RangeNotSatisfiableError):
        parse_range(header, size)


def _disposition_the_long_way(name: str) -> str:
    fallback = "".join(
        c if c.isascii() and c.isprintable() and c not in '"\\' else "_" for c in name
    )
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


@pytest.mark.parametrize(
    "name",
    [
        "k1999",
        "model-00001-of-00002.safetensors",
        "a_b.c~d",
        "",
        "with space.txt",
        'say "hi"',
        "back\\slash",
        "ünï.bin",
        "日本.txt",
        "tab\there",
        "semi;colon",
        "percent%41",
        "x/y",
        "new\nline",
        "\u2028",
        "emoji\U0001f600",
    ],
)
def test_a_content_disposition_is_the_same_for_plain_and_other_names(name: str) -> None:
    assert content_disposition(name) == _disposition_the_long_way(name)
