"""Turning a shard's files into ordinary blobs: each file's bytes are decoded chunk by chunk
from the caller's stored xorbs and streamed into the blob store, which checks the SHA-256
and size the shard gives. Every chunk range is checked against the shard's range hash and
the whole file against its Xet file hash too, so a shard cannot pass off other bytes."""

from __future__ import annotations

from collections.abc import Iterator

from weighthouse.bootstrap import Container
from weighthouse.domain.access import Principal
from weighthouse.domain.blob_proof import MAX_CHECK, BlobRef
from weighthouse.domain.errors import InvalidInputError
from weighthouse.domain.upload_tickets import UploadGrant
from weighthouse.domain.xorbs import Xorbs
from weighthouse.frontends.hf.xet import hashes, xorbs
from weighthouse.frontends.hf.xet.shards import ShardFile


def file_bytes(store: Xorbs, principal: Principal, entry: ShardFile) -> Iterator[bytes]:
    """The file's bytes, one chunk at a time; raises ``InvalidInputError`` (after the last
    chunk at the latest, so a consumer that stores them keeps nothing) when a check fails.
    Besides that chunk it holds only running hashes, whatever the file's size."""
    tree = hashes.MerkleTree()
    for term in entry.terms:
        check = hashes.range_hasher()
        size = 0
        with store.open(principal, hashes.to_hex(term.xorb)) as reader:
            for chunk in xorbs.chunks_at(reader.read_range, reader.size, term.start, term.end):
                digest = hashes.chunk_hash(chunk)
                check.update(digest)
                tree.add(digest, len(chunk))
                size += len(chunk)
                yield chunk
        if term.range_hash is not None and check.digest() != term.range_hash:
            raise InvalidInputError("a shard term's range hash does not match the xorb's chunks")
        if size != term.size:
            raise InvalidInputError("a shard term's size does not match the xorb's chunks")
    if hashes.file_hash_of(tree) != entry.file_hash:
        raise InvalidInputError("a shard file's hash does not match its chunks")


def ingest(hub: Container, grant: UploadGrant, files: list[ShardFile]) -> None:
    """Store every file of the shard that the caller cannot already commit by hash, so the
    commit that follows may name it by SHA-256. Access is checked as ``grant`` says."""
    principal, repo_id, pr = grant.principal, grant.repo_id, grant.for_pull_request
    refs: dict[BlobRef, ShardFile] = {}
    for entry in files:
        if entry.sha256 is None:
            raise InvalidInputError("each file in the shard needs its SHA-256 extension")
        refs.setdefault(BlobRef(entry.sha256, entry.size), entry)
    wanted = list(refs)
    available: set[BlobRef] = set()
    for start in range(0, len(wanted), MAX_CHECK):
        available |= hub.commits.check_blobs(
            principal, repo_id, wanted[start : start + MAX_CHECK], for_pull_request=pr
        )
    for ref, entry in refs.items():
        if ref not in available:
            hub.commits.upload_blob(
                principal,
                repo_id,
                file_bytes(hub.xorbs, principal, entry),
                size=ref.size,
                sha256=ref.sha256,
                for_pull_request=pr,
            )
