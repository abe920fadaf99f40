"""S3 features Weighthouse does not have, answered as S3 answers for a bucket that has none of
them configured, or refused when a request asks for one.

* Bucket configurations (website, replication,
  public access block, ownership controls): a GET answers what S3 answers for a
  bucket with none configured (``NoSuchCORSConfiguration`` 404 and the like, or the empty
  document for logging, notifications, acceleration and request payment), and a DELETE has
  nothing to remove (204); both ask the permission service first, GET for reading the bucket
  and DELETE for writing it. Setting one (PUT) is ``NotImplemented`` (501).
"""

from __future__ import annotations

from starlette.responses import Response

from weighthouse.frontends.s3 import wire
from weighthouse.frontends.s3.bucket_names import bucket_id
from weighthouse.frontends.s3.context import S3Call, in_thread
from weighthouse.frontends.s3.errors import S3Error

# Sub-resource: (code of "none configured" as a 404, or None for an empty document, its root).
_NOT_CONFIGURED: dict[str, tuple[str | None, str]] = {
    "website": ("NoSuchWebsiteConfiguration", "The specified bucket does not have a website"),
    "replication": (
        "ReplicationConfigurationNotFoundError",
        "The replication configuration was not found",
    ),
    "publicAccessBlock": (
        "NoSuchPublicAccessBlockConfiguration",
        "The public access block configuration was not found",
    ),
    "ownershipControls": (
        "OwnershipControlsNotFoundError",
        "The bucket ownership controls were not found",
    ),
    "logging": (None, "BucketLoggingStatus"),
    "notification": (None, "NotificationConfiguration"),
    "accelerate": (None, "AccelerateConfiguration"),
    "requestPayment": (None, "RequestPaymentConfiguration"),
}
BUCKET_CONFIGURATIONS = tuple(_NOT_CONFIGURED)


async def bucket_configuration(call: S3Call, name: str) -> Response:
    """GET, DELETE or PUT ``?<name>`` on a bucket, ``name`` one of
    :data:`BUCKET_CONFIGURATIONS`."""
    assert call.bucket is not None
    repo_id = bucket_id(call.bucket)
    method = call.request.method
    if method == "PUT":
        raise S3Error(501, "NotImplemented", f"?{name} is not implemented")
    if method == "DELETE":
        if call.principal.user is None:
            raise S3Error(403, "AccessDenied", "Anonymous users cannot write")
        await in_thread(lambda: call.hub.buckets.check_writable(call.principal, repo_id))
        return Response(status_code=204)
    if method != "GET":
        raise S3Error(405, "MethodNotAllowed", f"{method} is not allowed on ?{name}")
    await in_thread(lambda: call.hub.repos.get(call.principal, repo_id))
    code, text = _NOT_CONFIGURED[name]
    if code is not None:
        raise S3Error(404, code, text, BucketName=call.bucket)
    root = wire.element(text)
    if name == "requestPayment":
        wire.add(root, "Payer", "BucketOwner")
    return Response(wire.document(root), media_type=wire.XML)
