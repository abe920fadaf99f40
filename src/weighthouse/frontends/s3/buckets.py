"""Bucket operations (``/<bucket>``): Create, Delete, Head, GetBucketLocation,
GetBucketVersioning, the listings and DeleteObjects; ``?cors``, ``?tagging``, ``?policy`` and
``?policyStatus`` go to their own modules."""

from __future__ import annotations

from starlette.responses import Response

from weighthouse.domain.errors import NotFoundError, RepoExistsError
from weighthouse.frontends.s3 import (
    acls,
    cors,
    listing,
    multi_delete,
    multipart,
    policy,
    post_uploads,
    tagging,
    unsupported,
    wire,
    xml_input,
)
from weighthouse.frontends.s3.bucket_names import bucket_id
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
    for name in unsupported.BUCKET_CONFIGURATIONS:
        if call.has(name):
            return await unsupported.bucket_configuration(call, name)
    repo_id = bucket_id(call.bucket, creating=method == "PUT")
    _not_implemented(call)
    if method == "PUT":
        if call.has("versioning"):
            raise S3Error(501, "NotImplemented", "bucket versioning is not implemented")
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
        await in_thread(lambda: call.hub.repos.get(call.principal, repo_id))
        root = wire.element("VersioningConfiguration")
        return Response(wire.document(root), media_type=wire.XML)
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

    await in_thread(create)
    return Response(headers={"Location": f"/{call.bucket}"})


async def _delete(call: S3Call) -> Response:
    assert call.bucket is not None
    repo_id = bucket_id(call.bucket)

    def delete() -> None:
        if call.hub.buckets.list(call.principal, repo_id, limit=1).objects:
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
