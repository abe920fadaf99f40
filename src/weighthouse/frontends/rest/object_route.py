"""The hot requests of the REST API, one bucket object's GET, HEAD and PUT, routed without
FastAPI.

A small object's request spent more of its event-loop time in FastAPI's router (tens of route
patterns tried in turn, each with its own scope bookkeeping) and dependency injection than in
anything the request needs. :class:`ObjectRoute` sits in front of the router and recognises
these requests by the routes' own path pattern (:data:`.buckets.OBJECT_PATH`, compiled by
Starlette as the router compiles it); it calls the very functions the routes call
(:func:`.buckets.store_object`, :func:`.buckets.object_response`), so authentication, the use
cases and the permission checks are the same ones, and domain errors go through the
application's own exception handlers, so through the one error table (:mod:`.errors`). Every
other request, and any it does not recognise exactly, goes on to the router; the routes stay
declared there, for the OpenAPI document and as the one place that describes them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.middleware.exceptions import ExceptionMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import compile_path
from starlette.types import ASGIApp, Receive, Scope, Send

from weighthouse import wire
from weighthouse.bootstrap import Container
from weighthouse.frontends.rest import buckets
from weighthouse.frontends.rest.schemas import ObjectOut

_PATTERN, _, _CONVERTORS = compile_path(wire.BUCKETS_PREFIX + buckets.OBJECT_PATH)
_METHODS = frozenset({"GET", "HEAD", "PUT"})


class ObjectRoute:
    """ASGI middleware serving GET, HEAD and PUT of one bucket object (see the module
    docstring). ``handlers`` are the application's exception handlers, read when a request
    comes; handlers of ``Exception`` and of status 500 are left to the server-error
    middleware further out, as the application's own router leaves them."""

    def __init__(self, app: ASGIApp, *, container: Container, handlers: Mapping[Any, Any]) -> None:
        self.app = app
        self._container = container
        self._handlers = handlers
        self._serve: ASGIApp | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] in _METHODS and not scope.get("root_path"):
            match = _PATTERN.match(scope["path"])
            if match is not None:
                scope["path_params"] = {
                    name: _CONVERTORS[name].convert(value)
                    for name, value in match.groupdict().items()
                }
                await self._served()(scope, receive, send)
                return
        await self.app(scope, receive, send)

    def _served(self) -> ASGIApp:
        if self._serve is None:
            handlers = {k: v for k, v in self._handlers.items() if k not in (500, Exception)}
            self._serve = ExceptionMiddleware(self._handle, handlers=handlers)
        return self._serve

    async def _handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        params = scope["path_params"]
        bucket = buckets.bucket_id(params["namespace"], params["name"])
        response: Response
        if scope["method"] == "PUT":
            stored = await buckets.store_object(request, self._container, bucket, params["key"])
            response = JSONResponse(ObjectOut.of(stored).model_dump(mode="json"), status_code=201)
        else:
            response = await buckets.object_response(
                request, self._container, bucket, params["key"]
            )
        await response(scope, receive, send)
