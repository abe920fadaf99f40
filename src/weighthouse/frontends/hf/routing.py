"""Routing on the raw, undecoded path.

The client percent-encodes revisions (``feature%2Fx``, ``refs%2Fpr%2F1``) and tree sub-paths
but sends ``/resolve`` file paths with literal slashes, so a router that decodes ``%2F`` before
matching cannot tell a branch ``feature/x`` from a folder. Here the raw path is split on ``/``
first and each segment decoded afterwards.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from starlette.responses import Response

Handler = Callable[[Any], Awaitable[Response]]
"""Takes a :class:`~weighthouse.frontends.hf.calls.Call`."""
REST = "*"
"""A pattern's last segment ``{name*}`` takes every remaining segment, joined with ``/``."""


@dataclass(frozen=True)
class Route:
    methods: frozenset[str]
    pattern: tuple[str, ...]
    handler: Handler

    def match(self, segments: list[str]) -> dict[str, str] | None:
        params: dict[str, str] = {}
        for index, part in enumerate(self.pattern):
            if part.startswith("{") and part.endswith("*}"):
                rest = segments[index:]
                params[part[1:-2]] = "/".join(unquote(s) for s in rest)
                return params
            if index >= len(segments):
                return None
            if part.startswith("{"):
                params[part[1:-1]] = unquote(segments[index])
            elif part != segments[index]:
                return None
        return params if len(segments) == len(self.pattern) else None


class RawRouter:
    """Routes in the order added; the first whose pattern and method match wins."""

    def __init__(self) -> None:
        self.routes: list[Route] = []

    def add(self, methods: str, pattern: str, handler: Handler) -> None:
        self.routes.append(
            Route(frozenset(methods.split()), tuple(pattern.strip("/").split("/")), handler)
        )

    def find(self, method: str, raw_path: str) -> tuple[Route, dict[str, str]] | bool | None:
        """The route and its parameters; ``False`` when the path matched but not the method,
        ``None`` when nothing matched."""
        segments = raw_path.strip("/").split("/")
        path_matched = False
        for route in self.routes:
            params = route.match(segments)
            if params is None:
                continue
            if method in route.methods or (method == "HEAD" and "GET" in route.methods):
                return route, params
            path_matched = True
        return False if path_matched else None
