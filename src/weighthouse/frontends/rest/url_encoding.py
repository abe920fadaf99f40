"""Refuse URLs whose percent-escapes are not UTF-8, before any route sees them.

The ASGI server decodes the path with replacement characters, so ``coll%ff`` and ``coll%fe``
would both arrive as ``coll\ufffd`` and name the same object key, repo file or namespace;
starlette decodes the query string the same way (a listing's ``prefix``). This middleware
reads the undecoded path (``raw_path``) and query string, and answers 400 ``invalid_input`` in
the usual error envelope when either holds bytes that are not UTF-8 (lone surrogates
included), so every name and key the application sees is exactly what the client sent.
"""

from __future__ import annotations

from urllib.parse import unquote_to_bytes

from starlette.types import ASGIApp, Receive, Scope, Send

from weighthouse import wire
from weighthouse.frontends.rest.errors import envelope


def undecodable_part(scope: Scope) -> str | None:
    """``"path"`` or ``"query"`` when that part of the request's URL, percent-decoded, is not
    UTF-8; ``None`` when both are (or the server did not hand over the raw path)."""
    raw_path = scope.get("raw_path")
    if isinstance(raw_path, bytes) and not _is_utf8(raw_path):
        return "path"
    query = scope.get("query_string", b"")
    # '+' is a space in a query and never part of an escape, so it cannot hide bad bytes.
    if isinstance(query, bytes) and not _is_utf8(query):
        return "query"
    return None


def _is_utf8(raw: bytes) -> bool:
    try:
        unquote_to_bytes(raw).decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


class Utf8UrlMiddleware:
    """ASGI middleware: a request whose URL decodes to anything but UTF-8 gets a 400."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            part = undecodable_part(scope)
            if part is not None:
                response = envelope(
                    400,
                    wire.INVALID_INPUT,
                    f"the URL's {part} must be UTF-8 once percent-escapes are decoded",
                    {"where": part},
                )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)
