"""ListObjects (v1), ListObjectsV2 and ListObjectVersions over the core's bucket listing.

Keys come in UTF-8 byte order; common prefixes count toward ``max-keys``. A page that ends on
a common prefix continues after every key under it. ``encoding-type=url`` percent-encodes
keys, prefixes, delimiters and markers (``/`` kept, space ``%20``, ``+`` ``%2B``), which
botocore always asks for. The v2 continuation token is the opaque position of the core's
listing. Without versioning, ListObjectVersions answers every object once, ``VersionId``
``null``.

An object's ``Owner`` is its bucket's (see :mod:`.owners`): the ID of the namespace's account
(the organisation's for an organisation's bucket) and, as DisplayName, the namespace's name. v1 and
ListObjectVersions always carry it, v2 only with ``fetch-owner=true``, as S3 does.
"""

from __future__ import annotations

import base64
import binascii
import xml.etree.ElementTree as ET
from collections.abc import Callable
from urllib.parse import quote

from starlette.responses import Response

from weighthouse.domain.model import BucketObject, ObjectListing
from weighthouse.frontends.s3 import wire
from weighthouse.frontends.s3.bucket_names import bucket_id
from weighthouse.frontends.s3.context import S3Call, in_thread
from weighthouse.frontends.s3.errors import S3Error
from weighthouse.frontends.s3.owners import Owner, bucket_owner

_PREFIX_END = b"\xff"


def _max_keys(call: S3Call) -> int:
    value = call.param("max-keys")
    if value is None:
        return wire.MAX_KEYS
    if not value.isdigit() or len(value) > 12:
        raise S3Error(400, "InvalidArgument", "max-keys must be a non-negative integer")
    return min(int(value), wire.MAX_KEYS)


def url_encoder(call: S3Call) -> tuple[bool, Callable[[str], str]]:
    """Whether the listing asked for ``encoding-type=url``, and how to write its names."""
    encoding = call.param("encoding-type")
    if encoding is not None and encoding.lower() != "url":
        raise S3Error(400, "InvalidArgument", "encoding-type must be url")
    url = encoding is not None

    def encode(text: str) -> str:
        return quote(text, safe="/") if url else text

    return url, encode


def _after(marker: str, prefix: str, delimiter: str | None) -> bytes | None:
    """The position after ``marker``; past every key of its common prefix when it has one."""
    if not marker:
        return None
    if delimiter:
        cut = marker.find(delimiter, len(prefix)) if marker.startswith(prefix) else -1
        if cut >= 0:
            return marker[: cut + len(delimiter)].encode("utf-8") + _PREFIX_END
    return marker.encode("utf-8")


async def _page(
    call: S3Call,
    prefix: str,
    delimiter: str | None,
    after: bytes | None,
    limit: int,
    *,
    owner: bool,
) -> tuple[ObjectListing, Owner | None]:
    """One page of the listing, and the bucket's owner when ``owner`` is asked for (an empty
    page by request still checks the bucket exists and may be read)."""
    assert call.bucket is not None
    repo_id = bucket_id(call.bucket)

    def page() -> tuple[ObjectListing, Owner | None]:
        if limit == 0:
            call.hub.repos.get(call.principal, repo_id)
            return ObjectListing((), (), None), None
        listing = call.hub.buckets.list(
            call.principal, repo_id, prefix=prefix, delimiter=delimiter, after=after, limit=limit
        )
        # Read after the listing, whose access check answers first for a bucket not readable.
        if not (owner and listing.objects):
            return listing, None
        return listing, bucket_owner(call, call.hub.repos.get(call.principal, repo_id))

    return await in_thread(page)


def _owner(parent: ET.Element, owner: Owner | None) -> None:
    if owner is None:
        return
    element = wire.add(parent, "Owner")
    wire.add(element, "ID", owner.id)
    wire.add(element, "DisplayName", owner.display_name)


def _contents(
    parent: ET.Element, obj: BucketObject, encode: Callable[[str], str], owner: Owner | None
) -> None:
    entry = wire.add(parent, "Contents")
    wire.add(entry, "Key", encode(obj.key))
    wire.add(entry, "LastModified", wire.iso8601(obj.modified_at))
    wire.add(entry, "ETag", wire.quoted_etag(wire.object_etag(obj)))
    wire.add(entry, "Size", obj.size)
    wire.add(entry, "StorageClass", "STANDARD")
    _owner(entry, owner)


def _common(call: S3Call) -> tuple[str, str | None]:
    prefix = call.param("prefix") or ""
    delimiter = call.param("delimiter") or None
    return prefix, delimiter


def _last_name(listing: ObjectListing) -> str | None:
    names = [o.key for o in listing.objects] + list(listing.common_prefixes)
    return max(names, key=lambda n: n.encode("utf-8")) if names else None


async def list_v1(call: S3Call) -> Response:
    prefix, delimiter = _common(call)
    limit = _max_keys(call)
    url, encode = url_encoder(call)
    marker = call.param("marker") or ""
    after = _after(marker, prefix, delimiter)
    page, owner = await _page(call, prefix, delimiter, after, limit, owner=True)
    root = wire.element("ListBucketResult")
    wire.add(root, "Name", call.bucket)
    # Encoded like every other name, as AWS does (its Java SDKs decode it); botocore decodes
    # v1's Marker and Delimiter but not Prefix, so boto3 users see it as AWS sends it.
    wire.add(root, "Prefix", encode(prefix))
    wire.add(root, "Marker", encode(marker))
    wire.add(root, "MaxKeys", limit)
    if delimiter:
        wire.add(root, "Delimiter", encode(delimiter))
    truncated = page.next_after is not None
    wire.add(root, "IsTruncated", truncated)
    if truncated and delimiter:
        last = _last_name(page)
        if last is not None:
            wire.add(root, "NextMarker", encode(last))
    if url:
        wire.add(root, "EncodingType", "url")
    for obj in page.objects:
        _contents(root, obj, encode, owner)
    for common in page.common_prefixes:
        wire.add(wire.add(root, "CommonPrefixes"), "Prefix", encode(common))
    return Response(wire.document(root), media_type=wire.XML)


def _token(position: bytes) -> str:
    return base64.urlsafe_b64encode(position).decode("ascii")


def _position(token: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(token.encode("ascii"))
    except (binascii.Error, ValueError, UnicodeEncodeError):
        raise S3Error(
            400, "InvalidArgument", "The continuation token provided is incorrect"
        ) from None


async def list_v2(call: S3Call) -> Response:
    prefix, delimiter = _common(call)
    limit = _max_keys(call)
    url, encode = url_encoder(call)
    token = call.param("continuation-token")
    start_after = call.param("start-after")
    if token is not None:
        after: bytes | None = _position(token)
    else:
        after = _after(start_after or "", prefix, delimiter)
    fetch_owner = (call.param("fetch-owner") or "").lower() == "true"
    page, owner = await _page(call, prefix, delimiter, after, limit, owner=fetch_owner)
    root = wire.element("ListBucketResult")
    wire.add(root, "Name", call.bucket)
    wire.add(root, "Prefix", encode(prefix))
    wire.add(root, "MaxKeys", limit)
    wire.add(root, "KeyCount", len(page.objects) + len(page.common_prefixes))
    if delimiter:
        wire.add(root, "Delimiter", encode(delimiter))
    wire.add(root, "IsTruncated", page.next_after is not None)
    if token is not None:
        wire.add(root, "ContinuationToken", token)
    if page.next_after is not None:
        wire.add(root, "NextContinuationToken", _token(page.next_after))
    if start_after is not None:
        wire.add(root, "StartAfter", encode(start_after))
    if url:
        wire.add(root, "EncodingType", "url")
    for obj in page.objects:
        _contents(root, obj, encode, owner if fetch_owner else None)
    for common in page.common_prefixes:
        wire.add(wire.add(root, "CommonPrefixes"), "Prefix", encode(common))
    return Response(wire.document(root), media_type=wire.XML)


async def list_versions(call: S3Call) -> Response:
    prefix, delimiter = _common(call)
    limit = _max_keys(call)
    url, encode = url_encoder(call)
    key_marker = call.param("key-marker") or ""
    after = _after(key_marker, prefix, delimiter)
    page, owner = await _page(call, prefix, delimiter, after, limit, owner=True)
    root = wire.element("ListVersionsResult")
    wire.add(root, "Name", call.bucket)
    wire.add(root, "Prefix", encode(prefix))
    wire.add(root, "KeyMarker", encode(key_marker))
    wire.add(root, "VersionIdMarker", call.param("version-id-marker") or "")
    wire.add(root, "MaxKeys", limit)
    if delimiter:
        wire.add(root, "Delimiter", encode(delimiter))
    truncated = page.next_after is not None
    wire.add(root, "IsTruncated", truncated)
    if truncated:
        last = _last_name(page)
        if last is not None:
            wire.add(root, "NextKeyMarker", encode(last))
            wire.add(root, "NextVersionIdMarker", "null")
    if url:
        wire.add(root, "EncodingType", "url")
    for obj in page.objects:
        entry = wire.add(root, "Version")
        wire.add(entry, "Key", encode(obj.key))
        wire.add(entry, "VersionId", "null")
        wire.add(entry, "IsLatest", True)
        wire.add(entry, "LastModified", wire.iso8601(obj.modified_at))
        wire.add(entry, "ETag", wire.quoted_etag(wire.object_etag(obj)))
        wire.add(entry, "Size", obj.size)
        wire.add(entry, "StorageClass", "STANDARD")
        _owner(entry, owner)
    for common in page.common_prefixes:
        wire.add(wire.add(root, "CommonPrefixes"), "Prefix", encode(common))
    return Response(wire.document(root), media_type=wire.XML)
