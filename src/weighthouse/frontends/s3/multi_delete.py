"""DeleteObjects (``POST /<bucket>?delete``): up to 1000 keys in one request, each deleted
through the core's permission check and object lock (``x-amz-bypass-governance-retention``
counts for every key, as on DeleteObject); a key that is not there counts as deleted, as in
S3, and a locked version is that key's ``AccessDenied``.
A ``Content-MD5`` or ``x-amz-checksum-*`` header, when sent, must match the body; neither
is required (boto3 >= 1.36 sends a CRC32 instead of the MD5)."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

from starlette.responses import Response

from weighthouse.domain.errors import DomainError, EntryNotFoundError, PermissionDeniedError
from weighthouse.domain.model import RepoId
from weighthouse.frontends.s3 import actions, object_lock, wire, xml_input
from weighthouse.frontends.s3.bucket_names import bucket_id
from weighthouse.frontends.s3.checksums import check_digests
from weighthouse.frontends.s3.context import S3Call, in_thread
from weighthouse.frontends.s3.errors import S3Error, translate

MAX_OBJECTS = 1000


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
    bypass = object_lock.bypass(call)
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
        return [_delete_one(call, repo_id, key, version, bypass) for key, version in keys]

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


def _delete_one(
    call: S3Call, repo_id: RepoId, key: str, version: str | None, bypass: bool
) -> _Outcome:
    """Each key through the same core call a DeleteObject makes, so through the same
    permission check and object lock; a key or version that is not there counts as deleted,
    as in S3."""
    asking = actions.for_object(call.principal, _action(version), key)
    try:
        if version is not None:
            removed = call.hub.buckets.delete_version(
                asking, repo_id, key, version, bypass_governance=bypass
            )
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
