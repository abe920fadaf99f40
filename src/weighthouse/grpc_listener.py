"""The gRPC APIs' own listening port (``model_catalog.ModelCatalog``, ``weighthouse.v1.Hub``,
health checking and reflection), served by the same process (and the same workers) as the
REST API, on the same container; on unless ``grpc.enabled`` is false.

The core's use cases are synchronous, so the server is grpc's thread-pool server: each call
runs on one of ``grpc.threads`` threads, reads a client stream one message at a time as the
blob store consumes it, and sends a server stream one message at a time as the client takes
it (grpc's flow control), so memory stays flat whatever the file size. Calls beyond
``grpc.max_calls`` are refused with ``RESOURCE_EXHAUSTED`` rather than queued without end.

The REST application's lifespan starts and stops it (see :class:`WithGrpc`), like the S3
listener: with ``--workers N`` every worker binds the port with ``SO_REUSEPORT`` and the kernel
spreads connections over them; the supervisor first binds it too, so a port that is taken
stops ``serve`` at once.

The port always speaks TLS, with ``grpc.tls_cert`` and ``grpc.tls_key`` when they are given,
else with a self-signed certificate the server makes on its first start and keeps in the data
directory (``secrets/grpc-cert.pem``, its key in ``secrets/grpc-key.pem``), whose fingerprint
``serve`` prints. Plaintext needs ``grpc.plaintext`` and a loopback address: tokens must not
cross a network in the clear.
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
from weighthouse.security import self_signed

log = logging.getLogger("weighthouse.grpc")

GRACE_SECONDS = 5.0
STREAM_WINDOW_BYTES = 4 * 2**20
"""Received bytes grpc may hold per call: a few messages, enough for a link's latency."""


def host_of(settings: Settings) -> str:
    return settings.grpc.host or settings.server.host


def check(settings: Settings) -> None:
    """Raise :class:`ConfigError` when the gRPC settings would send tokens in the clear."""
    if is_plaintext(settings) and not _is_loopback(host_of(settings)):
        raise ConfigError(
            "grpc.plaintext is only allowed on a loopback address; leave it off to serve TLS"
        )


def is_plaintext(settings: Settings) -> bool:
    """Plaintext when asked for and no certificate is given (a given one always wins)."""
    return settings.grpc.plaintext and settings.grpc.tls_cert is None


def certificate(settings: Settings) -> self_signed.Certificate | None:
    """The certificate and key the port serves, ``None`` for plaintext: the configured pair,
    else the self-signed one in the data directory, made on first use (see
    :mod:`weighthouse.security.self_signed`). Raises :class:`OSError` when it cannot be read
    or made."""
    options = settings.grpc
    if is_plaintext(settings):
        return None
    if options.tls_cert is not None and options.tls_key is not None:
        return self_signed.Certificate(options.tls_cert, options.tls_key, "", created=False)
    folder = (settings.data_dir / "secrets").resolve()
    return self_signed.ensure(
        folder / "grpc-cert.pem", folder / "grpc-key.pem", certificate_hosts(host_of(settings))
    )


def certificate_hosts(host: str) -> set[str]:
    """The names a self-signed certificate covers: the bind address, and the loopback ones
    every local client uses; for a wildcard bind, this machine's name too."""
    hosts = {"localhost", "127.0.0.1", "::1"}
    try:
        wildcard = not host or ipaddress.ip_address(host).is_unspecified
    except ValueError:
        wildcard = False
    hosts.add(socket.gethostname() if wildcard else host)
    return hosts


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def bind(settings: Settings, *, shared: bool) -> socket.socket:
    """A socket bound to the gRPC address: the supervisor's hold on it when ``shared`` (with
    ``SO_REUSEPORT``, which its workers bind too), else a probe to close before the server
    binds. Raises :class:`OSError` naming the port and the settings that move it.

    A shared port is first bound without ``SO_REUSEPORT``: another server of the same user
    holding it with ``SO_REUSEPORT`` would otherwise let this one bind beside it, and the two
    would silently split its connections."""
    sock = _bound(settings, reuse_port=False)
    if not shared:
        return sock
    sock.close()
    return _bound(settings, reuse_port=True)


def _bound(settings: Settings, *, reuse_port: bool) -> socket.socket:
    host = host_of(settings)
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if reuse_port:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    try:
        sock.bind((host, settings.grpc.port))
    except OSError as exc:
        sock.close()
        raise OSError(
            exc.errno,
            f"cannot listen for gRPC on {host}:{settings.grpc.port}: {exc.strerror}; "
            "choose another port with grpc.port (WEIGHTHOUSE_GRPC__PORT) or turn gRPC off "
            "with grpc.enabled = false (WEIGHTHOUSE_GRPC__ENABLED=false)",
        ) from None
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
            # A fixed window per stream instead of one that BDP probing grows: when a call's
            # thread falls behind (a busy machine), grpc holds at most this much received
            # data for it. bench/grpc_vs_rest.py, 512 MiB over TLS: peak RSS 205 MB with
            # probing, 162 MB without, at the same throughput.
            ("grpc.http2.bdp_probe", 0),
            ("grpc.http2.lookahead_bytes", STREAM_WINDOW_BYTES),
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
    tls = certificate(settings)
    try:
        if tls is not None:
            pair = (tls.key_file.read_bytes(), tls.cert_file.read_bytes())
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
        scheme = "grpc" if is_plaintext(settings) else "grpcs"
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
    """``app`` serving the gRPC port too when ``grpc.enabled`` (the default)."""
    if not container.settings.grpc.enabled:
        return app
    check(container.settings)
    return WithGrpc(app, GrpcListener(container, shared=shared))
