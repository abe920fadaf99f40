"""``weighthouse gc``: remove blobs nothing refers to, and stale temporary uploads."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import click

from weighthouse.bootstrap import bootstrap
from weighthouse.cli.local import data_dir_option, local_settings


@click.command("gc")
@data_dir_option
@click.option(
    "--grace",
    type=click.IntRange(min=0),
    default=None,
    help="Keep unreferenced blobs younger than this many seconds (default: gc_grace_seconds).",
)
@click.option("--dry-run", is_flag=True, help="Report what would go, remove nothing.")
def command(data_dir: Path | None, grace: int | None, dry_run: bool) -> None:
    """Mark and sweep the blob store."""
    settings = local_settings(data_dir)
    container = bootstrap(settings)
    try:
        seconds = settings.gc_grace_seconds if grace is None else grace
        report = container.maintenance.gc(timedelta(seconds=seconds), dry_run=dry_run)
    finally:
        container.close()
    verb = "would remove" if dry_run else "removed"
    click.echo(
        f"gc: {verb} {report.blobs_removed} blobs ({report.bytes_removed} bytes); "
        f"kept {report.blobs_kept_in_grace} in the grace period; "
        f"removed {report.temporaries_removed} temporary uploads"
    )
