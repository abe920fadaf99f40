"""``weighthouse worker``: run jobs in a process of its own, on the server's catalog and blob
store, beside ``weighthouse serve`` and any number of other workers."""

from __future__ import annotations

import signal
import threading
from pathlib import Path
from types import FrameType

import click

from weighthouse.cli.failures import CommandError
from weighthouse.cli.local import open_server, server_settings, settings_options


@click.command("worker")
@settings_options
@click.option(
    "--concurrency",
    type=click.IntRange(min=1, max=64),
    default=None,
    help="Jobs at once per queue (default: WEIGHTHOUSE_JOBS__CONCURRENCY, else 1).",
)
def command(config_file: Path | None, data_dir: Path | None, concurrency: int | None) -> None:
    """Claim and run jobs until stopped (SIGINT or SIGTERM). A job this process was running
    when it stopped, or died, runs again once its lease runs out."""
    from weighthouse.bootstrap import MEMORY_CATALOG_URL, create_worker_pool

    settings = server_settings(config_file, data_dir, jobs={"concurrency": concurrency})
    if settings.database_url == MEMORY_CATALOG_URL:
        raise CommandError(
            "a memory catalog lives in the server's process; workers need a database"
        )
    container = open_server(settings)
    stopping = threading.Event()

    def stop(signum: int, frame: FrameType | None) -> None:
        stopping.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    pool = create_worker_pool(container)
    if not container.apps:
        container.close()
        raise CommandError("no app is installed: see the setting jobs.apps")
    pool.start()
    click.echo(f"worker {pool.name} runs {', '.join(sorted(container.apps))}", err=True)
    try:
        while not stopping.wait(1.0):
            pass
    finally:
        pool.stop()
        container.close()
