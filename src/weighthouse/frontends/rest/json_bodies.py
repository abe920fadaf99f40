"""JSON request bodies with a size limit, enforced before FastAPI parses them.

FastAPI reads and decodes a JSON body before any dependency runs, so the limit
(``settings.max_json_bytes``) lives in the route class: a route with a JSON body reads it here,
refuses it with ``TooLargeError`` (413) as soon as the declared length or the bytes received
pass the limit, and hands FastAPI the bytes it read. Routes without a JSON body (downloads,
streaming uploads) keep FastAPI's handler unchanged.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute
from starlette.types import Message

from weighthouse.domain.errors import TooLargeError
from weighthouse.frontends.bodies import declared_length
from weighthouse.frontends.rest.auth import container


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

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        if self.body_field is None:
            return handler

        async def limited(request: Request) -> Response:
            body = await read_capped(request, container(request).settings.max_json_bytes)
            sent = False

            async def replay() -> Message:
                nonlocal sent
                if sent:  # after the body, whatever the client does next (a disconnect)
                    return await request.receive()
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}

            return await handler(Request(request.scope, replay))

        return limited
