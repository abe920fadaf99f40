"""An object body as the use case reads it: decoded, verified and streamed.

What the signature's payload hash says about the body:

* a hex SHA-256: the body must hash to it (the core checks it while storing);
* ``UNSIGNED-PAYLOAD``: nothing;
* ``STREAMING-UNSIGNED-PAYLOAD-TRAILER`` (boto3 and the aws CLI over https): an aws-chunked
  body whose trailer carries the checksum, checked once the last byte is in;
* ``STREAMING-AWS4-HMAC-SHA256-PAYLOAD`` (and its signed-trailer variant): an aws-chunked
  body whose chunks each carry a signature chained from the request's, checked as each chunk
  ends (by the domain: front-ends hold no keys), so a forged chunk stops the upload.

A ``x-amz-checksum-<algorithm>`` header (or trailer) is checked over the decoded bytes;
``BadDigest`` refuses the body before anything is stored. A body sent with no checksum gets
S3's default one (CRC64NVME) computed while it streams, when the operation asks for it.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Literal

from weighthouse.frontends.bodies import RequestBody, declared_length
from weighthouse.frontends.s3.checksums import (
    ALGORITHMS,
    DEFAULT_ALGORITHM,
    HEADER_PREFIX,
    ChecksumCheck,
)
from weighthouse.frontends.s3.chunked import AwsChunkedDecoder
from weighthouse.frontends.s3.context import S3Call
from weighthouse.frontends.s3.credentials import UNSIGNED_PAYLOAD, is_hex_sha256
from weighthouse.frontends.s3.errors import S3Error

STREAMING_UNSIGNED_TRAILER = "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
STREAMING_SIGNED = (
    "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
    "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER",
)


@dataclass
class Body:
    """The decoded body: ``chunks`` to hand the use case (iterate it in a worker thread),
    its ``size`` when known, and the SHA-256 the signature vouches for."""

    chunks: Callable[[], Iterator[bytes]]
    size: int | None
    sha256: str | None
    md5: str | None
    checks: list[ChecksumCheck] = field(default_factory=list)

    def checksum_headers(self, *, computed: bool = True) -> dict[str, str]:
        """The checksums of the body to answer with; ``computed`` ones (not sent by the
        client) only when asked."""
        return {
            HEADER_PREFIX + c.algorithm: c.value
            for c in self.checks
            if c.value is not None and (computed or not c.computed)
        }

    def computed_value(self, algorithm: str) -> str | None:
        """The value of ``algorithm`` over the body, verified or computed; once it is read."""
        for check in self.checks:
            if check.algorithm == algorithm and check.value is not None:
                return check.value
        return None

    def keep_computed_only(self, algorithm: str) -> None:
        """Compute no checksum the client did not send but ``algorithm``; call before
        :attr:`chunks`. Each is a pass over every byte, spent for nothing when unused."""
        self.checks[:] = [c for c in self.checks if not c.computed or c.algorithm == algorithm]

    def verified_checksums(self) -> dict[str, str]:
        """The checksums verified over the body, by algorithm; complete once it is read."""
        return {c.algorithm: c.value for c in self.checks if c.value is not None}


def content_md5(call: S3Call) -> str | None:
    value = call.header("content-md5")
    if value is None:
        return None
    try:
        raw = base64.b64decode(value.strip(), validate=True)
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != 16:
        raise S3Error(400, "InvalidDigest", "The Content-MD5 you specified was invalid.")
    return raw.hex()


def body_of(call: S3Call, *, default: Literal["none", "missing", "always"] = "none") -> Body:
    """How to read the request's body; raises before any byte is read when it cannot be.
    ``default`` is ``"none"`` to compute no checksum the client did not send, ``"missing"`` to
    compute S3's default one when the client sent none, and ``"always"`` to compute it
    whatever else was sent."""
    limit = call.hub.settings.max_upload_bytes
    payload = call.payload_hash or UNSIGNED_PAYLOAD
    encoding = (call.header("content-encoding") or "").lower()
    signed_chunks = payload in STREAMING_SIGNED
    if signed_chunks and call.chunk_signatures is None:
        raise S3Error(400, "InvalidRequest", "a signed aws-chunked body needs a signed request")
    chunked = signed_chunks or payload == STREAMING_UNSIGNED_TRAILER or "aws-chunked" in encoding
    if chunked:
        decoded = call.header("x-amz-decoded-content-length")
        if decoded is None:
            raise S3Error(411, "MissingContentLength", "send x-amz-decoded-content-length")
        size = declared_length(decoded, limit)
    else:
        size = declared_length(call.header("content-length"), limit)
        if size is None and call.header("transfer-encoding") is None:
            raise S3Error(
                411, "MissingContentLength", "You must provide the Content-Length header."
            )
    sha256 = payload if is_hex_sha256(payload) else None
    # An unknown value vouches for nothing: never let it pass as an unsigned chunked body.
    known = signed_chunks or payload in (UNSIGNED_PAYLOAD, STREAMING_UNSIGNED_TRAILER)
    if not sha256 and not known:
        raise S3Error(400, "InvalidArgument", "x-amz-content-sha256 is not a known value")
    checks = _checks(call, chunked)
    wanted = default == "always" or (default == "missing" and not checks)
    if wanted and all(check.algorithm != DEFAULT_ALGORITHM for check in checks):
        checks.append(ChecksumCheck(DEFAULT_ALGORITHM, computed=True))
    stream = call.request.stream()
    # The raw body of an aws-chunked upload is larger than the object: allow for its framing.
    raw_limit = limit + (limit // 1024 + 4096 if chunked else 0)

    def chunks() -> Iterator[bytes]:
        # A plain body goes on in the pieces it arrived in: joining them into 1 MiB batches
        # made a fresh buffer over the allocator's mmap threshold per batch, mapped, faulted
        # in and unmapped again. The aws-chunked decoder buffers what it parses either way.
        raw: Iterable[bytes] = RequestBody(stream, limit=raw_limit, join=chunked)
        decoder = AwsChunkedDecoder(size, call.chunk_signatures) if chunked else None
        data: Iterable[bytes] = decoder.decode(raw) if decoder is not None else raw
        for check in checks:
            finished = None
            if decoder is not None and check.expected_in_trailer:
                finished = _from_trailer(decoder, check)
            data = check.wrap(data, finished)
        yield from data

    return Body(chunks=chunks, size=size, sha256=sha256, md5=content_md5(call), checks=checks)


def _from_trailer(decoder: AwsChunkedDecoder, check: ChecksumCheck) -> Callable[[], None]:
    def finished() -> None:
        value = decoder.trailers.get(HEADER_PREFIX + check.algorithm)
        if value is None:
            raise S3Error(
                400, "InvalidRequest", f"the trailer {HEADER_PREFIX}{check.algorithm} is missing"
            )
        check.expect(value)

    return finished


def _checks(call: S3Call, chunked: bool) -> list[ChecksumCheck]:
    checks = []
    for algorithm in ALGORITHMS:
        value = call.header(HEADER_PREFIX + algorithm)
        if value is not None:
            checks.append(ChecksumCheck(algorithm, value))
    trailer = (call.header("x-amz-trailer") or "").strip().lower()
    if trailer:
        if not chunked:
            raise S3Error(400, "InvalidRequest", "x-amz-trailer needs an aws-chunked body")
        if not trailer.startswith(HEADER_PREFIX):
            raise S3Error(400, "InvalidRequest", f"unsupported trailer {trailer[:60]!r}")
        check = ChecksumCheck(trailer[len(HEADER_PREFIX) :])
        check.expected_in_trailer = True
        checks.append(check)
    declared = (call.header("x-amz-sdk-checksum-algorithm") or "").strip().lower()
    if declared and declared not in ALGORITHMS:
        raise S3Error(400, "InvalidRequest", f"unknown checksum algorithm {declared[:40]!r}")
    return checks
