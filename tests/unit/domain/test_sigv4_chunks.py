"""Chunk signatures of ``STREAMING-AWS4-HMAC-SHA256-PAYLOAD`` bodies, against the example AWS
publishes in "Signature Calculations for the Authorization Header: Transferring Payload in
Multiple Chunks" (66,560 bytes of ``a`` in chunks of 64 KiB, 1 KiB and 0)."""

from __future__ import annotations

import hashlib

import pytest

from weighthouse.domain import sigv4
from weighthouse.domain.errors import AuthenticationError

pytestmark = pytest.mark.unit

SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
STAMP = "20130524T000000Z"
SCOPE = "20130524/us-east-1/s3/aws4_request"
SEED = "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9"
CHUNKS = [
    (65536, "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648"),
    (1024, "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497"),
    (0, "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9"),
]


def chain() -> sigv4.ChunkChain:
    key = sigv4.signing_key(SECRET, "20130524", "us-east-1", "s3")
    return sigv4.ChunkChain(key, STAMP, SCOPE, SEED)


def test_the_published_chunk_signatures_verify_in_order() -> None:
    checker = chain()
    for size, signature in CHUNKS:
        checker.verify_chunk(hashlib.sha256(b"a" * size).hexdigest(), signature)


def test_a_changed_chunk_fails() -> None:
    checker = chain()
    with pytest.raises(AuthenticationError) as failed:
        checker.verify_chunk(hashlib.sha256(b"a" * 65535 + b"b").hexdigest(), CHUNKS[0][1])
    assert failed.value.fields["reason"] == "signature_mismatch"


def test_chunks_out_of_order_fail() -> None:
    checker = chain()
    with pytest.raises(AuthenticationError):
        checker.verify_chunk(hashlib.sha256(b"a" * 1024).hexdigest(), CHUNKS[1][1])
