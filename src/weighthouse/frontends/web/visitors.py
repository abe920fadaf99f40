"""Who is looking at a page: a cookie session turned into a principal by the domain.

The session token travels in an ``HttpOnly`` cookie (``Secure`` when the request came over
TLS, ``SameSite=Lax``); a form that changes something must carry the session's CSRF token,
which :class:`~weighthouse.domain.credentials.CookieSession` and the domain's authenticator
check. A signed-out visitor's forms (sign-in, sign-up) carry a random token that must match
a cookie of its own (:func:`~weighthouse.domain.credentials.check_form_token`).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

from starlette.requests import Request
from starlette.responses import Response

from weighthouse import wire
from weighthouse.bootstrap import Container
from weighthouse.domain.access import ANONYMOUS, Principal
from weighthouse.domain.credentials import (
    CookieSession,
    check_form_token,
    csrf_token,
)
from weighthouse.domain.errors import AuthenticationError
from weighthouse.domain.model import User
from weighthouse.frontends import client_addresses as addresses

SESSION_COOKIE = wire.SESSION_COOKIE
FORM_COOKIE = "weighthouse_form"
CSRF_FIELD = "csrf"
COOKIE_PATH = "/"
"""The session cookie reaches the API too, which reads no cookies today; the browser upload
sends it with the CSRF token in a header."""
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass
class Visitor:
    """The caller of one page request, and the cookies the response must set or clear."""

    principal: Principal
    csrf: str
    """The token the page's forms carry."""
    session: str | None = field(default=None, repr=False)
    new_form_cookie: str | None = field(default=None, repr=False)
    clear_session: bool = False

    @property
    def user(self) -> User | None:
        return self.principal.user


def client_address(request: Request, container: Container) -> str | None:
    """The caller's address; ``X-Forwarded-For`` counts only when the settings trust it."""
    return addresses.request_address(
        request, trust_forwarded_for=container.settings.auth.trust_forwarded_for
    )


def visitor_of(
    request: Request, container: Container, form: dict[str, str] | None = None
) -> Visitor:
    """The visitor of ``request``; ``form`` is the posted form of an unsafe request.

    A page that only reads treats a bad or ended session as signed out (and clears its
    cookie). A post is refused with ``PermissionDeniedError`` (reason ``csrf``) when its token
    is wrong, and with ``AuthenticationError`` when its session has ended.
    """
    unsafe = request.method not in SAFE_METHODS
    token = request.cookies.get(SESSION_COOKIE) or None
    given = (form or {}).get(CSRF_FIELD)
    if token is not None:
        credential = CookieSession(session=token, csrf=given, unsafe=unsafe)
        try:
            principal = container.authenticator.authenticate(
                credential, client=client_address(request, container)
            )
        except AuthenticationError:
            if unsafe:
                raise
            return _signed_out(request, clear_session=True)
        return Visitor(principal=principal, csrf=csrf_token(token), session=token)
    if unsafe:
        check_form_token(request.cookies.get(FORM_COOKIE), given)
    return _signed_out(request)


def _signed_out(request: Request, *, clear_session: bool = False) -> Visitor:
    current = request.cookies.get(FORM_COOKIE)
    if current and len(current) >= 32 and current.isascii():
        return Visitor(principal=ANONYMOUS, csrf=current, clear_session=clear_session)
    fresh = secrets.token_urlsafe(32)
    return Visitor(
        principal=ANONYMOUS, csrf=fresh, new_form_cookie=fresh, clear_session=clear_session
    )


def secure(request: Request) -> bool:
    return request.url.scheme == "https"


def set_session(request: Request, response: Response, token: str, max_age: int) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=max_age,
        path=COOKIE_PATH,
        httponly=True,
        secure=secure(request),
        samesite="lax",
    )


def clear_session(request: Request, response: Response) -> None:
    response.delete_cookie(
        SESSION_COOKIE, path=COOKIE_PATH, httponly=True, secure=secure(request), samesite="lax"
    )


def apply_cookies(request: Request, response: Response, visitor: Visitor) -> None:
    """Set the cookies the visitor's request called for on ``response``."""
    if visitor.clear_session:
        clear_session(request, response)
    if visitor.new_form_cookie is not None:
        response.set_cookie(
            FORM_COOKIE,
            visitor.new_form_cookie,
            path="/ui",
            httponly=True,
            secure=secure(request),
            samesite="strict",
        )
