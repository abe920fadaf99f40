"""Opaque page cursors: URL-safe base64 of a position, so clients never build them."""

from __future__ import annotations

import base64
import binascii

from weighthouse.domain.errors import InvalidInputError

MAX_CURSOR = 2048


def encode(position: bytes | str | None) -> str | None:
    if position is None:
        return None
    raw = position.encode("utf-8") if isinstance(position, str) else position
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def decode_bytes(cursor: str | None) -> bytes | None:
    if cursor is None or cursor == "":
        return None
    if len(cursor) > MAX_CURSOR:
        raise InvalidInputError("the cursor is too long")
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        return base64.b64decode(padded, altchars=b"-_", validate=True)
    except (binascii.Error, ValueError):
        raise InvalidInputError("the cursor is not one this server made") from None


def decode_text(cursor: str | None) -> str | None:
    raw = decode_bytes(cursor)
    if raw is None:
        return None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidInputError("the cursor is not one this server made") from None
