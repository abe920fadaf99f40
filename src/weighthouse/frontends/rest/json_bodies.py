"""JSON request bodies with a size limit, enforced before FastAPI parses them.

FastAPI reads and decodes a JSON body before any dependency runs (authentication included), so
the limit lives in the route class: a route with a JSON body reads it here, refuses it with
``TooLargeError`` (413) as soon as the declared length or the bytes received pass the limit,
and hands FastAPI the bytes it read. A declared ``Content-Length`` over the limit is refused
before a byte of the body is read; a chunked body is dropped at the first chunk past it. So
an anonymous client holds at most the limit in server memory, and no password is hashed or
token looked up for a body that will be refused anyway. Routes without a JSON body (downloads,
streaming uploads) keep FastAPI's handler unchanged.

Every router of the REST front-end uses one of these classes: ``JsonLimitRoute``
(``settings.max_json_bytes``) for small documents, ``CommitJsonLimitRoute``
(``settings.max_commit_json_bytes``) for commits and blob checks.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute
from starlette.types import Message

from weighthouse.config import Settings
from weighthouse.domain.errors import TooLargeError
from weighthouse.frontends.bodies import declared_length
from weighthouse.frontends.rest.dependencies import container


async def read_capped(request: Request, limit: int) -> bytes:
    """The whole body; ``TooLargeError`` past ``limit`` bytes, declared or received."""
    declared_length(request.headers.get("content-length"), limit)
    parts: list[bytes] = []
    received = 0
    async for chunk in request.stream():
        received += len(chunk)
        if received > limit:
            raise TooLargeError(f"the JSON body is larger than the limit of {limit} bytes")
        parts.append(chunk)
    return b"".join(parts)


class JsonLimitRoute(APIRoute):
    """An ``APIRoute`` whose JSON body may be at most ``settings.max_json_bytes``."""

    @staticmethod
    def limit(settings: Settings) -> int:
        return settings.max_json_bytes

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        if self.body_field is None:
            return handler

        async def limited(request: Request) -> Response:
            body = await read_capped(request, self.limit(container(request).settings))
            sent = False

            async def replay() -> Message:
                nonlocal sent
                if sent:  # after the body, whatever the client does next (a disconnect)
                    return await request.receive()
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}

            return await handler(Request(request.scope, replay))

        return limited


class CommitJsonLimitRoute(JsonLimitRoute):
    """An ``APIRoute`` whose JSON body may be at most ``settings.max_commit_json_bytes``."""

    @staticmethod
    def limit(settings: Settings) -> int:
        return settings.max_commit_json_bytes
