"""Branch and tag names hold ``/`` (``feature/x``); in a REST path they travel as ``%2F``.

The ASGI server decodes ``%2F`` before routing, so ``/tree/feature%2Fx/a.txt`` would reach the
router as revision ``feature`` and path ``x/a.txt``. :class:`RefSegmentMiddleware` reads the
raw path and, in the one segment where a ref stands (right after ``tree``, ``resolve``,
``upload``, ``commit``, ``commits``, ``branches`` or ``tags`` of a model or dataset), escapes
``%`` and ``/`` again, so the router sees one segment; the ``{…:ref}`` convertor decodes it
exactly once. The rest of the path stays as the server decoded it. ``feature%252Fx`` thus
names the ref ``feature%2Fx`` (which the domain refuses), never ``feature/x``; a literal ``/``
in that position still separates segments, as on the Hub.
"""

from __future__ import annotations

from urllib.parse import quote, unquote, unquote_to_bytes

from starlette.convertors import Convertor, register_url_convertor
from starlette.types import ASGIApp, Receive, Scope, Send

from weighthouse import wire

CONVERTOR = "ref"
_KINDS = frozenset({"models", "datasets"})
_REF_AFTER = frozenset({"tree", "resolve", "upload", "commit", "commits", "branches", "tags"})
# Raw segments: "", "api", kind, namespace, name, verb, ref, ...
_PREFIX = wire.API_PREFIX.strip("/")
_REF_INDEX = 6
_PREFIX_RAW = _PREFIX.encode("ascii")
_KINDS_RAW = frozenset(kind.encode("ascii") for kind in _KINDS)


class RefConvertor(Convertor[str]):
    """One path segment, percent-decoded once more (see the module docstring)."""

    regex = "[^/]+"

    def convert(self, value: str) -> str:
        return unquote(value)

    def to_string(self, value: str) -> str:
        return quote(value, safe="")


def routed_path(raw_path: bytes) -> str | None:
    """The path to route on when the ref segment of ``raw_path`` needs escaping, else ``None``.

    ``raw_path`` is known to be UTF-8 once decoded (:mod:`.url_encoding` runs first)."""
    head = raw_path.split(b"/", 3)
    # Most requests are not for a model or a dataset; telling so from the raw bytes spares
    # decoding every segment of every path. Escapes may spell the prefix, so they decode.
    if b"%" not in raw_path and (
        len(head) < 4 or head[1] != _PREFIX_RAW or head[2] not in _KINDS_RAW
    ):
        return None
    decoded = [unquote_to_bytes(s).decode("utf-8", "replace") for s in raw_path.split(b"/")]
    if (
        len(decoded) <= _REF_INDEX
        or decoded[1] != _PREFIX
        or decoded[2] not in _KINDS
        or decoded[5] not in _REF_AFTER
    ):
        return None
    ref = decoded[_REF_INDEX]
    if "/" not in ref and "%" not in ref:
        return None
    decoded[_REF_INDEX] = quote(ref, safe="")
    return "/".join(decoded)


class RefSegmentMiddleware:
    """ASGI middleware: route REST requests on paths whose ref segment keeps its ``%2F``."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        raw_path = scope.get("raw_path") if scope["type"] == "http" else None
        if isinstance(raw_path, bytes) and not scope.get("root_path"):
            path = routed_path(raw_path)
            if path is not None:
                scope = {**scope, "path": path}
        await self.app(scope, receive, send)


# Routes are compiled when they are declared, so the routers that use the segment import
# this module first.
register_url_convertor(CONVERTOR, RefConvertor())
