"""DeleteObjects (``POST /<bucket>?delete``): up to 1000 keys in one request, each deleted
through the core's permission check; a key that is not there counts as deleted, as in S3.
A ``Content-MD5`` or ``x-amz-checksum-*`` header, when sent, must match the body; neither
is required (boto3 >= 1.36 sends a CRC32 instead of the MD5)."""

from __future__ import annotations

import base64
import contextlib
import hashlib
from dataclasses import dataclass

from starlette.responses import Response

from weighthouse.domain.errors import DomainError, EntryNotFoundError, PermissionDeniedError
from weighthouse.domain.model import RepoId
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

    def delete_all() -> list[_Outcome]:
        # NoSuchBucket for the whole request; a refusal is the first key's, answered below.
        with contextlib.suppress(PermissionDeniedError):
            first = actions.for_object(call.principal, _action(keys[0][1]), keys[0][0])
            call.hub.repos.get(first, repo_id)
        return [_delete_one(call, repo_id, key, version) for key, version in keys]

    results = await in_thread(delete_all)
    out = wire.element("DeleteResult")
    for outcome in results:
        if outcome.error is None:
            if quiet:
                continue
            done = wire.add(out, "Deleted")
            wire.add(done, "Key", outcome.key)
            if outcome.version is not None:
                wire.add(done, "VersionId", outcome.version)
            if outcome.marker is not None:
                wire.add(done, "DeleteMarker", True)
                wire.add(done, "DeleteMarkerVersionId", outcome.marker)
            continue
        failed = wire.add(out, "Error")
        wire.add(failed, "Key", outcome.key)
        if outcome.version is not None:
            wire.add(failed, "VersionId", outcome.version)
        wire.add(failed, "Code", outcome.error.code)
        wire.add(failed, "Message", outcome.error.message)
    return Response(wire.document(out), media_type=wire.XML)


@dataclass(frozen=True)
class _Outcome:
    """One key's answer: ``marker`` is the version id of a delete marker the deletion added
    (no ``VersionId`` asked) or removed (the ``VersionId`` named one)."""

    key: str
    version: str | None
    marker: str | None = None
    error: S3Error | None = None


def _delete_one(call: S3Call, repo_id: RepoId, key: str, version: str | None) -> _Outcome:
    """Each key through the same core call a DeleteObject makes, so through the same
    permission check; a key or version that is not there counts as deleted, as in S3."""
    asking = actions.for_object(call.principal, _action(version), key)
    try:
        if version is not None:
            removed = call.hub.buckets.delete_version(asking, repo_id, key, version)
            marker = version if removed is not None and removed.delete_marker else None
            return _Outcome(key, version, marker)
        deletion = call.hub.buckets.delete(asking, repo_id, key)
        return _Outcome(key, None, deletion.marker)
    except EntryNotFoundError:
        return _Outcome(key, version)
    except DomainError as exc:
        return _Outcome(key, version, error=translate(exc))


def _action(version: str | None) -> str:
    """The policy action of deleting one key: a version by id is ``DeleteObjectVersion``."""
    return "DeleteObject" if version is None else "DeleteObjectVersion"
