"""Reading a posted HTML form: URL-encoded only, small, and every field a string."""

from __future__ import annotations

from urllib.parse import parse_qsl

from starlette.requests import Request

from weighthouse.domain.errors import InvalidInputError, TooLargeError

FORM_MAX = 64 * 1024
"""Largest form body read; the pages' forms carry names, messages and descriptions only."""
FIELDS_MAX = 50


async def read_form(request: Request) -> dict[str, str]:
    """The fields of a posted ``application/x-www-form-urlencoded`` body; the first value of
    a repeated field wins. Raises ``TooLargeError`` past :data:`FORM_MAX` bytes and
    ``InvalidInputError`` for another media type, too many fields or bytes that are not UTF-8.
    """
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media != "application/x-www-form-urlencoded":
        raise InvalidInputError("send the form as application/x-www-form-urlencoded")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > FORM_MAX:
            raise TooLargeError(f"a form may carry at most {FORM_MAX} bytes", limit=FORM_MAX)
    try:
        pairs = parse_qsl(
            body.decode("ascii"),
            keep_blank_values=True,
            max_num_fields=FIELDS_MAX,
            encoding="utf-8",
            errors="strict",
        )
    except (UnicodeDecodeError, ValueError):
        raise InvalidInputError("the form is not valid URL-encoded UTF-8") from None
    fields: dict[str, str] = {}
    for key, value in pairs:
        fields.setdefault(key, value)
    return fields
