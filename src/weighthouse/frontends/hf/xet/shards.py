"""The shard an upload ends with: for each file, the xorb chunk ranges ("terms") that
rebuild it, a range hash per term, and the file's SHA-256.

Little-endian structures of 48 bytes: a header (32-byte tag, version 2, footer size), the
file section (per file a header, its terms, then verification entries and the SHA-256
extension when its flags say so), ended by a bookend of ``0xff`` bytes; then the xorb
section, also ended by a bookend. Uploaded shards carry no footer, and what follows the
sections (lookup tables, footer) is not needed to rebuild files.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from weighthouse.domain.errors import InvalidInputError
from weighthouse.frontends.hf.xet import hashes

TAG = bytes(
    [0x48, 0x46, 0x52, 0x65, 0x70, 0x6F, 0x4D, 0x65, 0x74, 0x61, 0x44, 0x61, 0x74, 0x61, 0x00,
     0x55, 0x69, 0x67, 0x45, 0x6A, 0x7B, 0x81, 0x57, 0x83, 0xA5, 0xBD, 0xD9, 0x5C, 0xCD, 0xD1,
     0x4A, 0xA9]
)  # fmt: skip
VERSION = 2
ENTRY = 48
BOOKEND = b"\xff" * 32
WITH_VERIFICATION = 0x80000000
WITH_METADATA_EXT = 0x40000000
MAX_SHARD = 64 * 1024 * 1024


@dataclass(frozen=True)
class Term:
    """Chunks ``[start, end)`` of the xorb ``xorb``, ``size`` bytes once decoded."""

    xorb: bytes
    size: int
    start: int
    end: int
    range_hash: bytes | None


@dataclass(frozen=True)
class ShardFile:
    file_hash: bytes
    terms: tuple[Term, ...]
    sha256: str | None
    """Hex, as the commit names the file; ``None`` when the shard gives none."""

    @property
    def size(self) -> int:
        return sum(term.size for term in self.terms)


class _Cursor:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.offset = 0

    def entry(self) -> bytes:
        if self.offset + ENTRY > len(self.data):
            raise InvalidInputError("the shard ends inside an entry")
        raw = self.data[self.offset : self.offset + ENTRY]
        self.offset += ENTRY
        return raw


def sha256_hex(raw: bytes) -> str:
    """The extension stores the SHA-256 in the hash layout (each 8-byte group reversed)."""
    return hashes.to_hex(raw)


def parse(data: bytes) -> list[ShardFile]:
    """The files a shard describes; ``InvalidInputError`` for anything malformed."""
    if len(data) > MAX_SHARD:
        raise InvalidInputError("a shard is at most 64 MiB")
    cursor = _Cursor(data)
    header = cursor.entry()
    version, _footer = struct.unpack("<2Q", header[32:])
    if header[:32] != TAG or version != VERSION:
        raise InvalidInputError("this is not a version 2 Xet shard")
    files: list[ShardFile] = []
    while True:
        raw = cursor.entry()
        if raw[:32] == BOOKEND:
            break
        flags, count = struct.unpack("<2L", raw[32:40])
        if count * ENTRY > len(data):
            raise InvalidInputError("a shard file entry counts more terms than the shard holds")
        terms = []
        for _ in range(count):
            entry = cursor.entry()
            _xorb_flags, size, start, end = struct.unpack("<4L", entry[32:])
            if not start < end:
                raise InvalidInputError("a shard term names an empty chunk range")
            terms.append((entry[:32], size, start, end))
        checks: list[bytes | None] = [None] * count
        if flags & WITH_VERIFICATION:
            checks = [cursor.entry()[:32] for _ in range(count)]
        sha256 = sha256_hex(cursor.entry()[:32]) if flags & WITH_METADATA_EXT else None
        files.append(
            ShardFile(
                file_hash=raw[:32],
                terms=tuple(Term(*t, range_hash=c) for t, c in zip(terms, checks, strict=True)),
                sha256=sha256,
            )
        )
    return files
