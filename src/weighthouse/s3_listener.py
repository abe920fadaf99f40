"""The S3 API's own listening socket, served by the same process (and the same workers) as
the REST API, on the same container.

The REST application's lifespan starts it and stops it (see :class:`WithS3`), so
``weighthouse serve`` with one process and every worker of ``--workers N`` serve both ports.
Workers each bind the S3 port with ``SO_REUSEPORT`` and the kernel spreads connections over
them, as uvicorn's supervisor does for the REST port by sharing one socket; the supervisor
first binds it too, so a port that is taken stops ``serve`` at once. TLS, when a certificate
and key are configured, applies to the S3 port only.
"""

from __future__ import annotations

import functools
import logging
import socket
from typing import Any

import uvicorn
from starlette.types import ASGIApp, Receive, Scope, Send

from weighthouse.bootstrap import Container
from weighthouse.config import Settings
from weighthouse.file_sends import ZeroCopyHttpProtocol
from weighthouse.frontends.http_limits import HttpLimits
from weighthouse.frontends.s3.app import S3App
from weighthouse.frontends.s3.refusals import S3_REFUSALS

log = logging.getLogger("weighthouse.s3")

# proxy_headers off: the client's address is the front-ends' to decide, as on the REST port
# (weighthouse.cli.commands.serve.uvicorn_options).
UVICORN_OPTIONS: dict[str, Any] = {"timeout_keep_alive": 30, "proxy_headers": False}


def http_protocol(settings: Settings) -> Any:
    """The S3 port's HTTP protocol: the REST port's limits (head size and count, head and
    body timeouts, connection cap, early answers closing) and zero-copy file sends (on plain
    TCP; not through TLS), with refusals as S3 error documents so S3 clients read their usual
    error codes."""
    return functools.partial(
        ZeroCopyHttpProtocol, limits=HttpLimits.of(settings.server), refusals=S3_REFUSALS
    )


def hold(settings: Settings) -> socket.socket:
    """The supervisor's hold on the S3 port, which its workers then bind beside it.

    The port is first bound without ``SO_REUSEPORT``: another server of the same user holding
    it with ``SO_REUSEPORT`` would otherwise let this one bind beside it, and the two would
    silently split its connections."""
    bind(settings, shared=False).close()
    return bind(settings, shared=True)


def bind(settings: Settings, *, shared: bool) -> socket.socket:
    """A socket bound to the S3 address; ``shared`` lets every worker bind the same port."""
    host = settings.s3.host or settings.server.host
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if shared:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    try:
        sock.bind((host, settings.s3.port))
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


class S3Listener:
    """Serves :class:`~weighthouse.frontends.s3.app.S3App` on the S3 port until stopped."""

    def __init__(self, container: Container, *, shared: bool) -> None:
        self._container = container
        self._shared = shared
        self._server: uvicorn.Server | None = None
        self._socket: socket.socket | None = None

    async def start(self) -> None:
        settings = self._container.settings
        s3 = settings.s3
        config = uvicorn.Config(
            S3App(self._container),
            lifespan="off",
            log_config=None,
            ssl_certfile=str(s3.tls_cert) if s3.tls_cert else None,
            ssl_keyfile=str(s3.tls_key) if s3.tls_key else None,
            http=http_protocol(settings),
            **UVICORN_OPTIONS,
        )
        config.load()
        server = uvicorn.Server(config)
        server.lifespan = config.lifespan_class(config)
        self._socket = bind(settings, shared=self._shared)
        await server.startup(sockets=[self._socket])
        self._server = server
        scheme = "https" if s3.tls_cert else "http"
        host = s3.host or settings.server.host
        log.info("S3 API on %s://%s:%d", scheme, host, s3.port)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
            await self._server.shutdown(sockets=[self._socket] if self._socket else None)
            self._server = None
        if self._socket is not None:
            self._socket.close()
            self._socket = None


class WithS3:
    """The REST application, plus the S3 listener started and stopped by its lifespan."""

    def __init__(self, app: ASGIApp, listener: S3Listener) -> None:
        self.app = app
        self._listener = listener

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "lifespan":
            await self.app(scope, receive, send)
            return

        async def receive_and_act() -> Any:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await self._listener.start()
            elif message["type"] == "lifespan.shutdown":
                await self._listener.stop()
            return message

        await self.app(scope, receive_and_act, send)


def with_s3(app: ASGIApp, container: Container, *, shared: bool) -> ASGIApp:
    """``app`` serving the S3 port too when ``s3.enabled`` (the default)."""
    if not container.settings.s3.enabled:
        return app
    return WithS3(app, S3Listener(container, shared=shared))
