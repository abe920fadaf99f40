"""The HTTP layer every API group shares: one ``httpx.Client``, the credentials (a bearer
token or HTTP Basic), turning error responses and transport failures into the client's errors,
pages, and URL quoting."""

from __future__ import annotations

import base64
import os
import ssl
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from functools import cache
from typing import Any
from urllib.parse import quote

import httpx

from weighthouse import __version__
from weighthouse.client.addresses import url_kind
from weighthouse.client.errors import ApiError, ServerUnreachableError
from weighthouse.domain.model import RepoType
from weighthouse.wire import API_PREFIX

DEFAULT_TIMEOUT = 60.0


@cache
def default_tls() -> ssl.SSLContext:
    """The TLS settings of every client of this process: httpx's defaults (certifi's roots,
    or ``SSL_CERT_FILE`` / ``SSL_CERT_DIR`` as set when first asked), made once.

    Why once: loading the roots takes about 18 ms of CPU, which httpx would spend on every
    client made; a context only read while connecting is safe to share between clients and
    threads.

    Raises ``OSError`` naming the variable when the roots it names cannot be loaded (a missing
    or unreadable file, or one without certificates), rather than an error that names no file.
    """
    try:
        return httpx.create_ssl_context()
    except OSError as exc:  # ssl.SSLError included
        for name in ("SSL_CERT_FILE", "SSL_CERT_DIR"):
            if value := os.environ.get(name):
                reason = exc.strerror if exc.strerror and exc.errno else str(exc)
                raise OSError(
                    f"the root certificates in {name}={value} cannot be loaded: {reason}"
                ) from exc
        raise


def quote_path(path: str) -> str:
    """Percent-encode a repo path or bucket key for a URL, keeping ``/`` between segments.

    ``.`` and ``..`` segments are encoded too: HTTP clients remove dot segments from URLs,
    and a bucket key such as ``../x`` must reach the server verbatim.
    """
    segments = []
    for segment in path.split("/"):
        if segment in (".", ".."):
            segments.append(segment.replace(".", "%2E"))
        else:
            segments.append(quote(segment, safe=""))
    return "/".join(segments)


def repo_path(repo: str, repo_type: RepoType | str) -> str:
    """``/api/<kind>/<namespace>/<name>`` for the repo ``namespace/name``."""
    namespace, _, name = repo.partition("/")
    if not namespace or not name or "/" in name:
        raise ValueError(f"expected a repo as namespace/name, got {repo!r}")
    return f"{API_PREFIX}/{url_kind(repo_type)}/{quote(namespace, safe='')}/{quote(name, safe='')}"


def authorization(
    token: str | None = None, *, user: str | None = None, password: str | None = None
) -> str | None:
    """The ``Authorization`` header value for a bearer ``token``, or for HTTP Basic with
    ``user`` and ``password`` (the password may also be a token); ``None`` for anonymous.

    Raises ``ValueError`` for both kinds at once, or for a half of Basic."""
    if user is not None or password is not None:
        if token:
            raise ValueError("give a token or a user and password, not both")
        if not user or password is None:
            raise ValueError("HTTP Basic needs both a user name and a password (or token)")
        if ":" in user:
            raise ValueError("a user name for HTTP Basic cannot contain ':'")
        pair = base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
        return f"Basic {pair}"
    return f"Bearer {token}" if token else None


def _reason(exc: httpx.TransportError) -> str:
    if isinstance(exc, httpx.TimeoutException):
        return f"timed out ({type(exc).__name__})"
    if isinstance(exc, httpx.RemoteProtocolError):
        return f"the connection broke off ({exc})"
    return str(exc) or type(exc).__name__


class Transport:
    """Owns the connection pool; close it with ``close()`` or a ``with`` block.

    Credentials are a ``token`` (an API token ``wh_…`` or a session token ``whs.…``, sent as
    ``Bearer``), or ``user`` with ``password`` for HTTP Basic, where the password may also be
    one of that user's tokens. Each password request is rate-limited on the server like a
    sign-in, so prefer ``sign_in`` and its session token for many requests.

    ``timeout`` is in seconds and applies to connecting and to each read or write, not to a
    whole transfer, so large downloads are not cut off. ``transport`` swaps the network for
    e.g. ``httpx.MockTransport`` in tests.
    """

    def __init__(
        self,
        url: str,
        token: str | None = None,
        *,
        user: str | None = None,
        password: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        header = authorization(token, user=user, password=password)
        self.url = url.rstrip("/")
        self.token = token
        self.user = user
        headers = {"User-Agent": f"weighthouse-client/{__version__}"}
        if header is not None:
            headers["Authorization"] = header
        self._http = httpx.Client(
            base_url=self.url,
            headers=headers,
            timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
            transport=transport,
            verify=default_tls(),
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Transport:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        content: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        """Send one request; raise ``ApiError`` for 4xx/5xx and ``ServerUnreachableError``
        when no answer came. A GET follows redirects (a blob store may hand out a presigned
        URL); the token is not sent to another origin."""
        try:
            response = self._http.request(
                method,
                path,
                params=_without_none(params),
                json=json,
                content=content,
                headers=headers,
                follow_redirects=method == "GET",
            )
        except httpx.TransportError as exc:
            raise ServerUnreachableError(self.url, _reason(exc)) from exc
        if response.status_code >= 400:
            raise ApiError.from_response(response)
        return response

    @contextmanager
    def stream(
        self, method: str, path: str, *, headers: Mapping[str, str] | None = None
    ) -> Iterator[httpx.Response]:
        """Like ``request`` but the body is left unread for the caller to iterate; a
        connection that breaks off mid-body also raises ``ServerUnreachableError``. After a
        redirect, ``response.history[0]`` holds the server's own headers."""
        try:
            with self._http.stream(
                method, path, headers=headers, follow_redirects=method == "GET"
            ) as response:
                if response.status_code >= 400:
                    response.read()
                    raise ApiError.from_response(response)
                yield response
        except httpx.TransportError as exc:
            raise ServerUnreachableError(self.url, _reason(exc)) from exc

    def pages(self, path: str, params: Mapping[str, Any] | None = None) -> Iterator[Any]:
        """Each page of a cursor-paginated listing, following ``next_cursor`` to the end."""
        query = dict(params or {})
        while True:
            page = self.request("GET", path, params=query).json()
            yield page
            cursor = page.get("next_cursor")
            if not cursor:
                return
            query["cursor"] = cursor


def _without_none(params: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if params is None:
        return None
    return {k: v for k, v in params.items() if v is not None}
