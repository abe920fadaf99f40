"""``weighthouse rm``: delete an object, or with -r every object below a prefix."""

from __future__ import annotations

import click

from weighthouse.cli.bucket_args import LocationType, jobs_option, report_failures
from weighthouse.cli.remote import Remote, progress_bars, progress_option, remote_command
from weighthouse.client.bucket_paths import BucketLocation
from weighthouse.client.bucket_transfers import BucketFolder, execute
from weighthouse.client.transfer_plan import plan_removal


@click.command("rm")
@click.argument("location", metavar="wh://NS/BUCKET/KEY", type=LocationType(bucket_only=True))
@click.option("-r", "--recursive", is_flag=True, help="Delete every object below the prefix.")
@click.option("--dry-run", is_flag=True, help="Only list what would be deleted.")
@jobs_option
@progress_option
@remote_command
def command(
    location: BucketLocation,
    recursive: bool,
    dry_run: bool,
    jobs: int,
    progress: bool | None,
    remote: Remote,
) -> None:
    """Delete one object, or with -r every object whose key starts with the prefix (a
    prefix is taken as a folder: 'logs' means 'logs/'; the bucket itself stays)."""
    if not recursive:
        if location.is_prefix:
            raise click.UsageError(f"{location} names a folder; add -r to delete what it holds")
        if dry_run:
            remote.client.find_object(location.bucket, location.key)
            click.echo(f"would delete {location}")
            return
        remote.client.delete_object(location.bucket, location.key)
        click.echo(f"Deleted {location}.")
        return
    folder = BucketFolder(remote.client, location.bucket, location.folder)
    plan = plan_removal(folder.items())
    if dry_run:
        for item in plan.deletes:
            click.echo(f"would delete wh://{location.bucket}/{folder.key(item.name)}")
        return
    report = execute(
        plan, None, folder, jobs=jobs, count_progress=progress_bars(progress, unit="obj")
    )
    click.echo(f"{len(report.deleted)} deleted.")
    report_failures(report)
