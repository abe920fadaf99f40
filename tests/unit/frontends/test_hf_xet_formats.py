"""Xet wire formats against bytes the real ``hf_xet`` client sent (see ``xet/README.md``)."""

from __future__ import annotations

import hashlib
import random
import struct
from pathlib import Path

import pytest
from blake3 import blake3

from weighthouse.domain.errors import InvalidInputError
from weighthouse.frontends.hf.xet import hashes, shards, xorbs

pytestmark = pytest.mark.unit

HERE = Path(__file__).parent / "xet"
XORB_HASHES = {
    "mixed": "7e371de5014739341dcab6fcc77994d6adb372f6e2e0c63520a1704df00abd19",
    "floats": "c1bb16e19b55675e2b23044add5519dab9d9cd6f764a95bf1d23838a33c1cd1f",
}


def source(name: str) -> bytes:
    """The file the client uploaded, rebuilt from its seed."""
    if name == "mixed":
        r = random.Random(7)
        data = bytes(r.getrandbits(8) for _ in range(70_000)) + b"weighthouse xet fixture " * 6000
        return data + b"".join(struct.pack("<f", r.gauss(0, 0.02)) for _ in range(40000)) + b"tail"
    r = random.Random(11)
    return b"".join(struct.pack("<f", r.gauss(0, 0.02)) for _ in range(20000)) + b"odd"


def xorb(name: str) -> bytes:
    return (HERE / f"{name}.xorb").read_bytes()


def shard(name: str) -> bytes:
    return (HERE / f"{name}.shard").read_bytes()


def parse_xorb(data: bytes, piece: int = 10_000) -> xorbs.XorbParser:
    parser = xorbs.XorbParser()
    for offset in range(0, len(data), piece):
        parser.feed(data[offset : offset + piece])
    return parser


def test_hash_string_form_reverses_each_eight_byte_group() -> None:
    raw = bytes(range(32))
    text = hashes.to_hex(raw)
    assert text[:16] == "0706050403020100"
    assert hashes.from_hex(text) == raw
    with pytest.raises(InvalidInputError):
        hashes.from_hex("../" + "0" * 61)


@pytest.mark.parametrize(
    ("leaves", "root"),
    [
        # Reference values from xet-core's merklehash (aggregated_hashes.rs, test_correctness).
        ([], "0" * 64),
        (
            [("cfc5d07f6f03c29bbf424132963fe08d19a37d5757aaf520bf08119f05cd56d6", 100)],
            "cfc5d07f6f03c29bbf424132963fe08d19a37d5757aaf520bf08119f05cd56d6",
        ),
        (
            [
                ("cfc5d07f6f03c29bbf424132963fe08d19a37d5757aaf520bf08119f05cd56d6", 100),
                ("c3e67584b5c4fc2a89837ec39e40f2c8a6bb0b2987ac94cd4b31e5fbdd210a72", 200),
                ("0d2beb91b9196929a5ddec9f6e306924ddf4a24268e3e59fd8464738d525af37", 300),
            ],
            "71ec1275fca074724e2dd666921b3277c7cee603e4d025bcab2d4050015be2bc",
        ),
        (
            [
                ("cfc5d07f6f03c29bbf424132963fe08d19a37d5757aaf520bf08119f05cd56d6", 100),
                ("c3e67584b5c4fc2a89837ec39e40f2c8a6bb0b2987ac94cd4b31e5fbdd210a72", 200),
                ("cfc5d07f6f03c29bbf424132963fe08d19a37d5757aaf520bf08119f05cd56d6", 100),
                ("c3e67584b5c4fc2a89837ec39e40f2c8a6bb0b2987ac94cd4b31e5fbdd210a72", 200),
                ("0d2beb91b9196929a5ddec9f6e306924ddf4a24268e3e59fd8464738d525af37", 300),
                ("adf8773496a9b7319b2e50dc98093f344053b17d8ad37100b9c07d9805988784", 400),
            ],
            "52c826f99507aa05d0b45e9837fa1709e0485425cfbcb1e80db3905cf98b3ee9",
        ),
    ],
)
def test_merkle_root_matches_the_reference(leaves: list[tuple[str, int]], root: str) -> None:
    assert hashes.to_hex(hashes.xorb_hash([(hashes.from_hex(h), n) for h, n in leaves])) == root


def level_by_level_root(leaves: list[hashes.Leaf]) -> bytes:
    """The aggregated tree as xet-core builds it (merklehash, aggregated_hashes.rs): each whole
    level cut into nodes, then the next."""
    if not leaves:
        return bytes(32)
    level = list(leaves)
    while len(level) > 1:
        parents, start = [], 0
        while start < len(level):
            remaining = len(level) - start
            cut = len(level)
            if remaining > 2:
                cut = start + min(9, remaining)
                for index in range(start + 2, cut):
                    if int.from_bytes(level[index][0][24:32], "little") % 4 == 0:
                        cut = index + 1
                        break
            text = "".join(f"{hashes.to_hex(h)} : {n}\n" for h, n in level[start:cut])
            digest = blake3(text.encode(), key=hashes.INTERNAL_NODE_KEY).digest()
            parents.append((digest, sum(n for _, n in level[start:cut])))
            start = cut
        level = parents
    return level[0][0]


@pytest.mark.parametrize("count", [*range(40), 80, 81, 82, 243, 728, 729, 730, 5000])
def test_the_tree_fed_leaf_by_leaf_has_the_level_by_level_root(count: int) -> None:
    draw = random.Random(count)
    leaves = [(draw.randbytes(32), draw.randrange(1, 1 << 17)) for _ in range(count)]
    tree = hashes.MerkleTree()
    for digest, size in leaves:
        tree.add(digest, size)
    assert (tree.leaves, tree.size) == (count, sum(n for _, n in leaves))
    assert tree.root() == level_by_level_root(leaves)


def test_the_tree_holds_a_few_nodes_per_level_whatever_the_leaf_count() -> None:
    tree, draw = hashes.MerkleTree(), random.Random(5)
    for _ in range(100_000):
        tree.add(draw.randbytes(32), 65536)
    held = sum(len(children) for children in tree._open)
    assert len(tree._open) <= 12 and held <= 9 * len(tree._open)


@pytest.mark.parametrize("name", ["mixed", "floats"])
@pytest.mark.parametrize("piece", [1, 7, 10_000, 1 << 20])
def test_real_xorbs_decode_and_hash_to_their_name(name: str, piece: int) -> None:
    if piece == 1 and name == "mixed":
        piece = 3
    parser = parse_xorb(xorb(name), piece)
    assert hashes.to_hex(parser.finish()) == XORB_HASHES[name]
    assert parser.tree.size == len(source(name))


@pytest.mark.parametrize("name", ["mixed", "floats"])
def test_real_shards_rebuild_the_uploaded_file(name: str) -> None:
    data = xorb(name)
    (entry,) = shards.parse(shard(name))
    original = source(name)
    assert entry.sha256 == hashlib.sha256(original).hexdigest()
    assert entry.size == len(original)
    rebuilt = b""
    for term in entry.terms:
        assert hashes.to_hex(term.xorb) == XORB_HASHES[name]
        pieces = list(
            xorbs.chunks_at(lambda o, n: data[o : o + n], len(data), term.start, term.end)
        )
        assert hashes.range_hash([hashes.chunk_hash(p) for p in pieces]) == term.range_hash
        rebuilt += b"".join(pieces)
    assert rebuilt == original
    assert hashes.file_hash_of(parse_xorb(data).tree) == entry.file_hash


def test_chunks_at_reads_a_middle_range() -> None:
    data = xorb("mixed")
    every = list(xorbs.chunks_at(lambda o, n: data[o : o + n], len(data), 0, 5))
    middle = list(xorbs.chunks_at(lambda o, n: data[o : o + n], len(data), 2, 4))
    assert middle == every[2:4]
    with pytest.raises(InvalidInputError, match="past the end"):
        list(xorbs.chunks_at(lambda o, n: data[o : o + n], len(data), 4, 6))


def test_byte_grouping_round_trips_lengths_not_divisible_by_four() -> None:
    for n in range(13):
        original = bytes(range(n))
        grouped = b"".join(original[lane::4] for lane in range(4))
        assert xorbs.ungroup4(grouped) == original


def test_verified_passes_bytes_through_and_refuses_a_wrong_hash() -> None:
    data = xorb("floats")
    good = hashes.from_hex(XORB_HASHES["floats"])
    assert b"".join(xorbs.verified([data[:100], data[100:]], good)) == data
    with pytest.raises(InvalidInputError, match="does not match"):
        b"".join(xorbs.verified([data], hashes.from_hex(XORB_HASHES["mixed"])))


def _flip(data: bytes, at: int) -> bytes:
    return data[:at] + bytes([data[at] ^ 0x01]) + data[at + 1 :]


@pytest.mark.parametrize(
    ("tamper", "message"),
    [
        (lambda d: _flip(d, 100), "does not match"),  # a byte inside a stored chunk
        (lambda d: d[:-1], "ends inside a chunk"),
        (lambda d: b"\x01" + d[1:], "version"),
        (lambda d: d[:4] + b"\x09" + d[5:], "compression"),
        (lambda d: d[:5] + b"\xff\xff\xff" + d[8:], "128 KiB"),
        (lambda d: b"", "at least one chunk"),
    ],
)
def test_tampered_xorbs_are_refused(tamper: object, message: str) -> None:
    assert callable(tamper)
    data = tamper(xorb("mixed"))
    with pytest.raises(InvalidInputError, match=message):
        b"".join(xorbs.verified([data], hashes.from_hex(XORB_HASHES["mixed"])))


def test_a_corrupt_lz4_chunk_is_refused() -> None:
    data = xorb("floats")
    header = xorbs.ChunkHeader.parse(data[:8])
    assert header.compression == xorbs.BG4_LZ4
    broken = data[:8] + b"\x00" * header.stored_size + data[8 + header.stored_size :]
    with pytest.raises(InvalidInputError, match="LZ4"):
        xorbs.XorbParser().feed(broken)


@pytest.mark.parametrize(
    ("tamper", "message"),
    [
        (lambda d: b"X" + d[1:], "version 2"),
        (lambda d: d[:200], "ends inside"),
        (lambda d: d[:48] + d[48:80] + struct.pack("<2L", 0, 2**31) + d[88:], "more terms"),
    ],
)
def test_malformed_shards_are_refused(tamper: object, message: str) -> None:
    assert callable(tamper)
    with pytest.raises(InvalidInputError, match=message):
        shards.parse(tamper(shard("mixed")))


def test_a_shard_without_the_extension_has_no_sha256() -> None:
    data = bytearray(shard("mixed"))
    flags = struct.unpack_from("<L", data, 48 + 32)[0]
    struct.pack_into("<L", data, 48 + 32, flags & ~shards.WITH_METADATA_EXT)
    # Header, file header, one term, its verification entry; then drop the extension.
    (entry,) = shards.parse(bytes(data[: 48 * 4] + data[48 * 5 :]))
    assert entry.sha256 is None


def test_a_xorb_of_64_mib_of_incompressible_chunks_is_taken() -> None:
    """What hf_xet sends for random bytes: 64 MiB of stored chunks plus their headers."""
    chunk = random.Random(3).randbytes(64 * 1024)
    header = bytes([0]) + len(chunk).to_bytes(3, "little") + bytes([0])
    header += len(chunk).to_bytes(3, "little")
    parser = xorbs.XorbParser()
    for _ in range(1024):
        parser.feed(header + chunk)
    assert parser.total > 64 * 1024 * 1024
    assert parser.finish() == hashes.xorb_hash([(hashes.chunk_hash(chunk), len(chunk))] * 1024)
    with pytest.raises(InvalidInputError, match="at most 64 MiB"):
        parser.feed(bytes(xorbs.MAX_XORB))
