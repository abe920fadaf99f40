"""The caller's address as every front-end reads it: the connection's peer, or, when the
operator says a proxy stands in front (``auth.trust_forwarded_for``), the address that proxy
gives in ``X-Forwarded-For``.

A proxy appends the address it was connected from to whatever ``X-Forwarded-For`` the client
sent (nginx's ``$proxy_add_x_forwarded_for``, most load balancers), so only the **last** entry
is the proxy's word; the ones before it are the client's, and a client could write any
address there. Taking the first entry let a client choose its own address: spread sign-in
guesses and uploads over made-up addresses past the per-client limits, or satisfy a bucket
policy's ``aws:SourceIp`` condition from anywhere. Behind several proxies the last entry is
the address of the one before the nearest: requests are then counted per that proxy, never
per an address a client chose.
"""

from __future__ import annotations

from starlette.requests import HTTPConnection

MAX_ADDRESS = 64
"""Longer header values are cut: an address is never this long, and it is logged and keyed."""


def client_address(
    peer: str | None, forwarded_for: str | None, *, trust_forwarded_for: bool
) -> str | None:
    """The address to count and log the request under: the last ``X-Forwarded-For`` entry
    when ``trust_forwarded_for`` and the header has one, else ``peer`` (``None`` when the
    server does not know it)."""
    if trust_forwarded_for and forwarded_for:
        last = forwarded_for.rsplit(",", 1)[-1].strip()[:MAX_ADDRESS]
        if last:
            return last
    return peer


def request_address(request: HTTPConnection, *, trust_forwarded_for: bool) -> str | None:
    """:func:`client_address` of an HTTP request."""
    return client_address(
        request.client.host if request.client else None,
        request.headers.get("x-forwarded-for"),
        trust_forwarded_for=trust_forwarded_for,
    )
