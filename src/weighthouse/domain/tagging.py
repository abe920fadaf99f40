"""Tags of objects and buckets: the S3 rules a tag set is held to.

A tag set maps keys to values, kept in key order: S3 defines no order, and clients compare the
list they read back with the one they wrote, so the order is at least stable (Ceph's and
Ozone's, for one). An object holds at most :data:`OBJECT_TAGS`
tags, a bucket :data:`BUCKET_TAGS`; a key is 1 to 128 Unicode characters, a value 0 to 256;
both hold only letters, digits, white space and ``+ - = . _ : / @``; a key appears once and
does not start with ``aws:``, which AWS keeps for its own tags.
"""

from __future__ import annotations

from collections.abc import Iterable

from weighthouse.domain.errors import InvalidTagError

OBJECT_TAGS = 10
BUCKET_TAGS = 50
KEY_MAX = 128
VALUE_MAX = 256
RESERVED_PREFIX = "aws:"
_PUNCTUATION = frozenset("+-=._:/@")


def check_tags(pairs: Iterable[tuple[str, str]], *, limit: int = OBJECT_TAGS) -> dict[str, str]:
    """The tag set of ``pairs`` (key, value), in key order; ``InvalidTagError`` when it breaks
    a rule of the module's."""
    tags: dict[str, str] = {}
    for key, value in pairs:
        if key in tags:
            raise InvalidTagError("Cannot provide multiple Tags with the same key", tag=key[:64])
        if not 1 <= len(key) <= KEY_MAX or not _allowed(key):
            raise InvalidTagError("The TagKey you have provided is invalid", tag=key[:64])
        if key.lower().startswith(RESERVED_PREFIX):
            raise InvalidTagError("Your TagKey cannot be prefixed with aws:", tag=key[:64])
        if len(value) > VALUE_MAX or not _allowed(value):
            raise InvalidTagError("The TagValue you have provided is invalid", tag=key[:64])
        tags[key] = value
        if len(tags) > limit:
            raise InvalidTagError(f"A tag set cannot hold more than {limit} tags")
    return dict(sorted(tags.items()))


def _allowed(text: str) -> bool:
    return all(c.isalnum() or c.isspace() or c in _PUNCTUATION for c in text)
