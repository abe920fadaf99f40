"""ListObjects (v1), ListObjectsV2 and ListObjectVersions over the core's bucket listing.

Keys come in UTF-8 byte order; common prefixes count toward ``max-keys``. A page that ends on
a common prefix continues after every key under it. ``encoding-type=url`` percent-encodes
keys, prefixes, delimiters and markers (``/`` kept, space ``%20``, ``+`` ``%2B``), which
botocore always asks for. The v2 continuation token is the opaque position of the core's
listing. ListObjectVersions lists objects and delete markers, newest first within a key;
without versioning every object is listed once, ``VersionId`` ``null``.

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
from weighthouse.domain.object_versions import ObjectVersion, VersionListing, VersionPosition
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
    """ListObjectVersions: objects and delete markers in key order, newest first within a
    key, continuing after ``key-marker`` (and, within that key, after ``version-id-marker``)."""
    assert call.bucket is not None
    prefix, delimiter = _common(call)
    limit = _max_keys(call)
    url, encode = url_encoder(call)
    key_marker = call.param("key-marker") or ""
    version_marker = call.param("version-id-marker") or ""
    if version_marker and not key_marker:
        raise S3Error(
            400,
            "InvalidArgument",
            "A version-id marker cannot be specified without a key marker.",
        )
    repo_id = bucket_id(call.bucket)

    def page() -> tuple[VersionListing, Owner | None]:
        buckets = call.hub.buckets
        after: VersionPosition | None = None
        if version_marker:
            after = buckets.version_position(call.principal, repo_id, key_marker, version_marker)
        elif key_marker:
            after = (_after(key_marker, prefix, delimiter) or b"", None)
        if limit == 0:
            call.hub.repos.get(call.principal, repo_id)
            return VersionListing((), (), None), None
        listing = buckets.list_versions(
            call.principal, repo_id, prefix=prefix, delimiter=delimiter, after=after, limit=limit
        )
        if not listing.versions:
            return listing, None
        return listing, bucket_owner(call, call.hub.repos.get(call.principal, repo_id))

    listing, owner = await in_thread(page)
    root = wire.element("ListVersionsResult")
    wire.add(root, "Name", call.bucket)
    wire.add(root, "Prefix", encode(prefix))
    wire.add(root, "KeyMarker", encode(key_marker))
    wire.add(root, "VersionIdMarker", version_marker)
    wire.add(root, "MaxKeys", limit)
    if delimiter:
        wire.add(root, "Delimiter", encode(delimiter))
    truncated = listing.next_after is not None
    wire.add(root, "IsTruncated", truncated)
    if truncated and listing.next_key is not None:
        wire.add(root, "NextKeyMarker", encode(listing.next_key))
        wire.add(root, "NextVersionIdMarker", listing.next_version_id or "")
    if url:
        wire.add(root, "EncodingType", "url")
    for version in listing.versions:
        _version(root, version, encode, owner)
    for common in listing.common_prefixes:
        wire.add(wire.add(root, "CommonPrefixes"), "Prefix", encode(common))
    return Response(wire.document(root), media_type=wire.XML)


def _version(
    parent: ET.Element, version: ObjectVersion, encode: Callable[[str], str], owner: Owner | None
) -> None:
    obj = version.object
    entry = wire.add(parent, "DeleteMarker" if obj is None else "Version")
    wire.add(entry, "Key", encode(version.key))
    wire.add(entry, "VersionId", version.version_id)
    wire.add(entry, "IsLatest", version.latest)
    wire.add(entry, "LastModified", wire.iso8601(version.modified_at))
    if obj is not None:
        wire.add(entry, "ETag", wire.quoted_etag(wire.object_etag(obj)))
        wire.add(entry, "Size", obj.size)
        wire.add(entry, "StorageClass", "STANDARD")
    _owner(entry, owner)
