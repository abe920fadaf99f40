"""Xet's hashes: BLAKE3 keyed hashes of chunks, Merkle roots over chunks (xorb and file hashes)
and the range hashes a shard carries for each term. Pure functions, no I/O.

Every hash is 32 bytes on the wire. Its string form (URLs, and inside the Merkle nodes) reads
the bytes as four little-endian 64-bit words and prints each as 16 hex digits, so each 8-byte
group appears reversed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

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


def chunk_hash(data: bytes | memoryview) -> bytes:
    return blake3(data, key=DATA_KEY).digest()


def _node(children: Sequence[Leaf]) -> Leaf:
    text = "".join(f"{to_hex(h)} : {n}\n" for h, n in children)
    return blake3(text.encode("ascii"), key=INTERNAL_NODE_KEY).digest(), sum(n for _, n in children)


class MerkleTree:
    """Xet's aggregated Merkle tree over leaves added one at a time.

    xet-core builds it level by level: a node ends after the first child from its third on
    whose hash's last 8 bytes (a little-endian integer) are divisible by
    :data:`MEAN_BRANCHING`, else after its ninth, and the last one or two children of a level
    that no node took make a node of their own; the nodes are the next level, up to a level of
    one. A node's end depends only on its own children, so this cuts it as soon as the child
    that ends it arrives and holds just the open node of each level (at most nine children,
    a level per factor of about four in the leaf count): a file of any size is hashed in the
    same few kilobytes, where a list of its leaves held about 170 bytes per chunk (2.7 MiB per
    GiB of 64 KiB chunks). :meth:`root` closes the open nodes, the last-children rule
    included."""

    def __init__(self) -> None:
        self._open: list[list[Leaf]] = []
        self._counts: list[int] = []
        self.leaves = 0
        self.size = 0
        """Leaves added, and the sum of their lengths."""

    def add(self, digest: bytes, size: int) -> None:
        self.leaves += 1
        self.size += size
        self._add(0, (digest, size))

    def _add(self, level: int, child: Leaf) -> None:
        while True:
            if level == len(self._open):
                self._open.append([])
                self._counts.append(0)
            children = self._open[level]
            children.append(child)
            self._counts[level] += 1
            if len(children) < 3 or (
                len(children) < 2 * MEAN_BRANCHING + 1
                and int.from_bytes(child[0][24:32], "little") % MEAN_BRANCHING != 0
            ):
                return
            child = _node(children)
            children.clear()
            level += 1

    def root(self) -> bytes:
        """The root over every leaf added (a single leaf's own hash); 32 zero bytes for none.
        Add nothing after this."""
        level = 0
        while level < len(self._open):
            children = self._open[level]
            if self._counts[level] == 1:
                return children[0][0]
            if children:
                node = _node(children)
                children.clear()
                self._add(level + 1, node)
            level += 1
        return bytes(32)


def merkle_root(leaves: Iterable[Leaf]) -> bytes:
    """The root of Xet's aggregated Merkle tree over ``leaves``; 32 zero bytes for none."""
    tree = MerkleTree()
    for digest, size in leaves:
        tree.add(digest, size)
    return tree.root()


def xorb_hash(leaves: Iterable[Leaf]) -> bytes:
    return merkle_root(leaves)


def file_hash(leaves: Iterable[Leaf]) -> bytes:
    """A file's Xet hash: its chunks' Merkle root, hashed once more with a zero key."""
    tree = MerkleTree()
    for digest, size in leaves:
        tree.add(digest, size)
    return file_hash_of(tree)


def file_hash_of(tree: MerkleTree) -> bytes:
    """:func:`file_hash` of the leaves added to ``tree``, which is then closed."""
    if not tree.leaves:
        return bytes(32)
    return blake3(tree.root(), key=FILE_KEY).digest()


def range_hash(chunk_hashes: Iterable[bytes]) -> bytes:
    """The verification hash a shard gives for one term: over the raw chunk hashes it uses."""
    hasher = range_hasher()
    for digest in chunk_hashes:
        hasher.update(digest)
    return hasher.digest()


def range_hasher() -> blake3:
    """:func:`range_hash` fed one chunk hash at a time (``update``, then ``digest``)."""
    return blake3(key=VERIFICATION_KEY)
