"""S3 protocol constants and codecs: XML documents, dates, ETags. No domain logic.

Success documents carry the S3 namespace; error documents carry none (as AWS sends them).
Text is put into XML through ElementTree, which escapes it; characters XML 1.0 cannot hold
(control characters in keys) are written as numeric references by :func:`xml_text`.
"""

from __future__ import annotations

import secrets
import xml.etree.ElementTree as ET
from datetime import UTC, datetime

from weighthouse.domain.model import BucketObject

NAMESPACE = "http://s3.amazonaws.com/doc/2006-03-01/"
XML = "application/xml"
REQUEST_ID_HEADER = "x-amz-request-id"
HOST_ID_HEADER = "x-amz-id-2"
META_PREFIX = "x-amz-meta-"
MAX_KEYS = 1000
VERSION_HEADER = "x-amz-version-id"
DELETE_MARKER_HEADER = "x-amz-delete-marker"
NULL_VERSION = "null"


def version_headers(version_id: str | None, *, asked: bool = False) -> dict[str, str]:
    """``x-amz-version-id`` for a version: sent for a version with an id, and for the
    ``null`` version only when the request named it (as S3 sends none for writes to a bucket
    without versioning or with it suspended)."""
    if version_id is None or (version_id == NULL_VERSION and not asked):
        return {}
    return {VERSION_HEADER: version_id}


def request_id() -> str:
    """An id for one request, returned in ``x-amz-request-id`` and in error bodies."""
    return secrets.token_hex(8).upper()


def iso8601(at: datetime) -> str:
    """A time as S3's XML writes it: ``2026-12-04T11:24:16.000Z``."""
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z"


def quoted_etag(md5_hex: str) -> str:
    return f'"{md5_hex}"'


def object_etag(obj: BucketObject) -> str:
    """S3's ETag of an object, unquoted: the MD5 of its bytes, or for one assembled from a
    multipart upload the MD5 of its parts' MD5s and their number, ``<hex>-<N>``."""
    if obj.parts_md5 is not None:
        return f"{obj.parts_md5}-{len(obj.part_sizes)}"
    return obj.md5


DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>\n'


def document(root: ET.Element) -> bytes:
    text: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=False)
    return DECLARATION + text


def without_declaration(text: bytes) -> bytes:
    """A :func:`document` without its XML declaration, to follow one already sent."""
    return text.removeprefix(DECLARATION)


def element(tag: str, *, namespace: bool = True) -> ET.Element:
    return ET.Element(tag, {"xmlns": NAMESPACE} if namespace else {})


def add(parent: ET.Element, tag: str, text: str | int | bool | None = None) -> ET.Element:
    """Append ``<tag>text</tag>`` (booleans as ``true``/``false``) and return it."""
    child = ET.SubElement(parent, tag)
    if isinstance(text, bool):
        child.text = "true" if text else "false"
    elif text is not None:
        child.text = xml_text(str(text))
    return child


def xml_text(text: str) -> str:
    """``text`` with what XML 1.0 cannot carry replaced: lone surrogates by U+FFFD."""
    return text.encode("utf-8", "replace").decode("utf-8")


def error_document(
    code: str, message: str, resource: str, request_id: str, fields: dict[str, str]
) -> bytes:
    root = element("Error", namespace=False)
    add(root, "Code", code)
    add(root, "Message", message)
    for name, value in fields.items():
        add(root, name, value)
    add(root, "Resource", resource)
    add(root, "RequestId", request_id)
    add(root, "HostId", request_id)
    return document(root)
