"""GetObjectAttributes (``GET /<bucket>/<key>?attributes``): what HeadObject says, as XML,
for the attributes named in ``x-amz-object-attributes``.

The ETag comes unquoted here, as S3 sends it in this document. Objects are never multipart in
the catalog's sense yet, so ``ObjectParts`` is left out, as S3 leaves it out for a single-part
object. Stored checksums are listed without checksum mode: asking for ``Checksum`` is the ask.
"""

from __future__ import annotations

from starlette.responses import Response

from weighthouse.frontends.s3 import wire
from weighthouse.frontends.s3.bucket_names import bucket_id
from weighthouse.frontends.s3.context import S3Call, in_thread
from weighthouse.frontends.s3.errors import S3Error

ATTRIBUTES = ("ETag", "Checksum", "ObjectParts", "StorageClass", "ObjectSize")
_CHECKSUM_TAGS = {
    "crc32": "ChecksumCRC32",
    "crc32c": "ChecksumCRC32C",
    "crc64nvme": "ChecksumCRC64NVME",
    "sha1": "ChecksumSHA1",
    "sha256": "ChecksumSHA256",
}


def _asked(call: S3Call) -> set[str]:
    header = call.header("x-amz-object-attributes") or ""
    names = {name.strip() for name in header.split(",") if name.strip()}
    unknown = names - set(ATTRIBUTES)
    if not names or unknown:
        raise S3Error(
            400,
            "InvalidArgument",
            "x-amz-object-attributes must name some of " + ", ".join(ATTRIBUTES),
        )
    return names


async def get_attributes(call: S3Call) -> Response:
    if call.request.method != "GET":
        raise S3Error(405, "MethodNotAllowed", "?attributes answers only GET")
    assert call.bucket is not None and call.key is not None
    asked = _asked(call)
    repo_id, key = bucket_id(call.bucket), call.key
    obj = await in_thread(lambda: call.hub.buckets.head(call.principal, repo_id, key))
    root = wire.element("GetObjectAttributesResponse")
    if "ETag" in asked:
        wire.add(root, "ETag", obj.md5)
    if "Checksum" in asked:
        stored = [
            (tag, obj.checksums[name])
            for name, tag in _CHECKSUM_TAGS.items()
            if name in obj.checksums
        ]
        if stored:
            checksum = wire.add(root, "Checksum")
            for tag, value in stored:
                wire.add(checksum, tag, value)
            wire.add(checksum, "ChecksumType", "FULL_OBJECT")
    if "StorageClass" in asked:
        wire.add(root, "StorageClass", "STANDARD")
    if "ObjectSize" in asked:
        wire.add(root, "ObjectSize", obj.size)
    headers = {"Last-Modified": wire.http_date(obj.modified_at)}
    return Response(wire.document(root), media_type=wire.XML, headers=headers)
