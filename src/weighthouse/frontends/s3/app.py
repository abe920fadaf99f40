"""The S3 application: parse the wire, authenticate, call the operation, render the wire.

Addressing: path style ``/<bucket>/<key>`` always; virtual-host style
``<bucket>.<base domain>/<key>`` when ``s3.base_domain`` is set (a Host equal to the base
domain itself is path style). The key is the raw path after the bucket, percent-decoded once
and never normalised (``//``, ``./`` and ``%2F`` are ordinary key characters).

Every answer carries ``x-amz-request-id``; every failure is an S3 XML error (no body for
HEAD), never a traceback. ``OPTIONS`` on a bucket or object is a browser's preflight, and an
answer to a request carrying an ``Origin`` gets the bucket's CORS headers (see
:mod:`~weighthouse.frontends.s3.cors`).
"""

from __future__ import annotations

import logging
from dataclasses import replace
from urllib.parse import unquote

import anyio
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from weighthouse.bootstrap import Container
from weighthouse.domain.access import ANONYMOUS, Principal
from weighthouse.domain.credentials import (
    ChunkSignatures,
    SigV2HeaderSignature,
    SigV2QuerySignature,
    SigV4Signature,
)
from weighthouse.domain.errors import AuthenticationError, DomainError
from weighthouse.frontends.s3 import (
    actions,
    buckets,
    cors,
    encryption,
    multipart,
    objects,
    service,
    wire,
)
from weighthouse.frontends.s3.context import S3Call, in_thread
from weighthouse.frontends.s3.credentials import RequestParts, parse_query, signed_request
from weighthouse.frontends.s3.errors import S3Error, translate
from weighthouse.frontends.s3.owners import EXPECTED_OWNER_HEADER, check_expected_owner
from weighthouse.frontends.s3.uploads import STREAMING_SIGNED

log = logging.getLogger("weighthouse.s3")


class S3App:
    """An ASGI application serving the S3 API over ``container``'s use cases."""

    def __init__(self, container: Container) -> None:
        self._hub = container
        settings = container.settings.s3
        self._base_domain = (
            settings.base_domain.lower().strip(".") if settings.base_domain else None
        )
        self._limiter = anyio.CapacityLimiter(container.settings.server.max_transfers)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        request = Request(scope, receive)
        request_id = wire.request_id()
        bucket, key = None, None
        try:
            parts = _parts(request)
            bucket, key, from_host = self._address(request, parts.raw_path)
            if from_host:
                parts = replace(parts, host_bucket=bucket)
            response = await self._handle(request, parts, bucket, key, request_id)
        except S3Error as exc:
            response = _error(request, exc, bucket, key, request_id)
        except DomainError as exc:
            if translate(exc).status >= 500:
                log.error("%s %s failed: %s", request.method, request.url.path, exc.message)
            response = _error(request, translate(exc), bucket, key, request_id)
        except ClientDisconnect:
            response = _error(
                request,
                S3Error(400, "IncompleteBody", "the client went away before the body ended"),
                bucket,
                key,
                request_id,
            )
        except Exception:
            log.exception("%s %s crashed", request.method, request.url.path)
            response = _error(
                request,
                S3Error(500, "InternalError", "We encountered an internal error. Please retry."),
                bucket,
                key,
                request_id,
            )
        origin = request.headers.get("origin")
        if origin and bucket is not None and request.method != "OPTIONS":
            allowed = await cors.request_headers(self._hub, bucket, origin, request.method)
            response.headers.update(allowed)
        response.headers[wire.REQUEST_ID_HEADER] = request_id
        response.headers[wire.HOST_ID_HEADER] = request_id
        await response(scope, receive, send)

    def _address(self, request: Request, raw_path: str) -> tuple[str | None, str | None, bool]:
        """The S3 bucket name and object key a request names, and whether the bucket came from
        the ``Host`` (virtual-host addressing)."""
        path = raw_path[1:] if raw_path.startswith("/") else raw_path
        host = (request.headers.get("host") or "").lower()
        host = host.rsplit(":", 1)[0] if not host.endswith("]") else host
        if self._base_domain and host.endswith("." + self._base_domain):
            bucket = host[: -len(self._base_domain) - 1]
            return bucket, (_decode(path) if path else None), True
        if not path:
            return None, None, False
        bucket, slash, rest = path.partition("/")
        bucket = _decode(bucket)
        return bucket, (_decode(rest) if slash and rest else None), False

    async def _handle(
        self,
        request: Request,
        parts: RequestParts,
        bucket: str | None,
        key: str | None,
        request_id: str,
    ) -> Response:
        signed = signed_request(parts)
        principal: Principal = ANONYMOUS
        chain: ChunkSignatures | None = None
        if signed is not None:
            credential = signed.credential
            if isinstance(credential, SigV4Signature) and signed.payload_hash in STREAMING_SIGNED:
                principal, chain = await in_thread(
                    lambda: self._hub.authenticator.authenticate_chunked(credential)
                )
            else:
                principal = await in_thread(lambda: self._authenticate(credential))
        if bucket is not None:
            principal = actions.policy_request(
                request,
                parts.query,
                key,
                principal,
                trust_forwarded_for=self._hub.settings.auth.trust_forwarded_for,
            )
        call = S3Call(
            request=request,
            hub=self._hub,
            principal=principal,
            parts=parts,
            bucket=bucket,
            key=key,
            payload_hash=signed.payload_hash if signed is not None else None,
            limiter=self._limiter,
            chunk_signatures=chain,
            request_id=request_id,
        )
        if call.header(EXPECTED_OWNER_HEADER) is not None:
            await in_thread(lambda: check_expected_owner(call, bucket, EXPECTED_OWNER_HEADER))
        if request.method == "OPTIONS" and bucket is not None:
            return await cors.preflight(call)
        if bucket is None:
            return await service.handle(call)
        if key is None:
            return await buckets.handle(call)
        if request.method in ("GET", "HEAD"):
            encryption.refuse_on_read(call)
        if multipart.applies(call):
            return await multipart.handle(call)
        return await objects.handle(call)

    def _authenticate(
        self, credential: SigV4Signature | SigV2QuerySignature | SigV2HeaderSignature
    ) -> Principal:
        try:
            return self._hub.authenticator.authenticate(credential)
        except AuthenticationError as exc:
            presigned = isinstance(credential, SigV2QuerySignature) or (
                isinstance(credential, SigV4Signature) and credential.expires_in is not None
            )
            # An expired or malformed presigned URL is AccessDenied in S3, not a clock problem.
            if presigned and exc.fields.get("reason") in (
                "request_time_skewed",
                "malformed",
            ):
                raise S3Error(403, "AccessDenied", exc.message) from None
            raise


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


def _decode(text: str) -> str:
    """Percent-decode a path piece as UTF-8; bytes that are not UTF-8 are a 400."""
    try:
        return unquote(text, errors="strict")
    except UnicodeDecodeError:
        raise S3Error(400, "InvalidURI", "the path is not valid UTF-8") from None


def _parts(request: Request) -> RequestParts:
    scope = request.scope
    raw_path = scope.get("raw_path") or scope["path"].encode("utf-8")
    headers: dict[str, list[str]] = {}
    for name, value in scope["headers"]:
        headers.setdefault(name.decode("latin-1").lower(), []).append(value.decode("latin-1"))
    return RequestParts(
        method=request.method,
        raw_path=raw_path.decode("latin-1"),
        query=parse_query(scope.get("query_string", b"").decode("latin-1")),
        headers=headers,
    )


def _has_body(request: Request) -> bool:
    length = request.headers.get("content-length")
    return request.headers.get("transfer-encoding") is not None or (
        length is not None and length.strip() not in ("", "0")
    )


def _error(
    request: Request, exc: S3Error, bucket: str | None, key: str | None, request_id: str
) -> Response:
    headers = {}
    if _has_body(request):
        # The body may be unread (a client waiting on "Expect: 100-continue" never sends it),
        # so this connection cannot carry another request.
        headers["Connection"] = "close"
    if exc.code == "InvalidRange" and "size" in exc.fields:
        headers["Content-Range"] = f"bytes */{exc.fields['size']}"
    if exc.status in (503,):
        headers["Retry-After"] = "1"
    marker = exc.fields.get("delete_marker")
    if marker is not None:  # the key's latest version, or the one asked for, is a marker
        headers[wire.DELETE_MARKER_HEADER] = "true"
        headers[wire.VERSION_HEADER] = marker
    if request.method == "HEAD" or exc.status == 304:
        return Response(status_code=exc.status, headers=headers)
    fields = {k: v for k, v in exc.fields.items() if k not in ("size", "delete_marker")}
    if "version_id" in fields:
        fields["VersionId"] = fields.pop("version_id")
    if bucket is not None:
        fields.setdefault("BucketName", bucket)
    if key is not None:
        fields.setdefault("Key", key)
    fields.pop("key", None)
    resource = "/" if bucket is None else f"/{bucket}" + (f"/{key}" if key is not None else "")
    body = wire.error_document(exc.code, exc.message, resource, request_id, fields)
    return Response(body, status_code=exc.status, headers=headers, media_type=wire.XML)
