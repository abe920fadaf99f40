"""Routes for bucket objects: PUT, GET, HEAD, DELETE and listing.

Each asks the permission service as the S3 operation it matches (``s3:PutObject``,
``s3:GetObject``, ``s3:DeleteObject``, ``s3:ListBucket`` with ``s3:prefix`` and
``s3:delimiter``), so a bucket's policy decides here as on the S3 port.

User metadata travels in ``X-Meta-<name>`` headers; ``Content-MD5`` and ``X-Content-SHA256``
are checked against the body; ``If-None-Match: *`` and ``If-Match`` make a PUT conditional.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import partial
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from weighthouse import wire
from weighthouse.bootstrap import Container
from weighthouse.domain.access import Principal
from weighthouse.domain.buckets import PutConditions
from weighthouse.domain.errors import EntryNotFoundError, PreconditionFailedError
from weighthouse.domain.files import Download
from weighthouse.domain.model import BucketObject, RepoId, RepoType
from weighthouse.frontends.downloads import SMALL, blob_response, preload
from weighthouse.frontends.policy_requests import Facts, asking
from weighthouse.frontends.rest import cursors
from weighthouse.frontends.rest.dependencies import (
    Caller,
    Wired,
    client_address,
    current_principal,
    remembered_principal,
)
from weighthouse.frontends.rest.json_bodies import JsonLimitRoute
from weighthouse.frontends.rest.schemas import ListingOut, ObjectOut, object_etag
from weighthouse.frontends.rest.uploads import (
    RAW_BODY,
    declared_md5,
    declared_sha256,
    held_by,
    stream_into,
)
from weighthouse.frontends.thread_hops import in_thread

router = APIRouter(prefix=wire.BUCKETS_PREFIX, tags=["buckets"], route_class=JsonLimitRoute)

_META = wire.META_PREFIX.lower()

LOOP_READ_MAX = 64 * 1024
"""The largest body a GET reads on the event loop (:attr:`Container.loop_reads`); a larger one
is read as any download is, off the loop."""


def bucket_id(namespace: str, name: str) -> RepoId:
    return RepoId(RepoType.BUCKET, namespace, name)


def _asking(
    caller: Principal, request: Request, action: str, key: str | None, facts: Facts | None = None
) -> Principal:
    return asking(caller, request, action, key, client_address(request), facts)


def _entity_tag(obj: BucketObject) -> str | None:
    """The ETag of a joined object: its ``etag`` field, quoted, as S3 gives it (its bytes'
    SHA-256 is not known); ``None`` for other objects, whose tag is their SHA-256."""
    return f'"{object_etag(obj)}"' if obj.joined else None


def _if_match(
    request: Request, hub: Container, caller: Principal, bucket: RepoId, key: str
) -> str | None:
    """``If-Match`` as the core takes it: a joined object's tag (``"<hex>-<N>"``) names the
    version it tags, read here; the catalog's compare-and-swap on that version still decides
    the write. Any other value goes on as sent."""
    value = request.headers.get("if-match")
    tag = (value or "").strip().removeprefix("W/").strip('"').lower()
    if value is None or _JOINED_TAG.fullmatch(tag) is None:
        return value
    try:
        current = hub.buckets.head(caller, bucket, key)
    except EntryNotFoundError:
        raise PreconditionFailedError("If-Match names no object at this key") from None
    if _entity_tag(current) != f'"{tag}"':
        raise PreconditionFailedError("If-Match does not name the object at this key")
    return current.sha256


_JOINED_TAG = re.compile(r"[0-9a-f]{32}-[0-9]+")


def _object_headers(obj: BucketObject) -> dict[str, str]:
    # A joined object's whole-content digests are not known, and an encrypted object's
    # SHA-256 is its ciphertext's, so neither header is sent for them.
    headers: dict[str, str] = {}
    if obj.content_sha256 is not None:
        headers = {wire.MD5_HEADER: obj.md5, wire.SHA256_HEADER: obj.content_sha256}
    for key, value in obj.metadata.items():
        headers[wire.META_PREFIX + key] = wire.header_value(value)
    return headers


OBJECT_PATH = "/{namespace}/{name}/objects/{key:path}"
"""The path of one object under :data:`~weighthouse.wire.BUCKETS_PREFIX`; the hot requests on
it (GET, HEAD, PUT) may reach :func:`store_object` and :func:`object_response` through
:mod:`.object_route` instead of the router."""


@router.put(OBJECT_PATH, response_model=ObjectOut, status_code=201, openapi_extra=RAW_BODY)
async def put_object(
    namespace: str, name: str, key: str, request: Request, hub: Wired
) -> ObjectOut:
    """Store the request body at ``key``, replacing what is there (last writer wins).
    ``If-None-Match: *`` creates only; ``If-Match: "<etag>"`` replaces only that version (412
    otherwise)."""
    return ObjectOut.of(await store_object(request, hub, bucket_id(namespace, name), key))


async def store_object(request: Request, hub: Container, bucket: RepoId, key: str) -> BucketObject:
    """What a PUT of one object does, after routing: the caller, the body and the headers go
    to the use case; domain errors propagate to the front-end's error table."""

    # The caller is authenticated in the worker thread that then takes the upload: one trip
    # to a thread per PUT, not two (a small PUT's time is mostly such trips and the catalog).
    # A caller this process knows already, with a small body, takes no trip at all where the
    # stores await their commits on the loop: the PUT runs there, and the loop serves other
    # requests while its group commits are made. The many threads' lock hand-offs around
    # shared commits cost more CPU than the PUT itself (1.5 against 1.0 ms a PUT measured).
    principal = remembered_principal(request) if hub.loop_writes else None

    def store(body: Iterable[bytes], size: int | None) -> BucketObject:
        caller = principal if principal is not None else current_principal(request)
        with held_by(request, caller):
            return put(_asking(caller, request, "s3:PutObject", key), body, size)

    def put(caller: Principal, body: Iterable[bytes], size: int | None) -> BucketObject:
        sha256 = declared_sha256(request)
        md5 = declared_md5(request)
        metadata = {
            k[len(_META) :]: wire.header_text(v)
            for k, v in request.headers.items()
            if k.lower().startswith(_META)
        }
        conditions = PutConditions(
            if_none_match=request.headers.get("if-none-match"),
            if_match=_if_match(request, hub, caller, bucket, key),
        )
        return hub.buckets.put(
            caller,
            bucket,
            key,
            body,
            size=size,
            sha256=sha256,
            md5=md5,
            content_type=request.headers.get("content-type"),
            metadata=metadata,
            conditions=conditions,
        )

    loop_up_to = hub.loop_writes if principal is not None else 0
    return await stream_into(request, None, store, loop_up_to=loop_up_to)


_OBJECT_RESPONSES: dict[int | str, dict[str, object]] = {
    200: {"content": {wire.OCTET_STREAM: {}}, "description": "the object"}
}


# Two routes rather than one with two methods, so each gets its own OpenAPI operation id.
@router.get(OBJECT_PATH, response_class=Response, responses=_OBJECT_RESPONSES)
@router.head(OBJECT_PATH, response_class=Response, responses=_OBJECT_RESPONSES)
async def get_object(namespace: str, name: str, key: str, request: Request, hub: Wired) -> Response:
    """The object's bytes (HEAD: its headers), with ranges and conditional requests."""
    return await object_response(request, hub, bucket_id(namespace, name), key)


async def object_response(request: Request, hub: Container, bucket: RepoId, key: str) -> Response:
    """What a GET or HEAD of one object answers, after routing."""

    def fetch(
        principal: Principal | None, limit: int
    ) -> tuple[BucketObject, Download, bytes | None]:
        if principal is None:
            principal = current_principal(request)
        caller = _asking(principal, request, "s3:GetObject", key)
        obj, found = hub.buckets.download(caller, bucket, key)
        body = preload(hub.buckets.reader, found, limit=limit) if request.method == "GET" else None
        return obj, found, body

    # Where every read is local (an embedded catalog, blobs on this machine's disks) and the
    # caller is known without the authenticator, the whole read is a few SQLite lookups and a
    # small file read: made here, it costs less than the trip to a thread and back, whose lock
    # hand-offs halved the small GETs one process served.
    principal = remembered_principal(request) if hub.loop_reads else None
    if principal is not None:
        obj, found, body = fetch(principal, LOOP_READ_MAX)
    else:
        # Authentication, the catalog read and, for a small object, the bytes, all in one
        # trip to a worker thread. Set by the app's lifespan; a host that runs no lifespan
        # falls back to anyio's threads.
        reads = getattr(request.app.state, "reads", None)
        call = partial(fetch, None, SMALL)
        obj, found, body = await (
            run_in_threadpool(call) if reads is None else in_thread(reads, call)
        )
    return blob_response(
        request,
        found,
        hub.buckets.reader,
        content_type=obj.content_type,
        extra_headers=_object_headers(obj),
        preloaded=body,
        etag=_entity_tag(obj),
    )


@router.delete(OBJECT_PATH, status_code=204)
def delete_object(
    namespace: str, name: str, key: str, request: Request, caller: Caller, hub: Wired
) -> Response:
    """Delete the object at ``key``; deleting a missing key succeeds."""
    hub.buckets.delete(
        _asking(caller, request, "s3:DeleteObject", key), bucket_id(namespace, name), key
    )
    return Response(status_code=204)


@router.get("/{namespace}/{name}/objects", response_model=ListingOut)
def list_objects(
    namespace: str,
    name: str,
    request: Request,
    caller: Caller,
    hub: Wired,
    prefix: Annotated[str, Query(max_length=1024)] = "",
    delimiter: Annotated[str | None, Query(max_length=16)] = None,
    cursor: Annotated[str | None, Query(max_length=2048)] = None,
    limit: Annotated[int, Query(ge=1, le=wire.PAGE_LIMIT_MAX)] = wire.PAGE_LIMIT_MAX,
) -> ListingOut:
    """Objects in UTF-8 byte order of their keys, with ``prefix``, ``delimiter`` and pagination."""
    facts: Facts = {"s3:prefix": (prefix,)}
    if delimiter:
        facts["s3:delimiter"] = (delimiter,)
    listing = hub.buckets.list(
        _asking(caller, request, "s3:ListBucket", None, facts),
        bucket_id(namespace, name),
        prefix=prefix,
        delimiter=delimiter or None,
        after=cursors.decode_bytes(cursor),
        limit=limit,
    )
    return ListingOut(
        objects=[ObjectOut.of(o) for o in listing.objects],
        common_prefixes=list(listing.common_prefixes),
        next_cursor=cursors.encode(listing.next_after),
    )
