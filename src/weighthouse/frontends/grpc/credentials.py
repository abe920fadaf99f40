"""gRPC call metadata turned into a credential value; no decisions.

A token travels in the ``user_token`` key, where the model catalog's clients put it, or as
``authorization: Bearer <token>``, the gRPC convention. Either holds a session token from
``SignUp``/``SignIn`` or an API token; the domain's authenticator tells them apart.
"""

from __future__ import annotations

from collections.abc import Iterable

from weighthouse.domain.credentials import BearerToken
from weighthouse.domain.errors import AuthenticationError
from weighthouse.frontends.grpc.wire import USER_TOKEN_KEY as USER_TOKEN

AUTHORIZATION = "authorization"
BEARER = "bearer "


def credential(metadata: Iterable[tuple[str, str | bytes]]) -> BearerToken | None:
    """The token the call carries, ``None`` when it carries none. Two different tokens, or an
    ``authorization`` value of another scheme, are refused rather than one picked."""
    found: set[str] = set()
    for key, value in metadata:
        if isinstance(value, bytes):
            continue  # binary (-bin) keys never hold a token
        if key == USER_TOKEN:
            found.add(value.strip())
        elif key == AUTHORIZATION:
            if not value.lower().startswith(BEARER):
                raise AuthenticationError("authorization must be 'Bearer <token>'")
            found.add(value[len(BEARER) :].strip())
    if len(found) > 1:
        raise AuthenticationError("send one token, in user_token or authorization, not two")
    if not found:
        return None
    return BearerToken(found.pop())


def client_address(peer: str) -> str | None:
    """The caller's address from grpc's peer string (``ipv4:1.2.3.4:5``, ``ipv6:[::1]:5``),
    for rate limits and the audit log."""
    kind, _, rest = peer.partition(":")
    if kind == "ipv4":
        return rest.rpartition(":")[0] or None
    if kind == "ipv6":
        return rest.rpartition(":")[0].strip("[]") or None
    return None
