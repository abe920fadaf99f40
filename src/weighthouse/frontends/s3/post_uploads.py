"""S3's POST upload (``POST /<bucket>`` with an HTML form): what browsers send from a form
made by ``generate_presigned_post`` (boto3) or by hand, so a web page uploads straight to the
store without a key of its own.

The form's fields arrive first; with them in hand the request is authenticated (the policy's
SigV4 or SigV2 signature, checked by the domain; a form with no policy is anonymous and may
write only where anonymous writes are allowed, which is nowhere here), the form is held to the
policy's conditions (:mod:`.post_policy`), and the object is written with the same use case as
PutObject, through the same permission checks. The file part is then streamed into the blob
store as it arrives: never held whole, and refused on the way when it outgrows the policy's
``content-length-range`` or the server's upload limit. The answer is 204 by default, 200 or
201 (with S3's ``PostResponse`` document) when ``success_action_status`` asks, or a 303 to
``success_action_redirect``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from urllib.parse import quote, urlencode, urlsplit, urlunsplit
from xml.sax.saxutils import escape

import anyio.from_thread
from starlette.responses import Response

from weighthouse.domain.access import ANONYMOUS, Principal
from weighthouse.domain.acls import AclRequest
from weighthouse.domain.credentials import PostPolicySignature
from weighthouse.domain.errors import AuthenticationError, TooLargeError
from weighthouse.domain.model import BucketObject
from weighthouse.frontends.s3 import acls, actions, object_lock, tagging, wire
from weighthouse.frontends.s3.bucket_names import bucket_id
from weighthouse.frontends.s3.context import S3Call, anonymous_write, in_thread
from weighthouse.frontends.s3.credentials import ALGORITHM
from weighthouse.frontends.s3.encryption import form_request, response_headers
from weighthouse.frontends.s3.errors import S3Error
from weighthouse.frontends.s3.form_stream import FormStream, boundary_of
from weighthouse.frontends.s3.post_policy import Policy, read_policy

_TOO_LARGE = "Your proposed upload exceeds the maximum allowed size"
_TOO_SMALL = "Your proposed upload is smaller than the minimum allowed size"
_CONTENT_FIELDS = {
    "content-type": "content-type",
    "cache-control": "cache-control",
    "content-disposition": "content-disposition",
    "content-encoding": "content-encoding",
    "expires": "expires",
}


async def handle(call: S3Call) -> Response:
    assert call.bucket is not None
    repo_id = bucket_id(call.bucket)
    form = FormStream(boundary_of(call.header("content-type")))
    stream: AsyncIterator[bytes] = call.request.stream()
    limit = call.hub.settings.max_upload_bytes
    while not (form.file_started or form.ended):
        chunk = await _next(stream)
        if chunk is None:
            break
        form.feed(chunk)
    if not form.file_started:
        raise S3Error(400, "InvalidArgument", "POST requires exactly one file upload per request.")
    fields = {name.lower(): value for name, value in form.fields}
    encryption = form_request(fields.get)
    key = fields.get("key")
    if not key:
        raise S3Error(400, "InvalidArgument", "Bucket POST must contain a field named 'key'.")
    if "${filename}" in key:
        key = key.replace("${filename}", form.filename or "")
    signer, policy = await in_thread(lambda: _authenticate(call, fields))
    # The form's signer asks to put this key, with the facts of the request that carried it.
    principal = actions.for_object(
        replace(signer, request=call.principal.request), "PutObject", key
    )
    if policy is not None:
        policy.check({**fields, "bucket": call.bucket}, key=key)
    canned = acls.canned_name(fields.get("acl"))
    acl = AclRequest(canned=canned) if canned is not None else None
    low, high = policy.length_range if policy and policy.length_range else (0, limit)
    high = min(high, limit)

    def chunks() -> Iterator[bytes]:
        size = 0
        while True:
            data = form.take_file_data()
            if data:
                size += len(data)
                if size > high:
                    raise S3Error(400, "EntityTooLarge", _TOO_LARGE)
                yield data
            if form.file_ended or form.ended:
                break
            more = anyio.from_thread.run(_next, stream)
            if more is None:
                raise S3Error(400, "IncompleteBody", "the form ended inside its file")
            form.feed(more)
        if size < low:
            raise S3Error(400, "EntityTooSmall", _TOO_SMALL)

    content_type = fields.get("content-type") or form.file_content_type
    metadata = {
        name[len(wire.META_PREFIX) :]: value
        for name, value in fields.items()
        if name.startswith(wire.META_PREFIX)
    }
    content_headers = {
        stored: fields[name]
        for name, stored in _CONTENT_FIELDS.items()
        if name in fields and name != "content-type"
    }
    # As S3 takes it: a <Tagging> document in the form's "tagging" field.
    document = fields.get("tagging", "").strip()
    tags = tagging.document_tags(document.encode("utf-8")) if document else []
    retention, legal_hold = object_lock.lock_fields(fields.get)

    def store() -> BucketObject:
        with anonymous_write(principal):
            return stored()

    def stored() -> BucketObject:
        return call.hub.buckets.put(
            principal,
            repo_id,
            key,
            chunks(),
            content_type=content_type,
            metadata=metadata,
            content_headers=content_headers,
            tags=tags,
            acl=acl,
            encryption=encryption,
            retention=retention,
            legal_hold=legal_hold,
        )

    try:
        obj = await in_thread(store, call.limiter)
    except TooLargeError:
        raise S3Error(400, "EntityTooLarge", _TOO_LARGE) from None
    return _answer(call, fields, obj)


async def _next(stream: AsyncIterator[bytes]) -> bytes | None:
    """The next piece of the body, ``None`` at its end (called from the worker thread)."""
    try:
        return await stream.__anext__()
    except StopAsyncIteration:
        return None


def _authenticate(call: S3Call, fields: dict[str, str]) -> tuple[Principal, Policy | None]:
    """Who signed the form's policy (anonymous without one), and the policy."""
    encoded = fields.get("policy")
    v4_signature = fields.get("x-amz-signature")
    v2_signature = fields.get("signature")
    if encoded is None:
        if v4_signature is not None or v2_signature is not None:
            raise S3Error(400, "InvalidArgument", "a signed POST upload needs its policy")
        return ANONYMOUS, None
    policy = read_policy(encoded)
    if v4_signature is not None:
        if fields.get("x-amz-algorithm") != ALGORITHM:
            raise S3Error(400, "InvalidArgument", f"x-amz-algorithm must be {ALGORITHM}")
        pieces = (fields.get("x-amz-credential") or "").split("/")
        if len(pieces) != 5 or pieces[4] != "aws4_request":
            raise S3Error(
                400,
                "InvalidArgument",
                "x-amz-credential must be <key>/<date>/<region>/<service>/aws4_request",
            )
        credential = PostPolicySignature(
            pieces[0],
            encoded.strip(),
            v4_signature.strip(),
            policy.expires_at,
            scope=(pieces[1], pieces[2], pieces[3]),
        )
    elif v2_signature is not None:
        key_id = fields.get("awsaccesskeyid")
        if not key_id:
            raise S3Error(400, "InvalidArgument", "a SigV2 POST upload needs AWSAccessKeyId")
        credential = PostPolicySignature(
            key_id.strip(), encoded.strip(), v2_signature.strip(), policy.expires_at
        )
    else:
        raise S3Error(400, "InvalidArgument", "a POST upload's policy must be signed")
    try:
        return call.hub.authenticator.authenticate(credential), policy
    except AuthenticationError as exc:
        if exc.fields.get("reason") == "malformed":
            raise S3Error(400, "InvalidArgument", exc.message) from None
        raise


def _answer(call: S3Call, fields: dict[str, str], obj: BucketObject) -> Response:
    assert call.bucket is not None
    etag = wire.quoted_etag(obj.md5)
    location = f"{str(call.request.base_url).rstrip('/')}{call.resource}/{quote(obj.key)}"
    redirect = fields.get("success_action_redirect") or fields.get("redirect")
    if redirect:
        parts = urlsplit(redirect)
        if parts.scheme in ("http", "https") and parts.netloc:
            extra = urlencode({"bucket": call.bucket, "key": obj.key, "etag": etag})
            query = f"{parts.query}&{extra}" if parts.query else extra
            target = urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))
            return Response(status_code=303, headers={"Location": target, "ETag": etag})
    status = fields.get("success_action_status", "").strip()
    headers = {"ETag": etag, "Location": location, **wire.version_headers(obj.version_id)}
    headers.update(response_headers(obj.encryption))
    if status == "201":
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>\n<PostResponse>'
            f"<Location>{escape(location)}</Location><Bucket>{escape(call.bucket)}</Bucket>"
            f"<Key>{escape(obj.key)}</Key><ETag>{escape(etag)}</ETag></PostResponse>"
        )
        return Response(body, status_code=201, headers=headers, media_type="application/xml")
    return Response(status_code=200 if status == "200" else 204, headers=headers)
