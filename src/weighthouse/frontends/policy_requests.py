"""A request described in a bucket policy's terms, for the front-ends that serve buckets (S3
and REST): the facts every protocol has (who, from where, over what, when), attached to the
caller with the action it asks, so the permission service can hold a bucket's policy
against it (:func:`weighthouse.domain.access.require_bucket_access`).

Facts: ``aws:SourceIp`` (the caller's address as the front-end trusts it),
``aws:SecureTransport``, ``aws:CurrentTime``, ``aws:EpochTime``, ``aws:Referer``,
``aws:UserAgent``, ``aws:username`` and ``aws:userid`` (signed callers) and
``aws:PrincipalType`` (``User`` or ``Anonymous``).

The facts are gathered when a policy's condition first reads one (:class:`RequestFacts`):
most buckets have no policy and most statements no condition, and gathering them (the time
twice formatted, headers looked up) was about a twentieth of a small request's CPU.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import replace
from datetime import UTC, datetime

from starlette.requests import HTTPConnection

from weighthouse.domain.access import Principal
from weighthouse.domain.bucket_policy import PolicyRequest

Facts = dict[str, tuple[str, ...]]


def common_facts(request: HTTPConnection, principal: Principal, address: str | None) -> Facts:
    now = datetime.now(UTC)
    facts: Facts = {
        "aws:securetransport": ("true" if request.url.scheme == "https" else "false",),
        "aws:currenttime": (now.strftime("%Y-%m-%dT%H:%M:%SZ"),),
        "aws:epochtime": (str(int(now.timestamp())),),
        "aws:principaltype": ("Anonymous" if principal.user is None else "User",),
    }
    if address:
        facts["aws:sourceip"] = (address,)
    for header, fact in (("referer", "aws:referer"), ("user-agent", "aws:useragent")):
        value = request.headers.get(header)
        if value is not None:
            facts[fact] = (value,)
    if principal.user is not None:
        facts["aws:username"] = (principal.user.name,)
        facts["aws:userid"] = (principal.user.id,)
    return facts


class RequestFacts(Mapping[str, tuple[str, ...]]):
    """A request's facts, gathered by ``gather`` on first use and kept."""

    __slots__ = ("_facts", "_gather")

    def __init__(self, gather: Callable[[], Facts]) -> None:
        self._gather: Callable[[], Facts] | None = gather
        self._facts: Facts = {}

    def _all(self) -> Facts:
        if self._gather is not None:
            self._facts, self._gather = self._gather(), None
        return self._facts

    def __getitem__(self, key: str) -> tuple[str, ...]:
        return self._all()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._all())

    def __len__(self) -> int:
        return len(self._all())


def asking(
    principal: Principal,
    request: HTTPConnection,
    action: str,
    key: str | None,
    address: str | None,
    more: Mapping[str, tuple[str, ...]] | None = None,
) -> Principal:
    """``principal`` asking ``action`` (``s3:GetObject``) of the object ``key`` (``None``: of
    the bucket), with the request's facts and ``more``."""

    def gather() -> Facts:
        facts = common_facts(request, principal, address)
        facts.update(more or {})
        return facts

    return replace(principal, request=PolicyRequest(action, key, RequestFacts(gather)))
