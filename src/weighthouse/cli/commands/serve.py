"""``weighthouse serve``: run the server. The first start on an empty catalog creates the
admin user and prints its token once."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import click

from weighthouse.cli.failures import CommandError
from weighthouse.cli.local import open_server, server_settings, settings_options
from weighthouse.config import Settings


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    """The uvicorn options of the one-process and the several-process server.

    The server speaks HTTP through :class:`ZeroCopyHttpProtocol`, which enforces the head
    size, header count, head and body timeouts and connection cap of ``settings.server`` and
    sends local files without copying them through Python.
    """
    from weighthouse.file_sends import ZeroCopyHttpProtocol
    from weighthouse.frontends.http_limits import HttpLimits

    limits = HttpLimits.of(settings.server)
    # A partial of a module-level class pickles, so the workers' supervisor can hand it over.
    return {
        "http": functools.partial(ZeroCopyHttpProtocol, limits=limits),
        "timeout_keep_alive": 30,
        # The client's address is the front-ends' to decide (auth.trust_forwarded_for,
        # weighthouse.frontends.client_addresses). Left on, uvicorn took X-Forwarded-For from
        # any peer on 127.0.0.1 as the address with the setting off: a local caller writing a
        # new address in each request was a new client to every per-client limit.
        "proxy_headers": False,
    }


def check_grpc_port(settings: Settings) -> None:
    """Check the gRPC settings and that the port is free before anything starts, so a clash
    is one clear error rather than a worker's traceback. With several processes,
    ``run_workers`` then holds the port; one process binds it when its server starts."""
    from weighthouse import grpc_listener

    grpc_listener.check(settings)
    grpc_listener.bind(settings, shared=False).close()


def prepare_grpc_certificate(settings: Settings) -> Settings:
    """Make the self-signed certificate on the first start when none is given, and show it
    with its fingerprint, so that clients know what to trust and can check it. Returns the
    settings the server runs with: with that pair as the port's certificate and key, which its
    processes then serve as given, without reading it again.

    The pair is read (and made) in a forked child: the certificate library it needs would
    otherwise stay in every server process (:mod:`weighthouse.forked`)."""
    from weighthouse import grpc_listener
    from weighthouse.forked import call_forked

    tls = call_forked(grpc_listener.certificate, settings)
    if tls is None or not tls.fingerprint:
        return settings
    grpc = settings.grpc.model_copy(update={"tls_cert": tls.cert_file, "tls_key": tls.key_file})
    made = "Made the" if tls.created else "Using the"
    click.echo(
        f"{made} self-signed gRPC certificate {tls.cert_file}\n"
        f"  SHA-256 fingerprint {tls.fingerprint}\n"
        "Clients trust it by taking that file as their root certificate; give a real one "
        "with grpc.tls_cert and grpc.tls_key.",
        err=True,
    )
    return settings.model_copy(update={"grpc": grpc})


@click.command("serve")
@settings_options
@click.option("--host", default=None, help="Address to bind (default 127.0.0.1).")
@click.option("--port", type=int, default=None, help="Port to bind (default 8000).")
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=None,
    help="Server processes (default: WEIGHTHOUSE_SERVER__WORKERS, else one per CPU core).",
)
@click.option("--log-level", default="info", show_default=True)
def command(
    config_file: Path | None,
    data_dir: Path | None,
    host: str | None,
    port: int | None,
    workers: int | None,
    log_level: str,
) -> None:
    """Serve the REST API, the S3 API on its own port (``s3.port``, default 9000) and the gRPC
    API on its own (``grpc.port``, default 50051, TLS), on the configured catalog and blob
    store.

    Refuses to start when the catalog and the blob store are not one deployment (an empty
    catalog over a store with blobs, or two different deployment ids).
    """
    # Imported here so that every other command starts without loading the server.
    from weighthouse.allocator import bound_freed_memory, prepare_collector
    from weighthouse.bootstrap import MEMORY_CATALOG_URL, server_processes, start

    bound_freed_memory()  # before the threads that move transfers' buffers exist

    settings = server_settings(
        config_file, data_dir, server={"host": host, "port": port, "workers": workers}
    )
    server = settings.server
    processes = server_processes(settings)
    if processes > 1 and settings.database_url == MEMORY_CATALOG_URL:
        raise CommandError(
            "a memory catalog lives in one process: use --workers 1 with it, or a database"
        )
    # The deployment check, migrations, the key ring, the sweep and the first admin happen
    # here, once, before any worker process exists.
    if settings.grpc.enabled:  # a taken port stops it before any change
        check_grpc_port(settings)
    container = open_server(settings, adopt=True)
    try:
        if settings.grpc.enabled:  # in a data directory that is this deployment's
            settings = container.settings = prepare_grpc_certificate(settings)
        issued = start(container)
    except BaseException:
        container.close()
        raise
    if issued is not None and settings.admin.token is not None:
        # The operator chose this token; repeating it would only put it in the logs.
        click.echo(
            f"Created the admin user {settings.admin.name!r} with the token from "
            "WEIGHTHOUSE_ADMIN__TOKEN.",
            err=True,
        )
    elif issued is not None:
        click.echo(
            f"Created the admin user {settings.admin.name!r}. Its token, shown only this once:\n"
            f"  {issued.secret}\n"
            "Sign in with:  weighthouse login --url "
            f"http://{server.host}:{server.port} --token <token>",
            err=True,
        )
    # One pool for the whole server, in this process: N server processes each running one
    # would multiply every queue's concurrency by N.
    pool = None
    if settings.jobs.workers and container.apps:
        from weighthouse.bootstrap import create_worker_pool

        pool = create_worker_pool(container)
        pool.start()
    # Once for the whole server too, for the same reason.
    timer = None
    if settings.s3.lifecycle_interval_seconds > 0:
        from weighthouse.jobs.lifecycle_timer import LifecycleTimer

        timer = LifecycleTimer(container.lifecycle, settings.s3.lifecycle_interval_seconds)
        timer.start()
    if processes > 1:
        from weighthouse.workers import run_workers

        try:
            run_workers(
                settings,
                processes,
                config_file,
                log_level=log_level,
                options=uvicorn_options(settings),
            )
        finally:
            if timer is not None:
                timer.stop()
            if pool is not None:
                pool.stop()
            container.close()
        return
    import uvicorn

    from weighthouse.asgi import create_app
    from weighthouse.s3_listener import with_s3

    app = with_s3(create_app(settings, container), container, shared=False)
    if settings.grpc.enabled:
        from weighthouse.grpc_listener import with_grpc

        app = with_grpc(app, container, shared=False)
    prepare_collector()
    try:
        uvicorn.run(
            app,
            host=server.host,
            port=server.port,
            log_level=log_level,
            **uvicorn_options(settings),
        )
    finally:
        if timer is not None:
            timer.stop()
        if pool is not None:
            pool.stop()
        container.close()
