"""What route handlers receive: the container, the caller's address, and the caller.

The caller is the domain ``Authenticator``'s answer to the credential the request carries
(:mod:`.credentials` extracts it); this module decides nothing about it.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from weighthouse import wire
from weighthouse.bootstrap import Container
from weighthouse.domain.access import Principal
from weighthouse.frontends import client_addresses as addresses
from weighthouse.frontends.rest.credentials import request_credential


def container(request: Request) -> Container:
    found: Container = request.app.state.container
    return found


def client_address(request: Request) -> str | None:
    """The caller's address; ``X-Forwarded-For`` counts only when the settings trust it."""
    return addresses.request_address(
        request, trust_forwarded_for=container(request).settings.auth.trust_forwarded_for
    )


def current_principal(request: Request) -> Principal:
    credential = request_credential(
        request.method,
        request.headers.get("authorization"),
        request.cookies.get(wire.SESSION_COOKIE),
        request.headers.get(wire.CSRF_HEADER),
    )
    return container(request).authenticator.authenticate(credential, client=client_address(request))


def remembered_principal(request: Request) -> Principal | None:
    """The caller as this process already knows it (the principal cache's own entries), or
    ``None`` when finding out would need the authenticator: :func:`current_principal` then
    answers, in a worker thread. Raises as :func:`current_principal` does."""
    credential = request_credential(
        request.method,
        request.headers.get("authorization"),
        request.cookies.get(wire.SESSION_COOKIE),
        request.headers.get(wire.CSRF_HEADER),
    )
    return container(request).authenticator.remembered(credential)


async def _wired(request: Request) -> Container:
    # A coroutine, so FastAPI calls it on the event loop: a plain function dependency would
    # cost every request a trip to a worker thread for one attribute read.
    return container(request)


Caller = Annotated[Principal, Depends(current_principal)]
Wired = Annotated[Container, Depends(_wired)]
