"""Xet's hashes: BLAKE3 keyed hashes of chunks, Merkle roots over chunks (xorb and file hashes)
and the range hashes a shard carries for each term. Pure functions, no I/O.

Every hash is 32 bytes on the wire. Its string form (URLs, and inside the Merkle nodes) reads
the bytes as four little-endian 64-bit words and prints each as 16 hex digits, so each 8-byte
group appears reversed.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from blake3 import blake3

from weighthouse.domain.errors import InvalidInputError

# The keys are the protocol's constants (huggingface/xet-core, merklehash and mdb_shard).
DATA_KEY = bytes(
    [102, 151, 245, 119, 91, 149, 80, 222, 49, 53, 203, 172, 165, 151, 24, 28,
     157, 228, 33, 16, 155, 235, 43, 88, 180, 208, 176, 75, 147, 173, 242, 41]
)  # fmt: skip
INTERNAL_NODE_KEY = bytes(
    [1, 126, 197, 199, 165, 71, 41, 150, 253, 148, 102, 102, 180, 138, 2, 230,
     93, 221, 83, 111, 55, 199, 109, 210, 248, 99, 82, 230, 74, 83, 113, 63]
)  # fmt: skip
VERIFICATION_KEY = bytes(
    [127, 24, 87, 214, 206, 86, 237, 102, 18, 127, 249, 19, 231, 165, 195, 243,
     164, 205, 38, 213, 181, 219, 73, 230, 65, 36, 152, 127, 40, 251, 148, 195]
)  # fmt: skip
FILE_KEY = bytes(32)
MEAN_BRANCHING = 4
"""The Merkle tree cuts a node after a child whose last word is divisible by this."""

_HEX = re.compile(r"[0-9a-f]{64}")

Leaf = tuple[bytes, int]
"""A chunk's hash and its length in bytes."""


def to_hex(raw: bytes) -> str:
    """The string form of a 32-byte hash."""
    return "".join(raw[i : i + 8][::-1].hex() for i in range(0, 32, 8))


def from_hex(text: str) -> bytes:
    """The 32 bytes of a hash's string form; ``InvalidInputError`` unless 64 hex digits."""
    if not _HEX.fullmatch(text):
        raise InvalidInputError("a Xet hash is 64 lowercase hex digits")
    raw = bytes.fromhex(text)
    return b"".join(raw[i : i + 8][::-1] for i in range(0, 32, 8))


def chunk_hash(data: bytes) -> bytes:
    return blake3(data, key=DATA_KEY).digest()


def _node(children: Sequence[Leaf]) -> Leaf:
    text = "".join(f"{to_hex(h)} : {n}\n" for h, n in children)
    return blake3(text.encode("ascii"), key=INTERNAL_NODE_KEY).digest(), sum(n for _, n in children)


def _next_cut(level: Sequence[Leaf], start: int) -> int:
    """Where the node that begins at ``start`` ends: after 2 to 9 children, content-defined."""
    remaining = len(level) - start
    if remaining <= 2:
        return len(level)
    end = start + min(2 * MEAN_BRANCHING + 1, remaining)
    for index in range(start + 2, end):
        if int.from_bytes(level[index][0][24:32], "little") % MEAN_BRANCHING == 0:
            return index + 1
    return end


def merkle_root(leaves: Sequence[Leaf]) -> bytes:
    """The root of Xet's aggregated Merkle tree over ``leaves``; 32 zero bytes for none."""
    if not leaves:
        return bytes(32)
    level = list(leaves)
    while len(level) > 1:
        parents: list[Leaf] = []
        start = 0
        while start < len(level):
            cut = _next_cut(level, start)
            parents.append(_node(level[start:cut]))
            start = cut
        level = parents
    return level[0][0]


def xorb_hash(leaves: Sequence[Leaf]) -> bytes:
    return merkle_root(leaves)


def file_hash(leaves: Sequence[Leaf]) -> bytes:
    """A file's Xet hash: its chunks' Merkle root, hashed once more with a zero key."""
    if not leaves:
        return bytes(32)
    return blake3(merkle_root(leaves), key=FILE_KEY).digest()


def range_hash(chunk_hashes: Sequence[bytes]) -> bytes:
    """The verification hash a shard gives for one term: over the raw chunk hashes it uses."""
    return blake3(b"".join(chunk_hashes), key=VERIFICATION_KEY).digest()
