"""Bucket policies on the S3 port: Put/Get/DeleteBucketPolicy (``?policy``) and
GetBucketPolicyStatus (``?policyStatus``), for the bucket's owner and admins. The policy
language and its checks are the core's (:mod:`weighthouse.domain.bucket_policy`); a policy
is returned as it was set."""

from __future__ import annotations

from starlette.responses import Response

from weighthouse.domain.bucket_policy import MAX_BYTES, POLICY
from weighthouse.frontends.s3 import wire
from weighthouse.frontends.s3.bucket_names import bucket_id
from weighthouse.frontends.s3.checksums import check_digests
from weighthouse.frontends.s3.context import S3Call, in_thread
from weighthouse.frontends.s3.errors import S3Error


async def bucket_policy(call: S3Call) -> Response:
    """GET, PUT or DELETE ``?policy`` on a bucket."""
    assert call.bucket is not None
    repo_id = bucket_id(call.bucket)
    configurations = call.hub.bucket_configurations
    method = call.request.method
    if method == "GET":
        text = await in_thread(lambda: configurations.policy(call.principal, repo_id))
        if text is None:
            raise S3Error(
                404,
                "NoSuchBucketPolicy",
                "The bucket policy does not exist",
                BucketName=call.bucket,
            )
        return Response(text.encode("utf-8"), media_type="application/json")
    if method not in ("PUT", "DELETE"):
        raise S3Error(405, "MethodNotAllowed", f"{method} is not allowed on ?policy")
    if call.principal.user is None:
        raise S3Error(403, "AccessDenied", "Anonymous users cannot write")
    if method == "DELETE":
        await in_thread(lambda: configurations.remove(call.principal, repo_id, POLICY))
        return Response(status_code=204)
    # The caller's right to set it is asked before the document is read, as S3 does.
    await in_thread(lambda: configurations.check_settable(call.principal, repo_id))
    body = await _read_policy(call)
    check_digests(call, body)
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise S3Error(400, "MalformedPolicy", "Policies are UTF-8 JSON") from None
    await in_thread(lambda: configurations.set_policy(call.principal, repo_id, text))
    return Response(status_code=204)


async def policy_status(call: S3Call) -> Response:
    """GET ``?policyStatus`` on a bucket."""
    assert call.bucket is not None
    repo_id = bucket_id(call.bucket)
    if call.request.method != "GET":
        raise S3Error(
            405, "MethodNotAllowed", f"{call.request.method} is not allowed on ?policyStatus"
        )
    public = await in_thread(
        lambda: call.hub.bucket_configurations.policy_is_public(call.principal, repo_id)
    )
    root = wire.element("PolicyStatus")
    wire.add(root, "IsPublic", "true" if public else "false")
    return Response(wire.document(root), media_type=wire.XML)


async def _read_policy(call: S3Call) -> bytes:
    """The body, refused as soon as it passes the policy size limit."""
    parts: list[bytes] = []
    size = 0
    async for chunk in call.request.stream():
        size += len(chunk)
        if size > MAX_BYTES:
            raise S3Error(400, "MalformedPolicy", f"Policies must be at most {MAX_BYTES} bytes")
        parts.append(chunk)
    return b"".join(parts)
