"""Who is calling: the ``Authorization`` header turned into domain credentials.

Accepted: ``Bearer <token>`` (API or session token), ``Basic base64(user:password)`` and
``Basic base64(user:token)`` (the form git and many clients use), and a bare ``<token>`` (what
existing push scripts send). Anything else is a 401 with a clear message.
"""

from __future__ import annotations

import base64
import binascii
from typing import Annotated

from fastapi import Depends, Request

from weighthouse.bootstrap import Container
from weighthouse.domain.access import Principal
from weighthouse.domain.accounts import Credentials
from weighthouse.domain.errors import AuthenticationError

MAX_HEADER = 4096


def container(request: Request) -> Container:
    found: Container = request.app.state.container
    return found


def client_address(request: Request) -> str | None:
    """The caller's address; ``X-Forwarded-For`` counts only when the settings trust it."""
    if container(request).settings.auth.trust_forwarded_for:
        forwarded = request.headers.get("x-forwarded-for")
        if forwarded:
            return forwarded.split(",")[0].strip()[:64] or None
    return request.client.host if request.client else None


def credentials_from(header: str | None, client: str | None = None) -> Credentials:
    if header is None:
        return Credentials(client=client)
    if len(header) > MAX_HEADER:
        raise AuthenticationError("the Authorization header is too long")
    scheme, _, rest = header.strip().partition(" ")
    rest = rest.strip()
    if not rest:
        if not scheme:
            raise AuthenticationError("the Authorization header is empty")
        if scheme.lower() in ("bearer", "basic"):
            raise AuthenticationError(f"the {scheme} credentials are missing")
        return Credentials(bearer=scheme, client=client)
    if " " in rest:
        raise AuthenticationError("use 'Authorization: Bearer <token>'")
    if scheme.lower() == "bearer":
        return Credentials(bearer=rest, client=client)
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(rest, validate=True).decode("utf-8")
        except (binascii.Error, ValueError):
            raise AuthenticationError("the Basic credentials are not valid base64") from None
        user, sep, secret = decoded.partition(":")
        if not sep or not user:
            raise AuthenticationError("the Basic credentials must be 'user:password'")
        return Credentials(basic_user=user, basic_secret=secret, client=client)
    raise AuthenticationError("use 'Authorization: Bearer <token>' or HTTP Basic")


def current_principal(request: Request) -> Principal:
    credentials = credentials_from(request.headers.get("authorization"), client_address(request))
    return container(request).accounts.authenticate(credentials)


Caller = Annotated[Principal, Depends(current_principal)]
Wired = Annotated[Container, Depends(container)]
