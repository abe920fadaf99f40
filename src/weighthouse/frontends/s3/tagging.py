"""Tags on the wire: the ``x-amz-tagging`` header, the ``<Tagging>`` document, and the
``?tagging`` operations on objects (Put/Get/DeleteObjectTagging) and buckets
(Put/Get/DeleteBucketTagging).

The front-end only reads tags as the client wrote them, in order and with any repeated key;
the core holds them to S3's rules (:mod:`weighthouse.domain.tagging`). Reading an object's
tags asks what reading the object asks; setting or removing them what writing it asks. A
bucket's tags are its configuration (see :mod:`weighthouse.domain.bucket_configurations`).
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from starlette.responses import Response

from weighthouse.domain.bucket_configurations import TAGGING
from weighthouse.domain.model import BucketObject
from weighthouse.frontends.s3 import wire, xml_input
from weighthouse.frontends.s3.bucket_names import bucket_id
from weighthouse.frontends.s3.checksums import check_digests
from weighthouse.frontends.s3.context import S3Call, in_thread
from weighthouse.frontends.s3.errors import S3Error

TAGGING_HEADER = "x-amz-tagging"
COUNT_HEADER = "x-amz-tagging-count"
DIRECTIVE_HEADER = "x-amz-tagging-directive"
# Ten tags of the longest keys and values, escaped, fit in well under this.
MAX_DOCUMENT = 64 * 1024

Pairs = list[tuple[str, str]]


def header_tags(call: S3Call) -> Pairs:
    """The tags of an ``x-amz-tagging`` header (URL query encoded: ``k1=v1&k2``, a key
    without ``=`` has the empty value); none without the header."""
    value = call.header(TAGGING_HEADER)
    if value is None or not value.strip():
        return []
    try:
        return parse_qsl(value, keep_blank_values=True, errors="strict")
    except (UnicodeDecodeError, ValueError):
        raise S3Error(400, "InvalidArgument", "The x-amz-tagging header is not valid") from None


def document_tags(body: bytes) -> Pairs:
    """The tags of a ``<Tagging><TagSet><Tag><Key/><Value/></Tag>…`` document;
    ``MalformedXML`` when it is not one."""
    root = xml_input.parse(body)
    sets = xml_input.children(root, "TagSet")
    if xml_input.local(root.tag) != "Tagging" or len(sets) != 1:
        raise S3Error(400, "MalformedXML", "the document must be <Tagging> with one <TagSet>")
    pairs: Pairs = []
    for tag in sets[0]:
        if xml_input.local(tag.tag) != "Tag":
            raise S3Error(400, "MalformedXML", "a <TagSet> holds only <Tag> elements")
        key, value = xml_input.text(tag, "Key"), xml_input.text(tag, "Value")
        if key is None or value is None:
            raise S3Error(400, "MalformedXML", "every <Tag> needs a <Key> and a <Value>")
        pairs.append((key, value))
    return pairs


def tagging_document(tags: dict[str, str]) -> bytes:
    root = wire.element("Tagging")
    tag_set = wire.add(root, "TagSet")
    for key, value in tags.items():
        tag = wire.add(tag_set, "Tag")
        wire.add(tag, "Key", key)
        wire.add(tag, "Value", value)
    return wire.document(root)


def count_headers(obj: BucketObject) -> dict[str, str]:
    """``x-amz-tagging-count`` for a GET or HEAD, sent only when the object has tags."""
    return {COUNT_HEADER: str(len(obj.tags))} if obj.tags else {}


async def read_document(call: S3Call) -> Pairs:
    """The tags of the request's ``<Tagging>`` body, its declared digests checked."""
    body = await xml_input.read_small(call.request.stream(), MAX_DOCUMENT)
    check_digests(call, body)
    return document_tags(body)


async def object_tagging(call: S3Call) -> Response:
    """GET, PUT or DELETE ``?tagging`` on an object."""
    assert call.bucket is not None and call.key is not None
    repo_id, key = bucket_id(call.bucket), call.key
    method = call.request.method
    # One version's tags with ?versionId=, the latest object's without.
    version = call.param("versionId") if call.has("versionId") else None
    if method == "GET":
        obj = await in_thread(
            lambda: call.hub.buckets.head(call.principal, repo_id, key, version_id=version)
        )
        headers = wire.version_headers(obj.version_id, asked=version is not None)
        return Response(tagging_document(obj.tags), media_type=wire.XML, headers=headers)
    if method not in ("PUT", "DELETE"):
        raise S3Error(405, "MethodNotAllowed", f"{method} is not allowed on ?tagging")
    if call.principal.user is None:
        raise S3Error(403, "AccessDenied", "Anonymous users cannot write")
    pairs = await read_document(call) if method == "PUT" else []
    await in_thread(
        lambda: call.hub.buckets.set_tags(call.principal, repo_id, key, pairs, version_id=version)
    )
    headers = wire.version_headers(version, asked=True)
    return Response(status_code=200 if method == "PUT" else 204, headers=headers)


async def bucket_tagging(call: S3Call) -> Response:
    """GET, PUT or DELETE ``?tagging`` on a bucket: its tags, up to 50."""
    assert call.bucket is not None
    repo_id = bucket_id(call.bucket)
    configurations = call.hub.bucket_configurations
    method = call.request.method
    if method == "GET":
        tags = await in_thread(lambda: configurations.tags(call.principal, repo_id))
        if tags is None:
            raise S3Error(404, "NoSuchTagSet", "The TagSet does not exist", BucketName=call.bucket)
        return Response(tagging_document(tags), media_type=wire.XML)
    if method not in ("PUT", "DELETE"):
        raise S3Error(405, "MethodNotAllowed", f"{method} is not allowed on ?tagging")
    if call.principal.user is None:
        raise S3Error(403, "AccessDenied", "Anonymous users cannot write")
    if method == "DELETE":
        await in_thread(lambda: configurations.remove(call.principal, repo_id, TAGGING))
    else:
        # The caller's right to set them is asked before the document is read, as S3 does.
        await in_thread(lambda: configurations.check_settable(call.principal, repo_id))
        pairs = await read_document(call)
        await in_thread(lambda: configurations.set_tags(call.principal, repo_id, pairs))
    return Response(status_code=204)
