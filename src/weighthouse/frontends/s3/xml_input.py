"""Reading the small XML documents S3 requests carry (DeleteObjects,
CompleteMultipartUpload, CreateBucketConfiguration): size-limited, no DTDs or entities, and
tags compared without their namespace."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from weighthouse.frontends.s3.errors import S3Error

MAX_XML = 2 * 1024 * 1024


def parse(body: bytes) -> ET.Element:
    """The root element; ``MalformedXML`` (400) for anything but a plain XML document."""
    if len(body) > MAX_XML:
        raise S3Error(400, "MalformedXML", "the XML document is too large")
    if b"<!DOCTYPE" in body.upper() or b"<!ENTITY" in body.upper():
        raise S3Error(400, "MalformedXML", "XML documents may not declare a DTD or entities")
    try:
        return ET.fromstring(body)  # noqa: S314 - no DTD, so no entity expansion
    except ET.ParseError:
        raise S3Error(400, "MalformedXML", "The XML you provided was not well-formed") from None


def local(tag: str) -> str:
    """A tag without its ``{namespace}``."""
    return tag.rsplit("}", 1)[-1]


def children(element: ET.Element, name: str) -> list[ET.Element]:
    return [child for child in element if local(child.tag) == name]


def text(element: ET.Element, name: str) -> str | None:
    found = children(element, name)
    return (found[0].text or "") if found else None


async def read_small(stream: object, limit: int = MAX_XML) -> bytes:
    """The whole of a small body, refused once it passes ``limit``."""
    parts: list[bytes] = []
    size = 0
    async for chunk in stream:  # type: ignore[attr-defined]
        size += len(chunk)
        if size > limit:
            raise S3Error(400, "MalformedXML", "the XML document is too large")
        parts.append(chunk)
    return b"".join(parts)
