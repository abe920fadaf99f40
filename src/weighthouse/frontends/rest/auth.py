"""Who is calling: the ``Authorization`` header turned into a domain principal.

Accepted: ``Bearer <token>``, and a bare ``<token>`` (what existing push scripts send).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from weighthouse.bootstrap import Container
from weighthouse.domain.access import Principal
from weighthouse.domain.errors import AuthenticationError

MAX_HEADER = 4096


def container(request: Request) -> Container:
    found: Container = request.app.state.container
    return found


def presented_token(header: str | None) -> str | None:
    """The token in an ``Authorization`` header, ``None`` when there is none."""
    if header is None:
        return None
    if len(header) > MAX_HEADER:
        raise AuthenticationError("the Authorization header is too long")
    scheme, _, rest = header.strip().partition(" ")
    if not rest:
        if not scheme:
            raise AuthenticationError("the Authorization header is empty")
        return scheme
    if scheme.lower() != "bearer" or not rest.strip() or " " in rest.strip():
        raise AuthenticationError("use 'Authorization: Bearer <token>'")
    return rest.strip()


def current_principal(request: Request) -> Principal:
    token = presented_token(request.headers.get("authorization"))
    return container(request).accounts.authenticate(token)


Caller = Annotated[Principal, Depends(current_principal)]
Wired = Annotated[Container, Depends(container)]
