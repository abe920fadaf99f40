"""Bucket operations (``/<bucket>``): Create, Delete, Head, GetBucketLocation,
GetBucketVersioning, the listings and DeleteObjects; ``?cors``, ``?tagging``, ``?policy``,
``?policyStatus``, ``?object-lock`` and ``?lifecycle`` go to their own modules."""

from __future__ import annotations

from starlette.responses import Response

from weighthouse.domain.errors import NotFoundError, RepoExistsError
from weighthouse.domain.object_versions import Versioning
from weighthouse.frontends.s3 import (
    acls,
    cors,
    encryption,
    lifecycle,
    listing,
    multi_delete,
    multipart,
    object_lock,
    policy,
    post_uploads,
    tagging,
    unsupported,
    wire,
    xml_input,
)
from weighthouse.frontends.s3.bucket_names import bucket_id
from weighthouse.frontends.s3.checksums import check_digests
from weighthouse.frontends.s3.context import S3Call, in_thread
from weighthouse.frontends.s3.errors import S3Error

_UNSUPPORTED = ("analytics", "inventory", "metrics", "intelligent-tiering")


def _not_implemented(call: S3Call) -> None:
    for name in _UNSUPPORTED:
        if call.has(name):
            raise S3Error(501, "NotImplemented", f"?{name} is not implemented")


async def handle(call: S3Call) -> Response:
    assert call.bucket is not None
    method = call.request.method
    if call.has("acl"):
        return await acls.handle(call)
    if call.has("cors"):
        return await cors.bucket_cors(call)
    if call.has("tagging"):
        return await tagging.bucket_tagging(call)
    if call.has("policy"):
        return await policy.bucket_policy(call)
    if call.has("policyStatus"):
        return await policy.policy_status(call)
    if call.has("encryption"):
        return await encryption.bucket_encryption(call)
    if call.has("object-lock"):
        return await object_lock.bucket_lock(call)
    if call.has("lifecycle"):
        return await lifecycle.bucket_lifecycle(call)
    for name in unsupported.BUCKET_CONFIGURATIONS:
        if call.has(name):
            return await unsupported.bucket_configuration(call, name)
    repo_id = bucket_id(call.bucket, creating=method == "PUT")
    _not_implemented(call)
    if method == "PUT":
        if call.has("versioning"):
            return await _set_versioning(call)
        return await _create(call)
    if method == "DELETE":
        return await _delete(call)
    if method == "HEAD":
        await in_thread(lambda: call.hub.repos.get(call.principal, repo_id))
        return Response(headers={"x-amz-bucket-region": call.hub.settings.s3.region})
    if method == "POST" and call.has("delete"):
        return await multi_delete.handle(call)
    if method == "POST":
        return await post_uploads.handle(call)
    if method != "GET":
        raise S3Error(405, "MethodNotAllowed", f"{method} is not allowed on a bucket")
    if call.has("location"):
        return await _location(call)
    if call.has("versioning"):
        return await _versioning(call)
    if call.has("uploads"):
        return await multipart.list_uploads(call)
    if call.has("versions"):
        return await listing.list_versions(call)
    if call.param("list-type") == "2":
        return await listing.list_v2(call)
    return await listing.list_v1(call)


async def _create(call: S3Call) -> Response:
    assert call.bucket is not None
    repo_id = bucket_id(call.bucket, creating=True)
    body = await xml_input.read_small(call.request.stream())
    if body.strip():
        xml_input.parse(body)  # CreateBucketConfiguration: the location is the server's
    asked = acls.requested(call)
    locked = object_lock.bucket_enabled(call)
    private = asked is None or asked.canned not in ("public-read", "public-read-write")
    # Visibility alone states these; anything else is the bucket's ACL, set once it exists.
    plain = asked is None or asked.canned in acls.VISIBILITY_CANNED

    def create() -> None:
        if asked is not None:
            call.hub.access_lists.check_grantees(asked.grants)
        try:
            call.hub.repos.create(call.principal, repo_id, private=private)
        except RepoExistsError:
            try:
                call.hub.repos.get(call.principal, repo_id)
            except NotFoundError:
                raise S3Error(
                    409,
                    "BucketAlreadyExists",
                    "The requested bucket name is not available.",
                ) from None
            raise S3Error(
                409,
                "BucketAlreadyOwnedByYou",
                "Your previous request to create the named bucket succeeded and you own it.",
            ) from None

        if not plain:
            assert asked is not None
            call.hub.access_lists.set_bucket_acl(
                call.principal, repo_id, asked.grants, canned=asked.canned
            )
        if locked:
            call.hub.object_locks.configure(call.principal, repo_id, None, enable_versioning=True)

    await in_thread(create)
    return Response(headers={"Location": f"/{call.bucket}"})


async def _delete(call: S3Call) -> Response:
    assert call.bucket is not None
    repo_id = bucket_id(call.bucket)

    def delete() -> None:
        # Older versions and delete markers count, as in S3: their bytes are still kept.
        if call.hub.buckets.list_versions(call.principal, repo_id, limit=1).versions:
            raise S3Error(409, "BucketNotEmpty", "The bucket you tried to delete is not empty")
        call.hub.repos.delete(call.principal, repo_id)

    await in_thread(delete)
    return Response(status_code=204)


async def _location(call: S3Call) -> Response:
    assert call.bucket is not None
    repo_id = bucket_id(call.bucket)
    await in_thread(lambda: call.hub.repos.get(call.principal, repo_id))
    root = wire.element("LocationConstraint")
    region = call.hub.settings.s3.region
    if region != "us-east-1":  # AWS answers an empty constraint for us-east-1
        root.text = region
    return Response(wire.document(root), media_type=wire.XML)


async def _versioning(call: S3Call) -> Response:
    """GetBucketVersioning: no ``Status`` for a bucket whose versioning was never set."""
    assert call.bucket is not None
    repo_id = bucket_id(call.bucket)
    versioning = await in_thread(lambda: call.hub.buckets.versioning(call.principal, repo_id))
    root = wire.element("VersioningConfiguration")
    if versioning is not None:
        wire.add(root, "Status", versioning.value)
        wire.add(root, "MfaDelete", "Disabled")
    return Response(wire.document(root), media_type=wire.XML)


async def _set_versioning(call: S3Call) -> Response:
    """PutBucketVersioning: ``Enabled`` or ``Suspended`` (never back to unversioned). MFA
    Delete is refused: this server has no MFA devices to check a code against."""
    assert call.bucket is not None
    repo_id = bucket_id(call.bucket)
    if call.principal.user is None:
        raise S3Error(403, "AccessDenied", "Anonymous users cannot change a bucket")
    body = await xml_input.read_small(call.request.stream())
    check_digests(call, body)
    root = xml_input.parse(body)
    if xml_input.local(root.tag) != "VersioningConfiguration":
        raise S3Error(400, "MalformedXML", "the document must be <VersioningConfiguration>")
    mfa = (xml_input.text(root, "MfaDelete") or "").strip()
    if mfa not in ("", "Disabled") or call.header("x-amz-mfa") is not None:
        raise S3Error(501, "NotImplemented", "MFA Delete is not supported")
    status = (xml_input.text(root, "Status") or "").strip()
    if status not in (Versioning.ENABLED.value, Versioning.SUSPENDED.value):
        raise S3Error(
            400,
            "IllegalVersioningConfigurationException",
            "The versioning configuration specified in the request is invalid: "
            "its Status must be Enabled or Suspended.",
        )
    await in_thread(
        lambda: call.hub.buckets.set_versioning(call.principal, repo_id, Versioning(status))
    )
    return Response()
