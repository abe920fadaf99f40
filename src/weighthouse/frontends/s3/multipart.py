"""Multipart uploads (``?uploads``, ``?uploadId=``, ``?partNumber=``): Create, UploadPart,
UploadPartCopy, Complete, Abort, ListParts and ListMultipartUploads.

A part's checksum (``x-amz-checksum-<algorithm>`` header or trailer) is verified while it
streams, as for PutObject, and the value of the upload's algorithm is kept with the part: it
is returned by UploadPart and ListParts and must match when Complete names it. Complete
returns the object's checksum as S3 does: for a ``COMPOSITE`` upload the checksum of the
parts' raw checksums followed by ``-N``; for ``FULL_OBJECT`` (always for CRC64NVME) the CRC
of the whole object, combined from the parts' CRCs. An upload created with no algorithm gets
S3's default, a full-object CRC64NVME: each part's is computed while it streams (or is
copied) and kept, and Complete combines them; the parts' own answers do not show it.

Completion streams every part into one blob, which for gigabytes takes longer than clients
wait for a first byte (boto3: 60 s). As S3 does, one still working after
``s3.complete_keepalive_seconds`` is answered 200 at once, then a space every such interval,
then its result document, or an error document in that 200 body (botocore reads it as the
error, and retries it like a 500). Errors found before that delay get their own status.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator, Iterator, Sequence

from starlette.responses import Response, StreamingResponse

from weighthouse.domain.errors import DomainError
from weighthouse.domain.model import BucketObject, MultipartUpload, RepoId, UploadedPart
from weighthouse.domain.multipart import ChosenPart
from weighthouse.frontends.downloads import CHUNK
from weighthouse.frontends.http_dates import http_date
from weighthouse.frontends.s3 import (
    acls,
    actions,
    encryption,
    object_lock,
    tagging,
    wire,
    xml_input,
)
from weighthouse.frontends.s3.bucket_names import bucket_id
from weighthouse.frontends.s3.checksums import (
    ALGORITHMS,
    DEFAULT_ALGORITHM,
    HEADER_PREFIX,
    ChecksumCheck,
    crt,
    running,
)
from weighthouse.frontends.s3.context import S3Call, in_thread
from weighthouse.frontends.s3.errors import S3Error, translate
from weighthouse.frontends.s3.lifecycle import ABORT_DATE_HEADER, ABORT_RULE_HEADER
from weighthouse.frontends.s3.listing import url_encoder
from weighthouse.frontends.s3.object_headers import content_headers
from weighthouse.frontends.s3.objects import (
    copy_preconditions,
    copy_source,
    put_conditions,
    require_signed,
    source_action,
    user_metadata,
)
from weighthouse.frontends.s3.owners import EXPECTED_SOURCE_OWNER_HEADER, check_expected_owner
from weighthouse.frontends.s3.uploads import body_of

_XML_NAMES = {
    "crc32": "ChecksumCRC32",
    "crc32c": "ChecksumCRC32C",
    "crc64nvme": "ChecksumCRC64NVME",
    "sha1": "ChecksumSHA1",
    "sha256": "ChecksumSHA256",
}
# awscrt's functions that combine two parts' CRCs, and the CRC's width in bytes.
_COMBINE = {
    "crc32": ("combine_crc32", 4),
    "crc32c": ("combine_crc32c", 4),
    "crc64nvme": ("combine_crc64nvme", 8),
}
_MAX = 1000

log = logging.getLogger("weighthouse.s3")

_Completed = tuple[MultipartUpload, BucketObject, list[UploadedPart]]


def applies(call: S3Call) -> bool:
    """Whether an object request is a multipart operation (``GET ?partNumber=`` is not)."""
    method = call.request.method
    return (
        call.has("uploads")
        or call.has("uploadId")
        or (method not in ("GET", "HEAD") and call.has("partNumber"))
    )


async def handle(call: S3Call) -> Response:
    method = call.request.method
    require_signed(call.principal)
    if call.has("uploads"):
        if method != "POST":
            raise S3Error(405, "MethodNotAllowed", f"{method} is not allowed on ?uploads")
        return await _create(call)
    upload_id = call.param("uploadId")
    if not upload_id:
        raise S3Error(400, "InvalidRequest", "this operation needs an uploadId")
    if method == "PUT":
        if call.header("x-amz-copy-source") is not None:
            return await _copy_part(call, upload_id)
        return await _upload_part(call, upload_id)
    if method == "POST":
        return await _complete(call, upload_id)
    if method == "DELETE":
        await in_thread(lambda: call.hub.multipart.abort(call.principal, *_target(call), upload_id))
        return Response(status_code=204)
    if method == "GET":
        return await _list_parts(call, upload_id)
    raise S3Error(405, "MethodNotAllowed", f"{method} is not allowed on an upload")


def _target(call: S3Call) -> tuple[RepoId, str]:
    assert call.bucket is not None and call.key is not None
    return bucket_id(call.bucket), call.key


def _algorithm(call: S3Call) -> str:
    value = (call.header("x-amz-checksum-algorithm") or "").strip().lower()
    if value and value not in ALGORITHMS:
        raise S3Error(400, "InvalidRequest", f"unknown checksum algorithm {value[:40]!r}")
    return value


def _checksum_type(call: S3Call, algorithm: str) -> str:
    value = (call.header("x-amz-checksum-type") or "").strip().upper()
    if value not in ("", "COMPOSITE", "FULL_OBJECT"):
        raise S3Error(400, "InvalidRequest", "x-amz-checksum-type is COMPOSITE or FULL_OBJECT")
    if not algorithm:
        if value:
            raise S3Error(400, "InvalidRequest", "x-amz-checksum-type needs an algorithm")
        return ""
    if algorithm == "crc64nvme":
        if value == "COMPOSITE":
            raise S3Error(400, "InvalidRequest", "CRC64NVME checksums are full-object only")
        return "FULL_OBJECT"
    if value == "FULL_OBJECT" and algorithm not in _COMBINE:
        raise S3Error(400, "InvalidRequest", f"{algorithm.upper()} cannot be full-object")
    return value or "COMPOSITE"


def _checksum_headers(upload: MultipartUpload) -> dict[str, str]:
    if not upload.checksum_algorithm:
        return {}
    return {
        "x-amz-checksum-algorithm": upload.checksum_algorithm.upper(),
        "x-amz-checksum-type": upload.checksum_type,
    }


async def _create(call: S3Call) -> Response:
    bucket, key = _target(call)
    algorithm = _algorithm(call)
    kind = _checksum_type(call, algorithm)
    metadata = user_metadata(call)
    headers = content_headers(call)
    tags = tagging.header_tags(call)
    acl = acls.requested(call)
    asked = encryption.write_request(call)
    retention, legal_hold = object_lock.requested_lock(call)

    def create() -> MultipartUpload:
        return call.hub.multipart.create(
            call.principal,
            bucket,
            key,
            content_type=call.header("content-type"),
            metadata=metadata,
            checksum_algorithm=algorithm,
            checksum_type=kind,
            content_headers=headers,
            tags=tags,
            acl=acl,
            encryption=asked,
            retention=retention,
            legal_hold=legal_hold,
        )

    def created() -> tuple[MultipartUpload, dict[str, str]]:
        upload = create()
        return upload, _abort_headers(call, bucket, upload)

    upload, abort = await in_thread(created)
    root = wire.element("InitiateMultipartUploadResult")
    wire.add(root, "Bucket", call.bucket)
    wire.add(root, "Key", key)
    wire.add(root, "UploadId", upload.id)
    headers = _checksum_headers(upload)
    headers.update(encryption.response_headers(upload.encryption))
    headers.update(abort)
    return Response(wire.document(root), media_type=wire.XML, headers=headers)


def _abort_headers(call: S3Call, bucket: RepoId, upload: MultipartUpload) -> dict[str, str]:
    """``x-amz-abort-date`` and ``x-amz-abort-rule-id`` when a lifecycle rule of the bucket
    will abort ``upload`` if it is not completed; in a worker thread."""
    due = call.hub.bucket_configurations.upload_abort(bucket, upload)
    if due is None:
        return {}
    return {ABORT_DATE_HEADER: http_date(due[0]), ABORT_RULE_HEADER: due[1]}


def _part_number(call: S3Call) -> int:
    value = call.param("partNumber") or ""
    if not value.isdigit() or not 1 <= int(value) <= 10_000:
        raise S3Error(400, "InvalidArgument", "Part number must be an integer between 1 and 10000")
    return int(value)


async def _upload_part(call: S3Call, upload_id: str) -> Response:
    bucket, key = _target(call)
    number = _part_number(call)
    body = body_of(call, default="always")
    # A part is encrypted as its upload is: only SSE-C parts carry (the upload's) key.
    given = encryption.customer_key(call)
    integrity_checked = object_lock.carries_integrity(call)

    def store() -> tuple[MultipartUpload, UploadedPart]:
        upload = call.hub.multipart.upload(call.principal, bucket, key, upload_id)
        algorithm, _ = _kept_checksum(upload)
        # The part's default checksum serves only an upload that keeps that algorithm.
        body.keep_computed_only(algorithm)

        def checksum() -> str:
            return body.computed_value(algorithm) or ""

        part = call.hub.multipart.upload_part(
            call.principal,
            bucket,
            key,
            upload_id,
            number,
            body.chunks(),
            size=body.size,
            sha256=body.sha256,
            md5=body.md5,
            checksum=checksum,
            customer_key=given,
            integrity_checked=integrity_checked,
        )
        return upload, part

    upload, part = await in_thread(store, call.limiter)
    headers = {"ETag": wire.quoted_etag(part.md5), **body.checksum_headers(computed=False)}
    headers.update(encryption.response_headers(upload.encryption))
    return Response(headers=headers)


async def _copy_part(call: S3Call, upload_id: str) -> Response:
    bucket, key = _target(call)
    number = _part_number(call)
    source_bucket, source_id, source_key, source_version = copy_source(call)
    wanted = call.header("x-amz-copy-source-range")
    given = encryption.customer_key(call)
    source_key_given = encryption.customer_key(call, copy_source=True)

    def copy() -> tuple[MultipartUpload, UploadedPart]:
        upload = call.hub.multipart.upload(call.principal, bucket, key, upload_id)
        check_expected_owner(call, source_bucket, EXPECTED_SOURCE_OWNER_HEADER)
        source, download = call.hub.buckets.download(
            actions.for_object(call.principal, source_action(source_version), source_key),
            source_id,
            source_key,
            version_id=source_version,
            customer_key=source_key_given,
        )
        copy_preconditions(call, source)
        start, end = _source_range(wanted, download.size)
        reader = call.hub.buckets.reader(download)
        # The copied bytes get the part checksum an uploaded part would have.
        check = ChecksumCheck(_kept_checksum(upload)[0], computed=True)

        def pieces() -> Iterator[bytes]:
            yield from check.wrap(reader.iter_range(start, end - start, piece=CHUNK))

        try:
            part = call.hub.multipart.upload_part(
                call.principal,
                bucket,
                key,
                upload_id,
                number,
                pieces(),
                size=end - start,
                checksum=lambda: check.value or "",
                customer_key=given,
            )
        finally:
            reader.close()
        return upload, part

    upload, part = await in_thread(copy, call.limiter)
    root = wire.element("CopyPartResult")
    wire.add(root, "LastModified", wire.iso8601(part.modified_at))
    wire.add(root, "ETag", wire.quoted_etag(part.md5))
    if upload.checksum_algorithm and part.checksum:
        wire.add(root, _XML_NAMES[upload.checksum_algorithm], part.checksum)
    headers = {} if source_version is None else {"x-amz-copy-source-version-id": source_version}
    headers.update(encryption.response_headers(upload.encryption))
    return Response(wire.document(root), media_type=wire.XML, headers=headers)


def _source_range(header: str | None, size: int) -> tuple[int, int]:
    """``x-amz-copy-source-range: bytes=first-last``, which must lie within the source."""
    if header is None:
        return 0, size
    text = header.strip()
    first, dash, last = text.removeprefix("bytes=").partition("-")
    if not (text.startswith("bytes=") and dash and first.isdigit() and last.isdigit()):
        raise S3Error(
            400, "InvalidArgument", "The x-amz-copy-source-range value must be bytes=first-last"
        )
    start, stop = int(first), int(last) + 1
    if start >= stop or stop > size:
        raise S3Error(416, "InvalidRange", "The requested range is not satisfiable", size=str(size))
    return start, stop


async def _complete(call: S3Call, upload_id: str) -> Response:
    bucket, key = _target(call)
    document = xml_input.parse(await xml_input.read_small(call.request.stream()))
    if xml_input.local(document.tag) != "CompleteMultipartUpload":
        raise S3Error(400, "MalformedXML", "expected a CompleteMultipartUpload document")
    elements = xml_input.children(document, "Part")
    if not elements:
        raise S3Error(400, "MalformedXML", "The XML you provided was not well-formed")
    chosen = [_chosen(element) for element in elements]

    def complete() -> _Completed:
        upload = call.hub.multipart.upload(call.principal, bucket, key, upload_id)
        algorithm = upload.checksum_algorithm
        picks = [
            ChosenPart(c.number, c.md5, c.checksums.get(algorithm))
            if algorithm
            else ChosenPart(c.number, c.md5)
            for c in chosen
        ]
        conditions = put_conditions(call, bucket, key)
        obj, parts = call.hub.multipart.complete(
            call.principal,
            bucket,
            key,
            upload_id,
            picks,
            conditions=conditions,
            checksums=lambda parts: _stored_checksums(upload, parts),
        )
        return upload, obj, parts

    work = asyncio.ensure_future(in_thread(complete, call.limiter))
    # Should the client go away, the completion still ends (and stays done or undone) alone.
    work.add_done_callback(lambda done: done.cancelled() or done.exception())
    interval = call.hub.settings.s3.complete_keepalive_seconds
    finished, _ = await asyncio.wait({work}, timeout=interval)
    if finished:
        result, headers = _result(call, key, *work.result())
        return Response(result, media_type=wire.XML, headers=headers)
    return StreamingResponse(_kept_alive(call, key, work, interval), media_type=wire.XML)


def _result(
    call: S3Call, key: str, upload: MultipartUpload, obj: BucketObject, parts: list[UploadedPart]
) -> tuple[bytes, dict[str, str]]:
    """The CompleteMultipartUploadResult document, and the headers that repeat it."""
    root = wire.element("CompleteMultipartUploadResult")
    wire.add(root, "Location", f"{call.request.base_url}{call.bucket}/{key}")
    wire.add(root, "Bucket", call.bucket)
    wire.add(root, "Key", key)
    wire.add(root, "ETag", wire.quoted_etag(wire.object_etag(obj)))
    headers: dict[str, str] = wire.version_headers(obj.version_id)
    headers.update(encryption.response_headers(obj.encryption))
    checksum = _object_checksum(upload, parts)
    if checksum is not None:
        algorithm, kind, value = checksum
        wire.add(root, _XML_NAMES[algorithm], value)
        wire.add(root, "ChecksumType", kind)
        headers[HEADER_PREFIX + algorithm] = value
        headers["x-amz-checksum-type"] = kind
    return wire.document(root), headers


async def _kept_alive(
    call: S3Call, key: str, work: asyncio.Future[_Completed], interval: float
) -> AsyncIterator[bytes]:
    """The body of a completion answered before it ended: the XML declaration, a space each
    ``interval`` while ``work`` goes on, then its result or error, in one document."""
    yield wire.DECLARATION
    while not (await asyncio.wait({work}, timeout=interval))[0]:
        yield b" "
    try:
        document, _ = _result(call, key, *work.result())
    except S3Error as exc:
        document = _error_document(call, exc)
    except DomainError as exc:
        document = _error_document(call, translate(exc))
    except Exception:
        log.exception("completing upload of %s/%s crashed", call.bucket, key)
        document = _error_document(
            call, S3Error(500, "InternalError", "We encountered an internal error. Please retry.")
        )
    yield wire.without_declaration(document)


def _error_document(call: S3Call, exc: S3Error) -> bytes:
    fields = {k: v for k, v in exc.fields.items() if k not in ("size", "key")}
    fields.setdefault("BucketName", call.bucket or "")
    fields.setdefault("Key", call.key or "")
    return wire.error_document(exc.code, exc.message, call.resource, call.request_id, fields)


class _Listed:
    def __init__(self, number: int, md5: str | None, checksums: dict[str, str]) -> None:
        self.number = number
        self.md5 = md5
        self.checksums = checksums


def _chosen(element: ET.Element) -> _Listed:
    number = xml_input.text(element, "PartNumber")
    if number is None or not number.strip().isdigit():
        raise S3Error(400, "MalformedXML", "every Part needs a PartNumber")
    etag = xml_input.text(element, "ETag")
    md5 = etag.strip().strip('"').lower() if etag is not None else None
    checksums = {}
    for algorithm, name in _XML_NAMES.items():
        value = xml_input.text(element, name)
        if value is not None:
            checksums[algorithm] = value.strip()
    return _Listed(int(number.strip()), md5, checksums)


def _kept_checksum(upload: MultipartUpload) -> tuple[str, str]:
    """The algorithm and kind of checksum kept for ``upload``'s parts and object: the one it
    was created with, else S3's default."""
    if upload.checksum_algorithm:
        return upload.checksum_algorithm, upload.checksum_type
    return DEFAULT_ALGORITHM, "FULL_OBJECT"


def _object_checksum(
    upload: MultipartUpload, parts: Sequence[UploadedPart]
) -> tuple[str, str, str] | None:
    """The whole object's checksum as S3 reports it, ``(algorithm, kind, value)``, when
    every part carried one."""
    algorithm, kind = _kept_checksum(upload)
    if not parts or any(not part.checksum for part in parts):
        return None
    raw = [base64.b64decode(part.checksum) for part in parts]
    if kind == "FULL_OBJECT":
        name, width = _COMBINE[algorithm]
        combine = getattr(crt(), name)
        value = int.from_bytes(raw[0], "big")
        for part, digest in zip(parts[1:], raw[1:], strict=True):
            value = combine(value, int.from_bytes(digest, "big"), part.size)
        return algorithm, kind, base64.b64encode(value.to_bytes(width, "big")).decode("ascii")
    composite = running(algorithm)
    composite.update(b"".join(raw))
    value_n = base64.b64encode(composite.digest()).decode("ascii") + f"-{len(parts)}"
    return algorithm, kind, value_n


def _stored_checksums(upload: MultipartUpload, parts: Sequence[UploadedPart]) -> dict[str, str]:
    """The checksum to keep with the object, as Complete returns it: a later GET in checksum
    mode answers with it, as S3 does. A ``COMPOSITE`` value keeps its ``-N`` suffix, which is
    how a reader tells it is not a checksum of the bytes (botocore skips checking it)."""
    checksum = _object_checksum(upload, parts)
    return {checksum[0]: checksum[2]} if checksum is not None else {}


def _max(call: S3Call, name: str) -> int:
    value = call.param(name)
    if value is None:
        return _MAX
    if not value.strip().isdigit():
        raise S3Error(400, "InvalidArgument", f"{name} must be a non-negative integer")
    return max(1, min(int(value), _MAX))


async def _list_parts(call: S3Call, upload_id: str) -> Response:
    bucket, key = _target(call)
    limit = _max(call, "max-parts")
    marker = call.param("part-number-marker") or "0"
    if not marker.isdigit():
        raise S3Error(400, "InvalidArgument", "part-number-marker must be an integer")

    def listed() -> tuple[MultipartUpload, Sequence[UploadedPart], dict[str, str]]:
        upload, parts = call.hub.multipart.parts(
            call.principal,
            bucket,
            key,
            upload_id,
            after=int(marker),
            limit=limit + 1,
        )
        return upload, parts, _abort_headers(call, bucket, upload)

    upload, parts, abort = await in_thread(listed)
    truncated = len(parts) > limit
    parts = parts[:limit]
    root = wire.element("ListPartsResult")
    wire.add(root, "Bucket", call.bucket)
    wire.add(root, "Key", key)
    wire.add(root, "UploadId", upload_id)
    _owner(root, "Initiator", upload.initiator_id)
    _owner(root, "Owner", upload.initiator_id)
    wire.add(root, "StorageClass", "STANDARD")
    wire.add(root, "PartNumberMarker", int(marker))
    wire.add(root, "NextPartNumberMarker", parts[-1].number if parts else int(marker))
    wire.add(root, "MaxParts", limit)
    wire.add(root, "IsTruncated", truncated)
    if upload.checksum_algorithm:
        wire.add(root, "ChecksumAlgorithm", upload.checksum_algorithm.upper())
        wire.add(root, "ChecksumType", upload.checksum_type)
    for part in parts:
        entry = wire.add(root, "Part")
        wire.add(entry, "PartNumber", part.number)
        wire.add(entry, "LastModified", wire.iso8601(part.modified_at))
        wire.add(entry, "ETag", wire.quoted_etag(part.md5))
        wire.add(entry, "Size", part.size)
        if part.checksum and upload.checksum_algorithm:
            wire.add(entry, _XML_NAMES[upload.checksum_algorithm], part.checksum)
    return Response(wire.document(root), media_type=wire.XML, headers=abort)


def _owner(parent: ET.Element, tag: str, user_id: str) -> None:
    owner = wire.add(parent, tag)
    wire.add(owner, "ID", user_id)
    wire.add(owner, "DisplayName", user_id)


async def list_uploads(call: S3Call) -> Response:
    """ListMultipartUploads (``GET /<bucket>?uploads``): the caller's view of the bucket's
    open uploads, by key then upload id, with ``prefix``, ``delimiter`` (keys rolled up into
    ``CommonPrefixes``), ``key-marker``, ``upload-id-marker`` and ``encoding-type=url``
    (which encodes keys, prefixes, the delimiter and key markers, as S3 does)."""
    assert call.bucket is not None
    bucket = bucket_id(call.bucket)
    require_signed(call.principal)
    prefix = call.param("prefix") or ""
    delimiter = call.param("delimiter") or None
    key_marker = call.param("key-marker") or ""
    id_marker = call.param("upload-id-marker") or ""
    limit = _max(call, "max-uploads")
    url, encode = url_encoder(call)
    # Without an upload-id-marker, every upload of key-marker itself is skipped.
    after = (key_marker, id_marker or "\uffff") if key_marker else None
    page = await in_thread(
        lambda: call.hub.multipart.listing(
            call.principal, bucket, prefix=prefix, delimiter=delimiter, after=after, limit=limit
        )
    )
    root = wire.element("ListMultipartUploadsResult")
    wire.add(root, "Bucket", call.bucket)
    wire.add(root, "KeyMarker", encode(key_marker))
    wire.add(root, "UploadIdMarker", id_marker)
    wire.add(root, "NextKeyMarker", encode(page.last[0]) if page.last else "")
    wire.add(root, "NextUploadIdMarker", page.last[1] if page.last else "")
    if delimiter:
        wire.add(root, "Delimiter", encode(delimiter))
    wire.add(root, "Prefix", encode(prefix))
    wire.add(root, "MaxUploads", limit)
    wire.add(root, "IsTruncated", page.truncated)
    if url:
        wire.add(root, "EncodingType", "url")
    for upload in page.uploads:
        entry = wire.add(root, "Upload")
        wire.add(entry, "Key", encode(upload.key))
        wire.add(entry, "UploadId", upload.id)
        _owner(entry, "Initiator", upload.initiator_id)
        _owner(entry, "Owner", upload.initiator_id)
        wire.add(entry, "StorageClass", "STANDARD")
        wire.add(entry, "Initiated", wire.iso8601(upload.created_at))
        if upload.checksum_algorithm:
            wire.add(entry, "ChecksumAlgorithm", upload.checksum_algorithm.upper())
    for common in page.prefixes:
        wire.add(wire.add(root, "CommonPrefixes"), "Prefix", encode(common))
    return Response(wire.document(root), media_type=wire.XML)
