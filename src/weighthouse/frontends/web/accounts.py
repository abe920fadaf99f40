"""Sign-up, sign-in and sign-out pages. Passwords go through the same rate-limited checks as
the API's; a wrong name or password reads the same either way."""

from __future__ import annotations

from datetime import UTC, datetime

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from weighthouse.domain.errors import AuthenticationError, ConflictError, InvalidInputError
from weighthouse.frontends.web import urls
from weighthouse.frontends.web.pages import Page, container_of
from weighthouse.frontends.web.visitors import (
    Visitor,
    clear_session,
    client_address,
    set_session,
)


def _next_page(form: dict[str, str]) -> str:
    """Where to go after signing in: a page of this site only, never another origin."""
    target = form.get("next", "")
    if target.startswith(urls.MOUNT + "/") and not target.startswith("//") and "\\" not in target:
        return target
    return urls.page()


def _signed_in(request: Request, visitor: Visitor, name: str, password: str, to: str) -> Response:
    container = container_of(request)
    issued = container.sessions.sign_in(name, password, client=client_address(request, container))
    response = RedirectResponse(to, status_code=303)
    left = int((issued.session.expires_at - datetime.now(UTC)).total_seconds())
    set_session(request, response, issued.token, max(1, left))
    return response


def signin_form(request: Request, visitor: Visitor, form: dict[str, str]) -> Page:
    return Page("signin.html", {"title": "Sign in", "next": request.query_params.get("next", "")})


def signin(request: Request, visitor: Visitor, form: dict[str, str]) -> Page | Response:
    name, password = form.get("name", "").strip(), form.get("password", "")
    try:
        return _signed_in(request, visitor, name, password, _next_page(form))
    except AuthenticationError as exc:
        context = {"title": "Sign in", "error": exc.message, "name": name, "next": form.get("next")}
        return Page("signin.html", context, status=401)


def signup_form(request: Request, visitor: Visitor, form: dict[str, str]) -> Page:
    return Page("signup.html", {"title": "Sign up"})


def signup(request: Request, visitor: Visitor, form: dict[str, str]) -> Page | Response:
    container = container_of(request)
    name, password = form.get("name", "").strip(), form.get("password", "")
    if password != form.get("confirm", ""):
        context = {"title": "Sign up", "error": "the passwords differ", "name": name}
        return Page("signup.html", context, status=400)
    try:
        container.users.sign_up(name, password, client=client_address(request, container))
    except (InvalidInputError, ConflictError) as exc:
        context = {"title": "Sign up", "error": exc.message, "name": name}
        return Page(
            "signup.html", context, status=400 if isinstance(exc, InvalidInputError) else 409
        )
    return _signed_in(request, visitor, name, password, urls.page())


def signout(request: Request, visitor: Visitor, form: dict[str, str]) -> Response:
    if visitor.user is None:
        return RedirectResponse(urls.page(), status_code=303)
    container_of(request).sessions.sign_out(visitor.principal)
    response = RedirectResponse(urls.page(), status_code=303)
    clear_session(request, response)
    return response
