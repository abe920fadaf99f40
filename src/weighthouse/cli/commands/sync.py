"""``weighthouse sync``: make a bucket prefix (or a local folder) hold what another holds."""

from __future__ import annotations

import click

from weighthouse.cli.bucket_args import (
    LocationType,
    folder_can_exist,
    jobs_option,
    report_failures,
)
from weighthouse.cli.output import echo_json, json_option
from weighthouse.cli.remote import (
    Remote,
    human_size,
    progress_bars,
    progress_option,
    remote_command,
)
from weighthouse.client.bucket_paths import BucketLocation, Location
from weighthouse.client.bucket_transfers import (
    BucketFolder,
    LocalFolder,
    Side,
    execute,
    fill_digests,
)
from weighthouse.client.transfer_plan import TransferPlan, needs_digest, plan_sync


@click.command("sync")
@click.argument("source", metavar="SOURCE", type=LocationType())
@click.argument("target", metavar="TARGET", type=LocationType())
@click.option("--delete", is_flag=True, help="Also delete what TARGET holds and SOURCE does not.")
@click.option("--dry-run", is_flag=True, help="Only say what would be copied and deleted.")
@jobs_option
@json_option
@progress_option
@remote_command
def command(
    source: Location,
    target: Location,
    delete: bool,
    dry_run: bool,
    jobs: int,
    as_json: bool,
    progress: bool | None,
    remote: Remote,
) -> None:
    """Copy what is new or changed below SOURCE to TARGET (folders or bucket prefixes).

    An object is unchanged when its size and SHA-256 are equal on both sides; local files
    are hashed only when their size matches. Run it again and nothing is sent.
    """
    if not isinstance(source, BucketLocation) and not isinstance(target, BucketLocation):
        raise click.UsageError("one of SOURCE and TARGET must be a bucket location (wh://...)")
    source_side, target_side = _side(remote, source), _side(remote, target)
    if isinstance(source_side, LocalFolder) and not source_side.root.is_dir():
        raise click.UsageError(f"{source}: no such folder")
    mine, theirs = source_side.items(), target_side.items()
    names = needs_digest(mine, theirs)
    plan = plan_sync(
        fill_digests(source_side, mine, names),
        fill_digests(target_side, theirs, names),
        delete=delete,
    )
    if isinstance(source_side, LocalFolder):
        for skipped in source_side.skipped:
            click.echo(f"skipping {skipped.local}: {skipped.reason}", err=True)
    if dry_run:
        _show_plan(plan, as_json)
        return
    report = execute(
        plan,
        source_side,
        target_side,
        jobs=jobs,
        progress=progress_bars(progress),
        count_progress=progress_bars(progress, unit="obj"),
    )
    if as_json:
        echo_json(
            {
                "copied": list(report.copied),
                "deleted": list(report.deleted),
                "unchanged": [i.name for i in plan.unchanged],
                "failed": [{"name": n, "reason": r} for n, r in report.failed],
            }
        )
    else:
        click.echo(
            f"{len(report.copied)} copied ({human_size(plan.copy_bytes)}), "
            f"{len(report.deleted)} deleted, {len(plan.unchanged)} unchanged."
        )
    report_failures(report)


def _side(remote: Remote, location: Location) -> Side:
    if isinstance(location, BucketLocation):
        return BucketFolder(remote.client, location.bucket, location.folder)
    if location.path.exists() and not location.path.is_dir():
        raise click.UsageError(f"{location} is a file; sync works on folders")
    folder_can_exist(location.path)
    return LocalFolder(location.path)


def _show_plan(plan: TransferPlan, as_json: bool) -> None:
    if as_json:
        echo_json(
            {
                "copy": [i.name for i in plan.copies],
                "delete": [i.name for i in plan.deletes],
                "unchanged": [i.name for i in plan.unchanged],
            }
        )
        return
    for item in plan.copies:
        click.echo(f"would copy {item.name}")
    for item in plan.deletes:
        click.echo(f"would delete {item.name}")
    click.echo(
        f"{len(plan.copies)} to copy ({human_size(plan.copy_bytes)}), "
        f"{len(plan.deletes)} to delete, {len(plan.unchanged)} unchanged."
    )
