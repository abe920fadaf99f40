"""The one key rule every driver obeys, so a key can become a file-system path safely.

Keys are internal, built from digests (``sha256/ab/cd/<64 hex>``); user-supplied names never
become keys. A key is ``/``-separated segments of lowercase ``[a-z0-9._-]`` that start with a
letter or digit, with no ``..`` anywhere, no empty segment and no leading or trailing ``/``.
The top-level segment ``tmp`` is reserved for drivers' temporaries.
"""

from __future__ import annotations

import re

from weighthouse.blobs.errors import InvalidBlobKeyError

MAX_KEY_LENGTH = 1024
"""Longest key, in characters (all ASCII): S3's limit, and well under PATH_MAX."""

_SEGMENT = r"[a-z0-9][a-z0-9._-]*"
SEGMENT_PATTERN = re.compile(_SEGMENT)
"""One ``/``-free part of a key (it may still contain ``..``, which the key rule rejects)."""
KEY_PATTERN = re.compile(rf"(?!tmp(?:/|\Z))(?!.*\.\.){_SEGMENT}(?:/{_SEGMENT})*")
_PREFIX_PATTERN = re.compile(rf"(?!.*\.\.)(?:{_SEGMENT}(?:/{_SEGMENT})*/?)?")


class _LastChecked:
    # One read passes its key through several layers (the content store, the checking
    # driver, the small-blob driver, each for the reader, the presigned URL and the read):
    # the key that passed last passes again without the pattern, a fifth of a small GET's
    # regular-expression work. One string; a race only costs a check.
    key: str | None = None


def check_key(key: object, driver: str) -> str:
    """Return ``key`` if it obeys the key rule; raise :class:`InvalidBlobKeyError` otherwise."""
    if key.__class__ is str and key == _LastChecked.key:
        return key
    if isinstance(key, str) and len(key) <= MAX_KEY_LENGTH and KEY_PATTERN.fullmatch(key):
        _LastChecked.key = key
        return key
    raise InvalidBlobKeyError(key, driver)


def check_prefix(prefix: object, driver: str) -> str:
    """Return a walk prefix: empty, or a key-like string that may end with ``/``."""
    if (
        isinstance(prefix, str)
        and len(prefix) <= MAX_KEY_LENGTH
        and _PREFIX_PATTERN.fullmatch(prefix)
    ):
        return prefix
    raise InvalidBlobKeyError(prefix, driver)


def commit_key(writer_key: str | None, key: str | None, driver: str) -> str:
    """The key a commit lands on: the one given to ``commit``, else the one given to ``writer``."""
    chosen = key if key is not None else writer_key
    if chosen is None:
        raise InvalidBlobKeyError(None, driver)
    return check_key(chosen, driver)


def check_range(offset: int, length: int) -> None:
    """Reads count bytes from the start; a negative offset or length is a caller bug
    (``ValueError``)."""
    if offset < 0 or length < 0:
        raise ValueError(f"negative blob offset or length ({offset}, {length})")
