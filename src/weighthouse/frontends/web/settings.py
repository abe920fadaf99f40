"""The visitor's own settings: API tokens and S3 access keys. A new secret is shown once, on
the page that answers its creation, and never again; the lists show names, scopes and dates."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from weighthouse.domain.errors import InvalidInputError
from weighthouse.domain.model import Scope
from weighthouse.frontends.web import urls
from weighthouse.frontends.web.pages import Page, container_of
from weighthouse.frontends.web.visitors import Visitor

SCOPES = {"read": Scope.READ, "write": Scope.WRITE}


def _signin(request: Request) -> Response:
    return RedirectResponse(urls.page("signin", next=request.url.path), status_code=303)


def _page(request: Request, visitor: Visitor, **extra: Any) -> Page:
    container = container_of(request)
    context = {
        "title": "Settings",
        "tokens": container.tokens.list(visitor.principal),
        "keys": container.access_keys.list(visitor.principal),
        **extra,
    }
    return Page("settings.html", context)


def settings(request: Request, visitor: Visitor, form: dict[str, str]) -> Page | Response:
    if visitor.user is None:
        return _signin(request)
    return _page(request, visitor)


def _scope(form: dict[str, str]) -> Scope:
    scope = SCOPES.get(form.get("scope", ""))
    if scope is None:
        raise InvalidInputError("choose read or write")
    return scope


def create_token(request: Request, visitor: Visitor, form: dict[str, str]) -> Page | Response:
    if visitor.user is None:
        return _signin(request)
    issued = container_of(request).tokens.create(
        visitor.principal, form.get("name", "").strip(), _scope(form)
    )
    return _page(
        request, visitor, new_secret=issued.secret, new_what="token", new_id=issued.token.id
    )


def revoke_token(request: Request, visitor: Visitor, form: dict[str, str]) -> Response:
    if visitor.user is None:
        return _signin(request)
    container_of(request).tokens.revoke(visitor.principal, request.path_params["id"])
    return RedirectResponse(urls.page("settings"), status_code=303)


def create_key(request: Request, visitor: Visitor, form: dict[str, str]) -> Page | Response:
    if visitor.user is None:
        return _signin(request)
    issued = container_of(request).access_keys.create(
        visitor.principal, form.get("name", "").strip(), _scope(form)
    )
    return _page(
        request, visitor, new_secret=issued.secret, new_what="access key", new_id=issued.key.id
    )


def revoke_key(request: Request, visitor: Visitor, form: dict[str, str]) -> Response:
    if visitor.user is None:
        return _signin(request)
    container_of(request).access_keys.revoke(visitor.principal, request.path_params["id"])
    return RedirectResponse(urls.page("settings"), status_code=303)
