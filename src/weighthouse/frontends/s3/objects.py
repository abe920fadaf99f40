"""Object operations (``/<bucket>/<key>``): PutObject, CopyObject, GetObject, HeadObject and
DeleteObject.

ETags are the MD5 of the bytes, as S3 defines them. ``If-None-Match: *`` and ``If-Match`` on
a PUT are decided by the core's compare-and-swap in the same write, so of racing writers
exactly one wins: S3's ETag is mapped to the version's SHA-256 first, and the catalog checks
that version is still the one stored when it writes.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from starlette.responses import Response

from weighthouse import wire as shared_wire
from weighthouse.domain.access import Principal
from weighthouse.domain.buckets import PutConditions
from weighthouse.domain.errors import EntryNotFoundError
from weighthouse.domain.files import Download
from weighthouse.domain.model import BucketObject, RepoId
from weighthouse.domain.object_versions import Deletion, ObjectVersion
from weighthouse.frontends.downloads import CHUNK, BlobStreamResponse, parse_range, preload
from weighthouse.frontends.http_dates import http_date
from weighthouse.frontends.s3 import (
    acls,
    actions,
    encryption,
    lifecycle,
    object_lock,
    tagging,
    wire,
)
from weighthouse.frontends.s3.attributes import get_attributes
from weighthouse.frontends.s3.bucket_names import bucket_id
from weighthouse.frontends.s3.context import S3Call, anonymous_write, in_thread
from weighthouse.frontends.s3.errors import S3Error
from weighthouse.frontends.s3.object_headers import checksum_headers, content_headers, served
from weighthouse.frontends.s3.owners import EXPECTED_SOURCE_OWNER_HEADER, check_expected_owner
from weighthouse.frontends.s3.uploads import body_of

# Object operations of S3's that Weighthouse lacks (GetObjectTorrent, SelectObjectContent,
# RestoreObject): S3's 501 for them, where another method on an object is a 405.
_NOT_IMPLEMENTED = ("torrent", "select", "restore")


async def handle(call: S3Call) -> Response:
    method = call.request.method
    if call.has("attributes"):
        return await get_attributes(call)
    if call.has("acl"):
        return await acls.handle(call)
    if call.has("tagging"):
        return await tagging.object_tagging(call)
    if call.has("retention"):
        return await object_lock.object_retention(call)
    if call.has("legal-hold"):
        return await object_lock.object_legal_hold(call)
    for name in _NOT_IMPLEMENTED:
        if call.has(name):
            raise S3Error(501, "NotImplemented", f"?{name} is not implemented")
    if method == "PUT":
        if call.header("x-amz-copy-source") is not None:
            return await _copy(call)
        return await _put(call)
    if method in ("GET", "HEAD"):
        return await _get(call)
    if method == "DELETE":
        return await _delete(call)
    raise S3Error(405, "MethodNotAllowed", f"{method} is not allowed on an object")


def _target(call: S3Call) -> tuple[RepoId, str]:
    assert call.bucket is not None and call.key is not None
    return bucket_id(call.bucket), call.key


def require_signed(principal: Principal) -> None:
    if principal.user is None:
        raise S3Error(403, "AccessDenied", "Anonymous users cannot write")


def user_metadata(call: S3Call) -> dict[str, str]:
    """``x-amz-meta-*`` headers by lower-case name; values as the text the client sent (see
    :func:`weighthouse.wire.header_text`), returned as the same bytes."""
    prefix = wire.META_PREFIX
    return {
        name[len(prefix) :]: shared_wire.header_text(value)
        for name, value in call.request.headers.items()
        if name.lower().startswith(prefix)
    }


def put_conditions(call: S3Call, repo_id: RepoId, key: str) -> PutConditions | None:
    """S3's PUT preconditions in the core's terms (blocking: may read the current object)."""
    if_none_match = call.header("if-none-match")
    if_match = call.header("if-match")
    if if_none_match is not None and if_none_match.strip() != "*":
        raise S3Error(501, "NotImplemented", "If-None-Match on a PUT accepts only *")
    if if_match is None:
        return PutConditions(if_none_match=if_none_match) if if_none_match else None
    try:
        current = call.hub.buckets.head(call.principal, repo_id, key)
    except EntryNotFoundError:
        raise S3Error(404, "NoSuchKey", "The specified key does not exist.", key=key) from None
    if not etag_matches(if_match, current):
        raise S3Error(
            412,
            "PreconditionFailed",
            "At least one of the pre-conditions you specified did not hold",
            Condition="If-Match",
        )
    # The catalog's compare-and-swap on this version's SHA-256 decides the write.
    return PutConditions(if_none_match=if_none_match, if_match=current.sha256)


def etag_matches(header: str, obj: BucketObject) -> bool:
    candidates = [c.strip().removeprefix("W/").strip('"') for c in header.split(",")]
    return "*" in candidates or wire.object_etag(obj) in candidates


async def _put(call: S3Call) -> Response:
    repo_id, key = _target(call)
    body = body_of(call, default="missing")
    metadata = user_metadata(call)
    stored_headers = content_headers(call)
    tags = tagging.header_tags(call)
    acl = acls.requested(call)
    asked = encryption.write_request(call)
    retention, legal_hold = object_lock.requested_lock(call)
    integrity_checked = object_lock.carries_integrity(call)

    def store() -> tuple[BucketObject, dict[str, str]]:
        with anonymous_write(call.principal):
            obj = stored()
        return obj, _expiration(call, repo_id, obj)

    def stored() -> BucketObject:
        conditions = put_conditions(call, repo_id, key)
        return call.hub.buckets.put(
            call.principal,
            repo_id,
            key,
            body.chunks(),
            size=body.size,
            sha256=body.sha256,
            md5=body.md5,
            content_type=call.header("content-type"),
            metadata=metadata,
            content_headers=stored_headers,
            checksums=body.verified_checksums,
            conditions=conditions,
            tags=tags,
            acl=acl,
            encryption=asked,
            retention=retention,
            legal_hold=legal_hold,
            integrity_checked=integrity_checked,
        )

    obj, expiry = await in_thread(store, call.limiter)
    headers = {"ETag": wire.quoted_etag(obj.md5), **body.checksum_headers()}
    if len(headers) > 1:
        headers["x-amz-checksum-type"] = "FULL_OBJECT"
    headers.update(wire.version_headers(obj.version_id))
    headers.update(encryption.response_headers(obj.encryption))
    headers.update(expiry)
    return Response(headers=headers)


def copy_source(call: S3Call) -> tuple[str, RepoId, str, str | None]:
    """The source of a copy: ``<bucket>/<key>`` URL-encoded, optionally ``?versionId=<id>``
    naming one version of it (``None``: the latest)."""
    header = call.header("x-amz-copy-source") or ""
    source, question, query = header.partition("?")
    version: str | None = None
    if question:
        name, equals, value = query.partition("=")
        if name != "versionId" or not equals or not value:
            raise S3Error(
                400, "InvalidArgument", "x-amz-copy-source may only carry ?versionId=<id>"
            )
        version = actions.decoded_source(value)
    source = actions.decoded_source(source).lstrip("/")
    bucket, slash, key = source.partition("/")
    if not slash or not key:
        raise S3Error(400, "InvalidArgument", "x-amz-copy-source must be <bucket>/<key>")
    return bucket, bucket_id(bucket), key, version


def source_action(version: str | None) -> str:
    """The policy action a copy asks of its source: ``GetObjectVersion`` for one by id."""
    return "GetObject" if version is None else "GetObjectVersion"


async def _copy(call: S3Call) -> Response:
    require_signed(call.principal)
    repo_id, key = _target(call)
    source_bucket, source_id, source_key, source_version = copy_source(call)
    directive = (call.header("x-amz-metadata-directive") or "COPY").strip().upper()
    if directive not in ("COPY", "REPLACE"):
        raise S3Error(400, "InvalidArgument", "x-amz-metadata-directive must be COPY or REPLACE")
    tag_directive = (call.header(tagging.DIRECTIVE_HEADER) or "COPY").strip().upper()
    if tag_directive not in ("COPY", "REPLACE"):
        raise S3Error(400, "InvalidArgument", "x-amz-tagging-directive must be COPY or REPLACE")
    new_tags = tagging.header_tags(call) if tag_directive == "REPLACE" else None
    asked = encryption.write_request(call)
    source_key_given = encryption.customer_key(call, copy_source=True)
    if (
        (source_bucket, source_key) == (call.bucket, key)
        and source_version is None
        and directive != "REPLACE"
        and asked is None
    ):
        raise S3Error(
            400,
            "InvalidRequest",
            "This copy request is illegal because it is trying to copy an object to itself "
            "without changing the object's metadata.",
        )
    acl = acls.requested(call)
    # A copy's lock is the request's (or the bucket's default), never the source's, as in S3.
    retention, legal_hold = object_lock.requested_lock(call)

    def copy() -> tuple[BucketObject, BucketObject]:
        check_expected_owner(call, source_bucket, EXPECTED_SOURCE_OWNER_HEADER)
        source, download = call.hub.buckets.download(
            actions.for_object(call.principal, source_action(source_version), source_key),
            source_id,
            source_key,
            version_id=source_version,
            customer_key=source_key_given,
        )
        copy_preconditions(call, source)
        content_type: str | None = source.content_type
        metadata, headers = source.metadata, source.content_headers
        if directive == "REPLACE":
            content_type, metadata = call.header("content-type"), user_metadata(call)
            headers = content_headers(call)
        reader = call.hub.buckets.reader(download)

        def pieces() -> Iterator[bytes]:
            position = 0
            while position < download.size:
                piece = reader.read_range(position, min(CHUNK, download.size - position))
                if not piece:
                    break
                position += len(piece)
                yield piece

        try:
            return source, call.hub.buckets.put(
                call.principal,
                repo_id,
                key,
                pieces(),
                size=download.size,
                # Checked against the source's digest when it is known (not for a joined one).
                sha256=source.content_sha256,
                content_type=content_type,
                metadata=metadata,
                content_headers=headers,
                # The same bytes: the source's verified checksums still hold.
                checksums=lambda: source.checksums,
                conditions=put_conditions(call, repo_id, key),
                tags=source.tags.items() if new_tags is None else new_tags,
                # A copy's ACL is the request's, never the source's, as in S3.
                acl=acl,
                # And its encryption the request's (or the bucket's default), as in S3.
                encryption=asked,
                retention=retention,
                legal_hold=legal_hold,
            )
        finally:
            reader.close()

    source, obj = await in_thread(copy, call.limiter)
    root = wire.element("CopyObjectResult")
    wire.add(root, "LastModified", wire.iso8601(obj.modified_at))
    wire.add(root, "ETag", wire.quoted_etag(wire.object_etag(obj)))
    headers = wire.version_headers(obj.version_id)
    headers.update(encryption.response_headers(obj.encryption))
    if source.version_id != wire.NULL_VERSION or source_version is not None:
        headers["x-amz-copy-source-version-id"] = source.version_id
    return Response(wire.document(root), media_type=wire.XML, headers=headers)


def copy_preconditions(call: S3Call, source: BucketObject) -> None:
    """The ``x-amz-copy-source-if-*`` conditions on the source, as S3 documents them: a date
    condition gives way to the entity-tag one beside it (``if-match`` true copies whatever
    ``if-unmodified-since`` says; ``if-none-match`` true copies whatever
    ``if-modified-since`` says), as in HTTP."""
    failed = S3Error(
        412, "PreconditionFailed", "At least one of the pre-conditions you specified did not hold"
    )
    match = call.header("x-amz-copy-source-if-match")
    none_match = call.header("x-amz-copy-source-if-none-match")
    modified = source.modified_at.replace(microsecond=0)
    if match is not None and not etag_matches(match, source):
        raise failed
    if none_match is not None and etag_matches(none_match, source):
        raise failed
    until = _http_date(call.header("x-amz-copy-source-if-unmodified-since"))
    if match is None and until is not None and modified > until:
        raise failed
    since = _http_date(call.header("x-amz-copy-source-if-modified-since"))
    if none_match is None and since is not None and modified <= since:
        raise failed


def _http_date(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


def _expiration(call: S3Call, repo_id: RepoId, obj: BucketObject) -> dict[str, str]:
    """The ``x-amz-expiration`` header of the bucket's current object ``obj``, if a rule
    expires it; in a worker thread."""
    expiry = call.hub.bucket_configurations.expiration(repo_id, obj)
    return lifecycle.expiration_header(expiry)


def version_param(call: S3Call) -> str | None:
    """The ``versionId`` a request names (``None``: the latest version); the core checks it."""
    return call.param("versionId") if call.has("versionId") else None


async def _get(call: S3Call) -> Response:
    repo_id, key = _target(call)
    version = version_param(call)
    given = encryption.customer_key(call)

    head_only = call.request.method == "HEAD"

    # The object's row and, for a small object, its bytes, in one trip to a worker thread: the
    # response then needs no second trip to read them.
    def fetch() -> tuple[BucketObject, Download, dict[str, str], bytes | None]:
        found = call.hub.buckets.fetch(
            call.principal, repo_id, key, version_id=version, customer_key=given
        )
        obj, download = found.object, found.download
        expiry = {}
        if version is None:
            rules = call.hub.bucket_configurations.expiration_in(found.bucket, obj)
            expiry = lifecycle.expiration_header(rules)
        body = None if head_only else preload(call.hub.buckets.reader, download)
        return obj, download, expiry, body

    obj, download, expiry, body = await in_thread(fetch)
    etag = wire.quoted_etag(wire.object_etag(obj))
    headers = {
        "ETag": etag,
        "Last-Modified": http_date(obj.modified_at),
        "Accept-Ranges": "bytes",
        "X-Content-Type-Options": "nosniff",
        **wire.version_headers(obj.version_id, asked=version is not None),
    }
    headers.update(expiry)
    for name, value in obj.metadata.items():
        headers[wire.META_PREFIX + name] = shared_wire.header_value(value)
    headers.update(tagging.count_headers(obj))
    headers.update(encryption.response_headers(obj.encryption))
    headers.update(await object_lock.lock_headers(call, obj))
    modified = obj.modified_at.replace(microsecond=0)
    if_match = call.header("if-match")
    if_none_match = call.header("if-none-match")
    if if_match is not None and not etag_matches(if_match, obj):
        raise S3Error(
            412,
            "PreconditionFailed",
            "At least one of the pre-conditions you specified did not hold",
            Condition="If-Match",
        )
    until = _http_date(call.header("if-unmodified-since"))
    if if_match is None and until is not None and modified > until:
        raise S3Error(
            412,
            "PreconditionFailed",
            "At least one of the pre-conditions you specified did not hold",
            Condition="If-Unmodified-Since",
        )
    if if_none_match is not None and etag_matches(if_none_match, obj):
        return Response(status_code=304, headers=headers)
    since = _http_date(call.header("if-modified-since"))
    if if_none_match is None and since is not None and modified <= since:
        return Response(status_code=304, headers=headers)
    stored, content_type = served(call, obj)
    headers.update(stored)
    status, start, end = 200, 0, obj.size
    byte_range = parse_range(call.header("range"), obj.size)
    part = call.param("partNumber")
    if part is not None:
        if byte_range is not None:
            raise S3Error(400, "InvalidRequest", "Cannot specify both Range header and partNumber")
        start, end = part_range(obj, part)
        byte_range = (start, end) if (start, end) != (0, obj.size) or obj.part_sizes else None
        headers["x-amz-mp-parts-count"] = str(max(len(obj.part_sizes), 1))
    if byte_range is not None:
        start, end = byte_range
        status = 206
        headers["Content-Range"] = f"bytes {start}-{end - 1}/{obj.size}"
    whole = byte_range is None and not call.has("partNumber")
    headers.update(checksum_headers(call, obj, whole=whole))
    headers["Content-Length"] = str(end - start)
    response = BlobStreamResponse(
        call.hub.buckets.reader,
        download,
        start,
        end,
        status=status,
        headers=headers,
        media_type=content_type,
        head_only=head_only,
        preloaded=body,
    )
    # As stored: the response class would add a charset to text types.
    response.headers["content-type"] = content_type
    return response


async def _delete(call: S3Call) -> Response:
    repo_id, key = _target(call)
    version = version_param(call)
    if version is not None:
        return await _delete_version(call, repo_id, key, version)
    if_match = call.header("if-match")
    if_time = call.header("x-amz-if-match-last-modified-time")
    if_size = call.header("x-amz-if-match-size")

    def delete() -> Deletion | None:
        with anonymous_write(call.principal):
            return deleted()

    def deleted() -> Deletion | None:
        if if_match is None and if_time is None and if_size is None:
            # S3 answers 204 for a key that is not there.
            with contextlib.suppress(EntryNotFoundError):
                return call.hub.buckets.delete(call.principal, repo_id, key)
            return None
        # A conditional delete of a missing key is NoSuchKey, as S3 answers it. The version
        # the conditions were checked on is the only one the catalog will remove.
        current = call.hub.buckets.head(call.principal, repo_id, key)
        _check_delete_conditions(current, if_match, if_time, if_size)
        return call.hub.buckets.delete(call.principal, repo_id, key, if_sha256=current.sha256)

    deletion = await in_thread(delete)
    headers: dict[str, str] = {}
    if deletion is not None and deletion.marker is not None:
        headers[wire.DELETE_MARKER_HEADER] = "true"
        headers[wire.VERSION_HEADER] = deletion.marker
    return Response(status_code=204, headers=headers)


async def _delete_version(call: S3Call, repo_id: RepoId, key: str, version: str) -> Response:
    """DELETE ``?versionId=``: that version goes for good; one already gone is a 204 too."""

    asked_bypass = object_lock.bypass(call)

    def delete() -> ObjectVersion | None:
        with anonymous_write(call.principal):
            return call.hub.buckets.delete_version(
                call.principal, repo_id, key, version, bypass_governance=asked_bypass
            )

    removed = await in_thread(delete)
    headers = {wire.VERSION_HEADER: version}
    if removed is not None and removed.delete_marker:
        headers[wire.DELETE_MARKER_HEADER] = "true"
    return Response(status_code=204, headers=headers)


def _check_delete_conditions(
    obj: BucketObject, if_match: str | None, if_time: str | None, if_size: str | None
) -> None:
    """``PreconditionFailed`` (412) unless ``obj`` has the ETag, last-modified time (to the
    second, as S3 writes it) and size a conditional DeleteObject names."""
    held = True
    if if_match is not None:
        held = etag_matches(if_match, obj)
    if if_time is not None:
        when = _http_date(if_time)
        if when is None:
            raise S3Error(400, "InvalidArgument", "x-amz-if-match-last-modified-time is a date")
        held = held and int(obj.modified_at.timestamp()) == int(when.timestamp())
    if if_size is not None:
        value = if_size.strip()
        if not value.isascii() or not value.isdigit():
            raise S3Error(400, "InvalidArgument", "x-amz-if-match-size is a number of bytes")
        held = held and obj.size == int(value)
    if not held:
        raise S3Error(
            412,
            "PreconditionFailed",
            "At least one of the pre-conditions you specified did not hold",
            Condition="If-Match",
        )


def part_range(obj: BucketObject, number: str) -> tuple[int, int]:
    """The bytes ``[start, end)`` of part ``number`` of ``obj``; an object not assembled from
    parts is its own part 1."""
    if not number.isdigit() or not 1 <= int(number) <= 10_000:
        raise S3Error(400, "InvalidArgument", "Part number must be an integer between 1 and 10000")
    sizes = obj.part_sizes or (obj.size,)
    index = int(number) - 1
    if index >= len(sizes):
        raise S3Error(416, "InvalidPartNumber", "The requested partnumber is not satisfiable")
    start = sum(sizes[:index])
    return start, start + sizes[index]
