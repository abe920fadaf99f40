"""The ``Authorization`` header turned into a credential value; no decisions.

Without an ``Authorization`` header, the web UI's session cookie counts, with the CSRF token
of its ``X-CSRF-Token`` header on requests that change something (:func:`request_credential`).

Accepted: ``Bearer <token>`` (API or session token), ``Basic base64(user:password)`` and
``Basic base64(user:token)`` (the form git and many clients use), and a bare ``<token>`` (what
existing push scripts send). A header that is none of these is a 401 with a clear message;
whether a well-formed credential is any good is for the domain's ``Authenticator``.
"""

from __future__ import annotations

import base64
import binascii

from weighthouse.domain.credentials import (
    BareToken,
    BasicAuth,
    BearerToken,
    CookieSession,
    Credential,
)
from weighthouse.domain.errors import AuthenticationError

MAX_HEADER = 4096


def credential_from(header: str | None) -> Credential | None:
    """The credential an ``Authorization`` header carries; ``None`` without one."""
    if header is None:
        return None
    if len(header) > MAX_HEADER:
        raise AuthenticationError("the Authorization header is too long")
    scheme, _, rest = header.strip().partition(" ")
    rest = rest.strip()
    if not rest:
        if not scheme:
            raise AuthenticationError("the Authorization header is empty")
        if scheme.lower() in ("bearer", "basic"):
            raise AuthenticationError(f"the {scheme} credentials are missing")
        return BareToken(scheme)
    if " " in rest:
        raise AuthenticationError("use 'Authorization: Bearer <token>'")
    if scheme.lower() == "bearer":
        return BearerToken(rest)
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(rest, validate=True).decode("utf-8")
        except (binascii.Error, ValueError):
            raise AuthenticationError("the Basic credentials are not valid base64") from None
        user, sep, secret = decoded.partition(":")
        if not sep or not user:
            raise AuthenticationError("the Basic credentials must be 'user:password'")
        return BasicAuth(user, secret)
    raise AuthenticationError("use 'Authorization: Bearer <token>' or HTTP Basic")


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def request_credential(
    method: str, authorization: str | None, session_cookie: str | None, csrf: str | None
) -> Credential | None:
    """The credential of a request: its ``Authorization`` header when it has one, else the web
    UI's session cookie (a :class:`CookieSession`, whose CSRF token the domain checks on
    requests other than GET, HEAD and OPTIONS); ``None`` with neither."""
    if authorization is not None or not session_cookie:
        return credential_from(authorization)
    return CookieSession(session=session_cookie, csrf=csrf, unsafe=method not in SAFE_METHODS)
