"""A joined object read as one blob, and offered as its parts' files for zero-copy sends."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from weighthouse.blobs.content import ContentBlobStore
from weighthouse.blobs.local import LocalBlobDriver
from weighthouse.blobs.memory import MemoryBlobDriver
from weighthouse.domain.errors import InvalidInputError
from weighthouse.domain.joined import JoinedReader
from weighthouse.domain.model import ManifestPart
from weighthouse.domain.ports import FileSpan

pytestmark = pytest.mark.unit

SIZES = (1000, 1, 2500)


def joined(store: ContentBlobStore) -> tuple[JoinedReader, list[bytes]]:
    datas = [os.urandom(size) for size in SIZES]
    parts = []
    for data in datas:
        digest = store.put([data])
        parts.append(ManifestPart(digest.sha256, digest.size))
    return JoinedReader(store, parts), datas


def bytes_of(spans: list[FileSpan]) -> bytes:
    out = b""
    for span in spans:
        with open(span.path, "rb") as f:
            f.seek(span.offset)
            out += f.read(span.count)
    return out


@pytest.mark.parametrize(
    ("offset", "length"), [(0, 3501), (999, 2), (500, 10**6), (1001, 5), (3500, 1)]
)
def test_spans_cover_exactly_the_range_part_by_part(
    tmp_path: Path, offset: int, length: int
) -> None:
    reader, datas = joined(ContentBlobStore(LocalBlobDriver(tmp_path)))
    whole = b"".join(datas)
    with reader:
        spans = reader.local_spans(offset, length)
        assert spans is not None
        assert bytes_of(spans) == whole[offset : offset + length]
        assert reader.read_range(offset, length) == whole[offset : offset + length]
    assert all(span.count > 0 for span in spans)
    touched = {
        i
        for i, start in enumerate((0, 1000, 1001))
        if start < offset + length and offset < start + SIZES[i]
    }
    assert len(spans) == len(touched)


def test_no_spans_when_the_parts_are_not_local_files() -> None:
    reader, _ = joined(ContentBlobStore(MemoryBlobDriver()))
    with reader:
        assert reader.local_spans(0, 10) is None


def test_a_range_outside_the_object_is_refused(tmp_path: Path) -> None:
    reader, _ = joined(ContentBlobStore(LocalBlobDriver(tmp_path)))
    with reader, pytest.raises(InvalidInputError):
        reader.local_spans(3502, 1)
