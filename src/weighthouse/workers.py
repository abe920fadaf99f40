"""Several server processes on one port, one catalog and one blob store.

``weighthouse serve --workers N`` does, in its own process and before any worker exists, what
must happen once: migrate the catalog, make the session key ring, sweep temporaries left by
dead writers and create the first admin. It then hands the port to uvicorn's supervisor, which
starts N fresh interpreters; each builds its container with :func:`worker_app` from the same
settings and shares nothing with the others but the catalog, the blob store and the files in
the data directory (key ring, rate-limit counts).

What makes that safe:

* the key ring is created once, under a file lock, and each worker re-reads it when another
  process replaces it (``security/sessions.py``);
* sign-in attempts count in a file all workers share (``security/sqlite_ratelimit.py``) unless
  Redis is configured;
* temporaries carry their writer's host and process id, and a sweep removes only those of
  processes that are gone (``blobs/local.py``), so no worker deletes another's upload;
* SQLite runs in WAL mode with a busy timeout, and writers take the lock when they begin.

A worker whose supervisor dies (``kill -9``, the OOM killer) stops too, rather than serving on
as an orphan that holds the port.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from weighthouse.config import Settings
from weighthouse.config_sources import CONFIG_FILE_ENV

if TYPE_CHECKING:
    from starlette.types import ASGIApp

FACTORY = "weighthouse.workers:worker_app"


def run_workers(
    settings: Settings,
    processes: int,
    config_file: Path | None = None,
    *,
    log_level: str,
    options: Mapping[str, Any],
) -> None:
    """Serve with ``processes`` workers until the supervisor is told to stop (SIGINT/SIGTERM).

    The workers read their settings from the environment, as the factory of any ASGI server
    does, so the values the command line changed are put there first.
    """

    os.environ.update(settings_environment(settings, processes, config_file))
    # Each worker binds the S3 port itself (SO_REUSEPORT); binding it here first makes a port
    # that is taken stop the command before any worker starts, and holds it meanwhile.
    probe = None
    if settings.s3.enabled:
        from weighthouse.s3_listener import hold

        probe = hold(settings)
    grpc_probe = None
    try:
        if settings.grpc.enabled:
            from weighthouse import grpc_listener

            grpc_probe = grpc_listener.bind(settings, shared=True)
        _run(settings, processes, log_level, options)
    finally:
        if probe is not None:
            probe.close()
        if grpc_probe is not None:
            grpc_probe.close()


def _run(settings: Settings, processes: int, log_level: str, options: Mapping[str, Any]) -> None:
    import uvicorn

    uvicorn.run(
        FACTORY,
        factory=True,
        workers=processes,
        host=settings.server.host,
        port=settings.server.port,
        log_level=log_level,
        **options,
    )


def settings_environment(
    settings: Settings, processes: int, config_file: Path | None = None
) -> dict[str, str]:
    """The variables that make the settings a worker loads equal what the command line chose:
    the same config file (so a worker never falls back to another catalog) and the flags."""
    chosen = {CONFIG_FILE_ENV: str(config_file.resolve())} if config_file is not None else {}
    if settings.grpc.tls_cert is not None and settings.grpc.tls_key is not None:
        # The pair the command chose, its self-signed one included: a worker serves it as
        # given rather than reading it again.
        chosen["WEIGHTHOUSE_GRPC__TLS_CERT"] = str(settings.grpc.tls_cert.resolve())
        chosen["WEIGHTHOUSE_GRPC__TLS_KEY"] = str(settings.grpc.tls_key.resolve())
    return {
        **chosen,
        "WEIGHTHOUSE_DATA_DIR": str(settings.data_dir.resolve()),
        "WEIGHTHOUSE_SERVER__HOST": settings.server.host,
        "WEIGHTHOUSE_SERVER__PORT": str(settings.server.port),
        "WEIGHTHOUSE_SERVER__WORKERS": str(processes),
        "WEIGHTHOUSE_S3__PORT": str(settings.s3.port),
        "WEIGHTHOUSE_GRPC__PORT": str(settings.grpc.port),
    }


def worker_app() -> ASGIApp:
    """The application of one worker process (the factory uvicorn imports in each).

    It does not migrate or create the first admin: the command did both before the workers
    were started. It does sweep temporaries, which is safe beside live workers (only those of
    gone processes, or older than the grace period, go) and cleans up after a worker that the
    supervisor replaced because it died.
    """
    from weighthouse.allocator import bound_freed_memory, prepare_collector

    bound_freed_memory()  # a fresh interpreter: before its threads exist
    # The application is imported here, in the workers; the supervisor never needs it.
    from weighthouse.asgi import create_app
    from weighthouse.config_sources import load_settings
    from weighthouse.opening import open_deployment

    settings = load_settings()
    _stop_with_supervisor()
    # The command checked the deployment before starting the workers; checking again costs a
    # few queries and keeps a worker that a supervisor restarts later just as safe.
    container = open_deployment(settings, adopt=False)
    container.blobs.sweep_temporaries(
        container.clock() - timedelta(seconds=settings.gc_grace_seconds)
    )
    from weighthouse.s3_listener import with_s3

    app = with_s3(create_app(settings, container), container, shared=True)
    if settings.grpc.enabled:
        from weighthouse.grpc_listener import with_grpc

        app = with_grpc(app, container, shared=True)
    prepare_collector()
    return app


def _stop_with_supervisor() -> None:
    parent = multiprocessing.parent_process()
    if parent is None:  # not started by a supervisor: nothing to watch
        return

    def watch() -> None:
        parent.join()  # returns when the parent process has exited, however it ended
        os.kill(os.getpid(), signal.SIGTERM)  # uvicorn's graceful shutdown

    threading.Thread(target=watch, name="supervisor-watch", daemon=True).start()
