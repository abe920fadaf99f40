"""How a page request runs: read the form, find the visitor, call the handler in a worker
thread, render its template, map domain errors to an error page, set the cookies.

Handlers are plain functions ``(request, visitor, form) -> Page | Response`` that call use
cases with the visitor's principal; they run in a worker thread because use cases block.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from weighthouse.bootstrap import Container
from weighthouse.domain.access import ANONYMOUS
from weighthouse.domain.errors import DomainError, RateLimitedError
from weighthouse.frontends.web import urls
from weighthouse.frontends.web.errors import lookup, printable
from weighthouse.frontends.web.forms import read_form
from weighthouse.frontends.web.visitors import Visitor, apply_cookies, visitor_of

log = logging.getLogger("weighthouse.web")

Render = Callable[[str, Mapping[str, Any]], str]
"""Renders a named template with a context; the composition root supplies it."""


@dataclass
class Page:
    template: str
    context: dict[str, Any] = field(default_factory=dict)
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)


Handler = Callable[[Request, Visitor, dict[str, str]], "Page | Response"]


def container_of(request: Request) -> Container:
    found: Container = request.app.state.container
    return found


def human_size(size: int) -> str:
    value = float(size)
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if value < 1000 or unit == "TB":
            return f"{int(value)} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{size} B"  # pragma: no cover - the loop always returns


def when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")


HELPERS: dict[str, Any] = {
    "page_url": urls.page,
    "repo_url": urls.repo,
    "plurals": urls.PLURALS,
    "human_size": human_size,
    "when": when,
}


def _respond(request: Request, visitor: Visitor | None, result: Page | Response) -> Response:
    if isinstance(result, Page):
        render: Render = request.app.state.render
        context = {
            **HELPERS,
            "user": visitor.user if visitor else None,
            "csrf": visitor.csrf if visitor else "",
            "path": request.url.path,
            **result.context,
        }
        html = render(result.template, context)
        headers = {"Cache-Control": "no-store", **result.headers}
        response: Response = HTMLResponse(html, status_code=result.status, headers=headers)
    else:
        response = result
    if visitor is not None:
        apply_cookies(request, response, visitor)
    return response


def error_page(exc: DomainError) -> Page:
    status, heading = lookup(exc)
    headers = {}
    if isinstance(exc, RateLimitedError):
        headers["Retry-After"] = str(max(1, math.ceil(exc.retry_after)))
    return Page(
        "error.html",
        {"heading": heading, "message": printable(exc.message), "title": heading},
        status=status,
        headers=headers,
    )


def route(path: str, handler: Handler, methods: tuple[str, ...] = ("GET",)) -> Route:
    """A page route; ``POST`` handlers get the posted form, checked for its CSRF token."""

    async def endpoint(request: Request) -> Response:
        container = container_of(request)
        form: dict[str, str] = {}
        try:
            if request.method == "POST":
                form = await read_form(request)
        except DomainError as exc:
            return _respond(request, None, error_page(exc))

        def work() -> Response:
            visitor: Visitor | None = None
            try:
                visitor = visitor_of(request, container, form)
                result = handler(request, visitor, form)
            except DomainError as exc:
                if lookup(exc)[0] >= 500:
                    log.error("%s %s failed: %s", request.method, request.url.path, exc.message)
                result = error_page(exc)
                if visitor is None:
                    visitor = Visitor(principal=ANONYMOUS, csrf="")
            except Exception:
                # A bug, not the visitor's doing: logged with its traceback, never shown.
                log.exception("%s %s failed", request.method, request.url.path)
                result = error_page(DomainError("the page failed; the error is logged"))
                visitor = visitor or Visitor(principal=ANONYMOUS, csrf="")
            return _respond(request, visitor, result)

        return await run_in_threadpool(work)

    return Route(path, endpoint, methods=list(methods))
