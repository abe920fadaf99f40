"""The HTTP headers an object carries besides its body: content headers kept from the PUT,
``response-content-*`` overrides of a signed GET, and the stored checksums.

Checksums go out only when the client asks (``x-amz-checksum-mode: ENABLED``) and only for the
whole object: a ranged answer carrying the whole object's checksum makes botocore fail its own
check of the part it got.
"""

from __future__ import annotations

from weighthouse.domain.model import CONTENT_HEADERS, BucketObject
from weighthouse.frontends.s3.checksums import HEADER_PREFIX
from weighthouse.frontends.s3.context import S3Call
from weighthouse.frontends.s3.errors import S3Error

# Query parameters a signed GET may use to override the stored headers, as S3 names them.
OVERRIDES = {
    "response-content-type": "content-type",
    "response-content-language": "content-language",
    "response-expires": "expires",
    "response-cache-control": "cache-control",
    "response-content-disposition": "content-disposition",
    "response-content-encoding": "content-encoding",
}


def content_headers(call: S3Call) -> dict[str, str]:
    """The content headers of a PUT, to store. ``aws-chunked`` is how this request's body was
    framed, not how the object is encoded, so it is dropped from Content-Encoding."""
    kept = {}
    for name in CONTENT_HEADERS:
        value = call.header(name)
        if value is None:
            continue
        if name == "content-encoding":
            codings = [c.strip() for c in value.split(",")]
            value = ", ".join(c for c in codings if c and c.lower() != "aws-chunked")
        if value:
            kept[name] = value
    return kept


def served(call: S3Call, obj: BucketObject) -> tuple[dict[str, str], str]:
    """The stored content headers, with the caller's overrides applied, and the Content-Type.
    Only a signed request (header or presigned) may override, as in S3: an anonymous reader of
    a public bucket gets ``InvalidRequest`` (400) rather than headers of its choosing."""
    headers = dict(obj.content_headers)
    content_type = obj.content_type
    for param, header in OVERRIDES.items():
        override = call.param(param)
        if override is None:
            continue
        if call.principal.user is None:
            raise S3Error(
                400,
                "InvalidRequest",
                "Request specific response headers cannot be used for anonymous GET requests.",
            )
        if header == "content-type":
            content_type = override
        else:
            headers[header] = override
    return headers, content_type


def checksum_headers(call: S3Call, obj: BucketObject, *, whole: bool) -> dict[str, str]:
    """The stored checksums when the client enabled checksum mode and gets the whole object."""
    mode = (call.header("x-amz-checksum-mode") or "").strip().upper()
    if mode != "ENABLED" or not whole or not obj.checksums:
        return {}
    headers = {HEADER_PREFIX + name: value for name, value in sorted(obj.checksums.items())}
    # A multipart upload's composite checksum is the checksum of its parts' checksums, which
    # S3 writes with a "-<number of parts>" suffix; every other stored one is of the bytes.
    composite = any("-" in value for value in obj.checksums.values())
    headers["x-amz-checksum-type"] = "COMPOSITE" if composite else "FULL_OBJECT"
    return headers
