"""DeleteObjects (``POST /<bucket>?delete``): up to 1000 keys in one request, each deleted
through the core's permission check; a key that is not there counts as deleted, as in S3.
A ``Content-MD5`` or ``x-amz-checksum-*`` header, when sent, must match the body; neither
is required (boto3 >= 1.36 sends a CRC32 instead of the MD5)."""

from __future__ import annotations

import base64
import contextlib
import hashlib

from starlette.responses import Response

from weighthouse.domain.errors import DomainError, EntryNotFoundError, PermissionDeniedError
from weighthouse.frontends.s3 import actions, wire, xml_input
from weighthouse.frontends.s3.bucket_names import bucket_id
from weighthouse.frontends.s3.checksums import ALGORITHMS, HEADER_PREFIX, ChecksumCheck
from weighthouse.frontends.s3.context import S3Call, in_thread
from weighthouse.frontends.s3.errors import S3Error, translate

MAX_OBJECTS = 1000


def check_digests(call: S3Call, body: bytes) -> None:
    """Raise ``BadDigest``/``InvalidDigest`` when a declared digest does not match ``body``."""
    md5 = call.header("content-md5")
    if md5 is not None:
        try:
            declared = base64.b64decode(md5.strip(), validate=True)
        except ValueError:
            declared = b""
        if len(declared) != 16:
            raise S3Error(400, "InvalidDigest", "The Content-MD5 you specified was invalid.")
        if declared != hashlib.md5(body, usedforsecurity=False).digest():
            raise S3Error(400, "BadDigest", "The Content-MD5 you specified did not match.")
    for algorithm in ALGORITHMS:
        value = call.header(HEADER_PREFIX + algorithm)
        if value is not None:
            for _ in ChecksumCheck(algorithm, value).wrap([body]):
                pass


async def handle(call: S3Call) -> Response:
    assert call.bucket is not None
    repo_id = bucket_id(call.bucket)
    body = await xml_input.read_small(call.request.stream())
    check_digests(call, body)
    root = xml_input.parse(body)
    if xml_input.local(root.tag) != "Delete":
        raise S3Error(400, "MalformedXML", "the document must be <Delete>")
    quiet = (xml_input.text(root, "Quiet") or "").strip().lower() == "true"
    entries = xml_input.children(root, "Object")
    if not entries or len(entries) > MAX_OBJECTS:
        raise S3Error(400, "MalformedXML", f"name 1 to {MAX_OBJECTS} objects to delete")
    keys: list[tuple[str, str | None]] = []
    for entry in entries:
        key = xml_input.text(entry, "Key")
        if not key:
            raise S3Error(400, "MalformedXML", "every <Object> needs a <Key>")
        keys.append((key, xml_input.text(entry, "VersionId")))

    def delete_all() -> list[tuple[str, str | None, S3Error | None]]:
        # NoSuchBucket for the whole request; a refusal is the first key's, answered below.
        with contextlib.suppress(PermissionDeniedError):
            first = actions.for_object(call.principal, "DeleteObject", keys[0][0])
            call.hub.repos.get(first, repo_id)
        results: list[tuple[str, str | None, S3Error | None]] = []
        for key, version in keys:
            if version not in (None, "null"):
                results.append((key, version, S3Error(404, "NoSuchVersion", "no such version")))
                continue
            try:
                asking = actions.for_object(call.principal, "DeleteObject", key)
                call.hub.buckets.delete(asking, repo_id, key)
            except EntryNotFoundError:
                pass
            except DomainError as exc:
                results.append((key, version, translate(exc)))
                continue
            results.append((key, version, None))
        return results

    results = await in_thread(delete_all)
    out = wire.element("DeleteResult")
    for key, version, error in results:
        if error is None:
            if quiet:
                continue
            done = wire.add(out, "Deleted")
            wire.add(done, "Key", key)
            if version is not None:
                wire.add(done, "VersionId", version)
            continue
        failed = wire.add(out, "Error")
        wire.add(failed, "Key", key)
        if version is not None:
            wire.add(failed, "VersionId", version)
        wire.add(failed, "Code", error.code)
        wire.add(failed, "Message", error.message)
    return Response(wire.document(out), media_type=wire.XML)
