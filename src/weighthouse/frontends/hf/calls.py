"""What a Hub route handler receives: the request, its path parameters, the container, and the
caller as the one authenticator decides."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse

from weighthouse.bootstrap import Container
from weighthouse.domain.access import Principal
from weighthouse.domain.errors import InvalidInputError, RepoNotFoundError, TooLargeError
from weighthouse.domain.model import RepoId, RepoType
from weighthouse.frontends.client_addresses import request_address
from weighthouse.frontends.rest.credentials import credential_from

KINDS = {"models": RepoType.MODEL, "datasets": RepoType.DATASET}
"""URL plurals of the repo types the Hub front-end serves (spaces and buckets are not Hub
repos here)."""
PREFIXES = {RepoType.MODEL: "models/", RepoType.DATASET: "datasets/"}
"""What comes before ``ns/name`` in the repo URLs this front-end returns. The Hub leaves it out
for models, but 0.x clients read the path segment before ``ns/name`` as the repo type, which
under an endpoint with a path (``…/hf``) would be ``hf``; every client reads ``models/``."""


@dataclass
class Call:
    request: Request
    params: dict[str, str]
    hub: Container
    _principal: Principal | None = field(default=None, init=False)

    async def caller(self) -> Principal:
        """The authenticated caller; anonymous without credentials, ``AuthenticationError``
        for bad ones."""
        if self._principal is None:
            credential = credential_from(self.request.headers.get("authorization"))
            client = request_address(
                self.request, trust_forwarded_for=self.hub.settings.auth.trust_forwarded_for
            )
            self._principal = await run_in_threadpool(
                self.hub.authenticator.authenticate, credential, client=client
            )
        return self._principal

    def repo_id(self, kind: RepoType | None = None) -> RepoId:
        """The repo the path names: ``{kind}`` (a URL plural) unless given, ``{ns}/{name}``."""
        if kind is None:
            kind = repo_type(self.params["kind"], f"{self.params['ns']}/{self.params['name']}")
        return RepoId(kind, self.params["ns"], self.params["name"])

    @property
    def endpoint(self) -> str:
        """The Hub endpoint as this client reached it, for URLs it will parse and compare
        with its own ``HF_ENDPOINT``."""
        return f"{self.origin}{self.request.scope.get('root_path', '')}".rstrip("/")

    @property
    def origin(self) -> str:
        """Scheme, host and any path prefix a reverse proxy added in front of the server
        (from ``X-Forwarded-*`` only when ``hf.trust_forwarded_host`` is set)."""
        url = self.request.url
        scheme, netloc, prefix = url.scheme, url.netloc, ""
        if self.hub.settings.hf.trust_forwarded_host:
            headers = self.request.headers
            proto = _first(headers.get("x-forwarded-proto"))
            host = _first(headers.get("x-forwarded-host"))
            forwarded_prefix = _first(headers.get("x-forwarded-prefix"))
            scheme = proto if proto in ("http", "https") else scheme
            netloc = host if host and _HOST.fullmatch(host) else netloc
            if forwarded_prefix and _PREFIX.fullmatch(forwarded_prefix):
                prefix = forwarded_prefix.rstrip("/")
        return f"{scheme}://{netloc}{prefix}"

    async def json_body(self, limit: int | None = None) -> dict[str, Any]:
        """The request's JSON object, refused past ``max_json_bytes`` while reading."""
        data = await self.body(limit)
        try:
            value = json.loads(data or b"{}")
        except (ValueError, UnicodeDecodeError):
            raise InvalidInputError("the body is not valid JSON") from None
        if not isinstance(value, dict):
            raise InvalidInputError("the body must be a JSON object")
        return value

    async def body(self, limit: int | None = None) -> bytes:
        limit = limit or self.hub.settings.max_json_bytes
        chunks: list[bytes] = []
        size = 0
        async for chunk in self.request.stream():
            size += len(chunk)
            if size > limit:
                raise TooLargeError(f"the body is larger than {limit} bytes")
            chunks.append(chunk)
        return b"".join(chunks)


def _first(value: str | None) -> str | None:
    """The first of a comma-separated header's values, as the proxy nearest the client set it."""
    return value.split(",")[0].strip() if value else None


_HOST = re.compile(r"[A-Za-z0-9.\-]{1,253}(:[0-9]{1,5})?|\[[0-9A-Fa-f:.]{2,45}\](:[0-9]{1,5})?")
_PREFIX = re.compile(r"(/[A-Za-z0-9._~\-]+)+/?")


def repo_type(plural: str, full_name: str) -> RepoType:
    kind = KINDS.get(plural)
    if kind is None:
        raise RepoNotFoundError.named(full_name)
    return kind


def json_response(
    value: Any, status: int = 200, headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(value, status_code=status, headers=headers)


def next_link(call: Call, **query: str) -> str:
    """A ``Link: <url>; rel="next"`` header value: this very URL, on the raw path (so an
    encoded revision stays encoded), with ``query`` replacing those parameters."""
    url = call.request.url
    raw_path = call.request.scope.get("raw_path") or url.path.encode()
    params = [(k, v) for k, v in call.request.query_params.multi_items() if k not in query]
    params += list(query.items())
    target = f"{call.origin}{raw_path.decode('latin-1')}?{urlencode(params)}"
    return f'<{target}>; rel="next"'
