"""The xorb format: a run of chunks, each an 8-byte header and its (maybe compressed) bytes.

Header: version (0), compressed size (3 bytes, little-endian), compression (0 none, 1 LZ4
frame, 2 byte-grouping-4 then LZ4 frame), uncompressed size (3 bytes). A chunk holds at most
128 KiB; a serialised xorb at most 64 MiB. Decoding never holds more than one chunk.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

import lz4.frame

from weighthouse.domain.errors import InvalidInputError
from weighthouse.frontends.hf.xet import hashes

HEADER = 8
VERSION = 0
MAX_CHUNK = 128 * 1024
MAX_STORED_CHUNK = 2 * MAX_CHUNK
"""A compressed chunk bigger than this would have been sent uncompressed."""
MAX_XORB = 65 * 1024 * 1024
"""hf_xet fills a xorb with up to 64 MiB of chunk data and adds 8 bytes of header per chunk
(chunks are 8 KiB at least), so a xorb of random bytes is a little over 64 MiB."""
NONE, LZ4, BG4_LZ4 = 0, 1, 2
RangeReader = Callable[[int, int], bytes]
"""``read_range(offset, length)`` of a stored xorb."""


@dataclass(frozen=True)
class ChunkHeader:
    stored_size: int
    compression: int
    size: int

    @classmethod
    def parse(cls, raw: bytes) -> ChunkHeader:
        if len(raw) < HEADER:
            raise InvalidInputError("the xorb ends inside a chunk header")
        if raw[0] != VERSION:
            raise InvalidInputError(f"unknown xorb chunk version {raw[0]}")
        header = cls(int.from_bytes(raw[1:4], "little"), raw[4], int.from_bytes(raw[5:8], "little"))
        if header.compression not in (NONE, LZ4, BG4_LZ4):
            raise InvalidInputError(f"unknown xorb chunk compression {header.compression}")
        if not 0 < header.size <= MAX_CHUNK or not 0 < header.stored_size <= MAX_STORED_CHUNK:
            raise InvalidInputError("a xorb chunk holds 1 byte to 128 KiB")
        if header.compression == NONE and header.stored_size != header.size:
            raise InvalidInputError("an uncompressed xorb chunk has two different sizes")
        return header


def ungroup4(grouped: bytes) -> bytes:
    """Undo byte grouping: the input holds every 4th byte from offset 0, then from 1, 2, 3;
    with a length not divisible by 4, the first groups hold one byte more."""
    n = len(grouped)
    out = bytearray(n)
    offset = 0
    for lane in range(4):
        count = n // 4 + (1 if lane < n % 4 else 0)
        out[lane::4] = grouped[offset : offset + count]
        offset += count
    return bytes(out)


def decode(header: ChunkHeader, stored: bytes | memoryview) -> bytes:
    """A chunk's bytes; ``InvalidInputError`` when they do not decode to the declared size."""
    if header.compression == NONE:
        data = bytes(stored)  # no copy of bytes
    else:
        try:
            data = lz4.frame.LZ4FrameDecompressor().decompress(stored, max_length=MAX_CHUNK + 1)
        except RuntimeError:
            raise InvalidInputError("a xorb chunk is not a valid LZ4 frame") from None
        if header.compression == BG4_LZ4:
            data = ungroup4(data)
    if len(data) != header.size:
        raise InvalidInputError("a xorb chunk does not decode to its declared size")
    return data


class XorbParser:
    """Fed a serialised xorb piece by piece, decodes each chunk as soon as it is complete and
    adds its hash and length to the xorb hash's tree (:class:`~.hashes.MerkleTree`)."""

    def __init__(self) -> None:
        self.tree = hashes.MerkleTree()
        self.total = 0
        self._pending = bytearray()

    def feed(self, piece: bytes) -> None:
        self.total += len(piece)
        if self.total > MAX_XORB:
            raise InvalidInputError("a xorb is at most 64 MiB of chunks and their headers")
        # The chunks wholly inside the piece are decoded where they lie; only a chunk cut by a
        # piece's end is copied, until the next piece completes it. (Copying every piece into
        # one buffer held a second copy of each upload's piece, 1 MiB, while it was parsed.)
        view = memoryview(piece)
        if self._pending:
            view = self._complete(view)
            if self._pending:
                return
        start = 0
        while len(view) - start >= HEADER:
            header = ChunkHeader.parse(bytes(view[start : start + HEADER]))
            end = start + HEADER + header.stored_size
            if end > len(view):
                break
            self._add(header, view[start + HEADER : end])
            start = end
        self._pending += view[start:]

    def _complete(self, view: memoryview) -> memoryview:
        """Add to the cut chunk what ``view`` holds of it, and decode it once it is whole; the
        rest of ``view``."""
        if len(self._pending) < HEADER:
            taken = HEADER - len(self._pending)
            self._pending += view[:taken]
            view = view[taken:]
            if len(self._pending) < HEADER:
                return view
        header = ChunkHeader.parse(bytes(self._pending[:HEADER]))
        taken = HEADER + header.stored_size - len(self._pending)
        self._pending += view[:taken]
        if len(view) >= taken:
            self._add(header, bytes(self._pending[HEADER:]))
            self._pending.clear()
        return view[taken:]

    def _add(self, header: ChunkHeader, stored: bytes | memoryview) -> None:
        if header.compression == NONE:  # its two sizes agree (ChunkHeader.parse)
            self.tree.add(hashes.chunk_hash(stored), header.size)
        else:
            data = decode(header, stored)
            self.tree.add(hashes.chunk_hash(data), len(data))

    def finish(self) -> bytes:
        """The xorb hash; ``InvalidInputError`` for a truncated or empty xorb."""
        if self._pending:
            raise InvalidInputError("the xorb ends inside a chunk")
        if not self.tree.leaves:
            raise InvalidInputError("a xorb holds at least one chunk")
        return self.tree.root()


def verified(pieces: Iterable[bytes], expected: bytes) -> Iterator[bytes]:
    """``pieces`` passed through unchanged while parsed; raises ``InvalidInputError`` at the
    end (so a store that consumes this keeps nothing) unless every chunk decodes and the
    xorb hashes to ``expected``."""
    parser = XorbParser()
    for piece in pieces:
        parser.feed(piece)
        yield piece
    if parser.finish() != expected:
        raise InvalidInputError("the xorb's content does not match its hash")


def chunks_at(read_range: RangeReader, size: int, start: int, end: int) -> Iterator[bytes]:
    """The decoded chunks ``[start, end)`` of a stored xorb of ``size`` bytes, read through
    ``read_range(offset, length)``: headers of skipped chunks only, one chunk in memory."""
    offset, index = 0, 0
    while index < end:
        if offset >= size:
            raise InvalidInputError("a shard names chunks past the end of a xorb")
        header = ChunkHeader.parse(read_range(offset, HEADER))
        body = offset + HEADER
        if index >= start:
            stored = read_range(body, header.stored_size)
            if len(stored) != header.stored_size:
                raise InvalidInputError("a stored xorb ends inside a chunk")
            yield decode(header, stored)
        offset, index = body + header.stored_size, index + 1
