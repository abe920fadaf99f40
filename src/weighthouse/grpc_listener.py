"""The gRPC APIs' own listening port (``model_catalog.ModelCatalog``, ``weighthouse.v1.Hub``,
health checking and reflection), served by the same process (and the same workers) as the
REST API, on the same container; on when ``grpc.enabled``.

The core's use cases are synchronous, so the server is grpc's thread-pool server: each call
runs on one of ``grpc.threads`` threads, reads a client stream one message at a time as the
blob store consumes it, and sends a server stream one message at a time as the client takes
it (grpc's flow control), so memory stays flat whatever the file size. Calls beyond
``grpc.max_calls`` are refused with ``RESOURCE_EXHAUSTED`` rather than queued without end.

The REST application's lifespan starts and stops it (see :class:`WithGrpc`), like the S3
listener: with ``--workers N`` every worker binds the port with ``SO_REUSEPORT`` and the kernel
spreads connections over them; the supervisor first binds it too, so a port that is taken
stops ``serve`` at once.

TLS needs ``grpc.tls_cert`` and ``grpc.tls_key``. Without them the server refuses to start,
unless ``grpc.plaintext`` is set and the address is a loopback one: tokens must not cross a
network in the clear.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection
from starlette.types import ASGIApp, Receive, Scope, Send

from weighthouse.bootstrap import Container
from weighthouse.config import ConfigError, Settings

log = logging.getLogger("weighthouse.grpc")

GRACE_SECONDS = 5.0


def host_of(settings: Settings) -> str:
    return settings.grpc.host or settings.server.host


def check(settings: Settings) -> None:
    """Raise :class:`ConfigError` when the gRPC settings would send tokens in the clear."""
    grpc_settings = settings.grpc
    if grpc_settings.tls_cert is not None:
        return
    if not grpc_settings.plaintext:
        raise ConfigError(
            "grpc.enabled needs grpc.tls_cert and grpc.tls_key (or grpc.plaintext on loopback)"
        )
    if not _is_loopback(host_of(settings)):
        raise ConfigError("grpc.plaintext is only allowed on a loopback address")


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def bind(settings: Settings) -> socket.socket:
    """A socket bound to the gRPC address with ``SO_REUSEPORT``: the supervisor's hold on it."""
    host = host_of(settings)
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    try:
        sock.bind((host, settings.grpc.port))
    except OSError:
        sock.close()
        raise
    return sock


def create_server(container: Container, *, shared: bool) -> grpc.Server:
    """The gRPC server of ``container``, bound and not yet started."""
    # The services and their generated messages load here, in the processes that serve them.
    from weighthouse.frontends.grpc.hub import HubService
    from weighthouse.frontends.grpc.model_catalog import ModelCatalogService
    from weighthouse.frontends.grpc.protos import (
        hub_pb2,
        hub_pb2_grpc,
        model_catalog_pb2,
        model_catalog_pb2_grpc,
    )

    services = (
        model_catalog_pb2.DESCRIPTOR.services_by_name["ModelCatalog"].full_name,
        hub_pb2.DESCRIPTOR.services_by_name["Hub"].full_name,
    )
    settings = container.settings
    check(settings)
    options = settings.grpc
    server = grpc.server(
        ThreadPoolExecutor(max_workers=options.threads, thread_name_prefix="grpc"),
        options=[
            ("grpc.max_receive_message_length", options.max_message_bytes),
            ("grpc.max_send_message_length", options.max_message_bytes),
            ("grpc.so_reuseport", 1 if shared else 0),
        ],
        maximum_concurrent_rpcs=options.max_calls,
    )
    model_catalog_pb2_grpc.add_ModelCatalogServicer_to_server(  # type: ignore[no-untyped-call]
        ModelCatalogService(container), server
    )
    hub_pb2_grpc.add_HubServicer_to_server(HubService(container), server)  # type: ignore[no-untyped-call]
    checker = health.HealthServicer()
    for name in ("", *services):
        checker.set(name, health_pb2.HealthCheckResponse.SERVING)
    health_pb2_grpc.add_HealthServicer_to_server(checker, server)
    reflection.enable_server_reflection(
        (*services, health.SERVICE_NAME, reflection.SERVICE_NAME), server
    )
    host = host_of(settings)
    address = f"[{host}]:{options.port}" if ":" in host else f"{host}:{options.port}"
    try:
        if options.tls_cert is not None and options.tls_key is not None:
            pair = (options.tls_key.read_bytes(), options.tls_cert.read_bytes())
            bound = server.add_secure_port(address, grpc.ssl_server_credentials([pair]))
        else:
            bound = server.add_insecure_port(address)
    except RuntimeError as exc:  # grpc's answer to a port it cannot bind
        raise OSError(f"cannot listen for gRPC on {address}: {exc}") from None
    if bound == 0:
        raise OSError(f"cannot listen for gRPC on {address}")
    return server


class GrpcListener:
    def __init__(self, container: Container, *, shared: bool) -> None:
        self._container = container
        self._shared = shared
        self._server: grpc.Server | None = None

    def start(self) -> None:
        self._server = create_server(self._container, shared=self._shared)
        self._server.start()
        settings = self._container.settings
        scheme = "grpcs" if settings.grpc.tls_cert else "grpc"
        log.info("gRPC API on %s://%s:%d", scheme, host_of(settings), settings.grpc.port)

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop(GRACE_SECONDS).wait()
            self._server = None


class WithGrpc:
    """The application, plus the gRPC listener started and stopped by its lifespan."""

    def __init__(self, app: ASGIApp, listener: GrpcListener) -> None:
        self.app = app
        self._listener = listener

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "lifespan":
            await self.app(scope, receive, send)
            return

        async def receive_and_act() -> Any:
            message = await receive()
            if message["type"] == "lifespan.startup":
                self._listener.start()
            elif message["type"] == "lifespan.shutdown":
                self._listener.stop()
            return message

        await self.app(scope, receive_and_act, send)


def with_grpc(app: ASGIApp, container: Container, *, shared: bool) -> ASGIApp:
    """``app`` serving the gRPC port too when ``grpc.enabled``."""
    if not container.settings.grpc.enabled:
        return app
    check(container.settings)
    return WithGrpc(app, GrpcListener(container, shared=shared))
