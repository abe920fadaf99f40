"""``weighthouse gc``: carry out the buckets' lifecycle rules, then remove blobs nothing refers
to, stale temporary uploads, and multipart uploads abandoned for longer than
``s3.abandoned_upload_seconds``. The blobs of objects a lifecycle rule expires go in a later
run, once past the grace period.

It only reports unless ``--delete`` is given, and refuses to delete when the catalog refers to
no blob at all while the store holds some (the wrong catalog, most likely) unless ``--force``.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import click

from weighthouse.cli.local import open_server, server_settings, settings_options


@click.command("gc")
@settings_options
@click.option(
    "--grace",
    type=click.IntRange(min=0),
    default=None,
    help="Keep unreferenced blobs younger than this many seconds (default: gc_grace_seconds).",
)
@click.option("--delete", is_flag=True, help="Remove what is found (default: only report it).")
@click.option("--dry-run", is_flag=True, help="Report what would go, remove nothing (default).")
@click.option(
    "--force",
    is_flag=True,
    help="With --delete: remove blobs even when the catalog refers to no blob at all.",
)
def command(
    config_file: Path | None,
    data_dir: Path | None,
    grace: int | None,
    delete: bool,
    dry_run: bool,
    force: bool,
) -> None:
    """Mark and sweep the blob store: report, or with --delete remove, unreferenced blobs."""
    if delete and dry_run:
        raise click.UsageError("--delete and --dry-run contradict each other")
    settings = server_settings(config_file, data_dir)
    container = open_server(settings)
    try:
        seconds = settings.gc_grace_seconds if grace is None else grace
        expired = container.lifecycle.apply(dry_run=not delete)
        report = container.maintenance.gc(
            timedelta(seconds=seconds),
            dry_run=not delete,
            force=force,
            abandoned_uploads=timedelta(seconds=settings.s3.abandoned_upload_seconds),
        )
    finally:
        container.close()
    verb = "removed" if delete else "would remove"
    click.echo(
        f"lifecycle: {'expired' if delete else 'would expire'} {expired.objects_expired} "
        f"objects, {verb} {expired.versions_removed} noncurrent versions and "
        f"{expired.delete_markers_removed} delete markers, "
        f"{'aborted' if delete else 'would abort'} {expired.uploads_aborted} multipart uploads "
        f"in {expired.buckets} buckets with lifecycle rules"
    )
    click.echo(
        f"gc: {verb} {report.blobs_removed} blobs ({report.bytes_removed} bytes); "
        f"kept {report.blobs_kept_in_grace} in the grace period; "
        f"removed {report.temporaries_removed} temporary uploads, "
        f"{report.multipart_uploads_removed} abandoned multipart uploads and "
        f"{report.manifests_removed} manifests no object names"
    )
    if not delete and report.blobs_removed:
        click.echo("gc: nothing was removed; run again with --delete to remove them", err=True)
