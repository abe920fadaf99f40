"""GetObjectAttributes (``GET /<bucket>/<key>?attributes``): what HeadObject says, as XML,
for the attributes named in ``x-amz-object-attributes``.

The ETag comes unquoted here, as S3 sends it in this document: for an object assembled from
a multipart upload the ``<md5-of-md5s>-<N>`` one HeadObject gives. ``ObjectParts`` is left out
for a single-part object, as S3 leaves it out; for an assembled one it counts the parts and
lists their sizes a page at a time (``x-amz-max-parts``, ``x-amz-part-number-marker``). Stored
checksums are listed without checksum mode: asking for ``Checksum`` is the ask, and a
multipart upload's composite checksum (``...-N``) is typed ``COMPOSITE``. An object encrypted
with a customer's key needs that key, as GetObject does. A bucket policy decides it by two
actions, as S3 does: ``s3:GetObjectAttributes`` and ``s3:GetObject``, or with a ``versionId``
``s3:GetObjectVersionAttributes`` and ``s3:GetObjectVersion``; each is allowed by the policy or
by the object's (that version's) ACL, and a Deny of either refuses.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from starlette.responses import Response

from weighthouse.domain.model import BucketObject
from weighthouse.frontends.http_dates import http_date
from weighthouse.frontends.s3 import actions, encryption, wire
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
    version = call.param("versionId") if call.has("versionId") else None
    given = encryption.customer_key(call)
    # S3 asks for the read of the object too: s3:GetObject (s3:GetObjectVersion with a
    # versionId) as well as the request's own s3:GetObject(Version)Attributes.
    read = "GetObject" if version is None else "GetObjectVersion"
    reading = actions.for_object(call.principal, read, key)

    def find() -> BucketObject:
        # As a GET: an object under a customer's key tells its attributes only to that key.
        obj, _ = call.hub.buckets.download(
            call.principal, repo_id, key, version_id=version, customer_key=given
        )
        # The version found, by id, so that both actions are decided by its ACL.
        call.hub.buckets.head(reading, repo_id, key, version_id=obj.version_id)
        return obj

    obj = await in_thread(find)
    root = wire.element("GetObjectAttributesResponse")
    if "ETag" in asked:
        wire.add(root, "ETag", wire.object_etag(obj))
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
            composite = any("-" in value for _, value in stored)
            wire.add(checksum, "ChecksumType", "COMPOSITE" if composite else "FULL_OBJECT")
    if "ObjectParts" in asked and obj.parts_md5 is not None:
        _parts(call, root, obj.part_sizes)
    if "StorageClass" in asked:
        wire.add(root, "StorageClass", "STANDARD")
    if "ObjectSize" in asked:
        wire.add(root, "ObjectSize", obj.size)
    headers = {
        "Last-Modified": http_date(obj.modified_at),
        **wire.version_headers(obj.version_id, asked=version is not None),
    }
    return Response(wire.document(root), media_type=wire.XML, headers=headers)


def _number(call: S3Call, header: str, default: int) -> int:
    value = (call.header(header) or "").strip()
    if not value:
        return default
    if not value.isascii() or not value.isdigit() or len(value) > 9:
        raise S3Error(400, "InvalidArgument", f"{header} must be a non-negative integer")
    return int(value)


def _parts(call: S3Call, root: ET.Element, sizes: tuple[int, ...]) -> None:
    limit = min(_number(call, "x-amz-max-parts", wire.MAX_KEYS), wire.MAX_KEYS)
    marker = _number(call, "x-amz-part-number-marker", 0)
    page = [(n, size) for n, size in enumerate(sizes, start=1) if n > marker][:limit]
    parts = wire.add(root, "ObjectParts")
    wire.add(parts, "PartsCount", len(sizes))
    wire.add(parts, "PartNumberMarker", marker)
    truncated = bool(page) and page[-1][0] < len(sizes)
    if page:
        wire.add(parts, "NextPartNumberMarker", page[-1][0])
    wire.add(parts, "MaxParts", limit)
    wire.add(parts, "IsTruncated", truncated)
    for number, size in page:
        part = wire.add(parts, "Part")
        wire.add(part, "PartNumber", number)
        wire.add(part, "Size", size)
