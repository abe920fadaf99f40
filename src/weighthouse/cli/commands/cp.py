"""``weighthouse cp``: objects between local files and buckets, and between buckets."""

from __future__ import annotations

import click

from weighthouse.cli.bucket_args import (
    LocationType,
    folder_can_exist,
    jobs_option,
    report_failures,
)
from weighthouse.cli.remote import (
    Remote,
    human_size,
    progress_bars,
    progress_option,
    remote_command,
)
from weighthouse.client.bucket_paths import BucketLocation, Location, base_name
from weighthouse.client.bucket_transfers import (
    BucketFolder,
    LocalFolder,
    Side,
    copy_one,
    execute,
)
from weighthouse.client.local_files import local_target
from weighthouse.client.transfer_plan import Item, plan_copy


@click.command("cp")
@click.argument("source", metavar="SOURCE", type=LocationType())
@click.argument("target", metavar="TARGET", type=LocationType())
@click.option("-r", "--recursive", is_flag=True, help="Copy every object below SOURCE.")
@jobs_option
@progress_option
@remote_command
def command(
    source: Location,
    target: Location,
    recursive: bool,
    jobs: int,
    progress: bool | None,
    remote: Remote,
) -> None:
    """Copy a file or object to a bucket or a local path; with -r, a folder or prefix.

    Locations are wh://NS/BUCKET/KEY or NS/BUCKET/KEY; anything starting with '/', '.' or
    '~', without a '/', or whose first part exists here is a local path. With -r the
    objects below SOURCE land below TARGET under the same relative names, as with
    'aws s3 cp --recursive'. Without -r, a TARGET ending in '/' (or an existing folder)
    receives the object under its own name; a local folder written so is made if missing.
    """
    if not isinstance(source, BucketLocation) and not isinstance(target, BucketLocation):
        raise click.UsageError("one of SOURCE and TARGET must be a bucket location (wh://...)")
    bars = progress_bars(progress)
    if recursive:
        source_side, target_side = _folder(remote, source), _folder(remote, target)
        items = source_side.items()
        if not items:
            raise click.UsageError(f"nothing to copy below {source}")
        report = execute(plan_copy(items), source_side, target_side, jobs=jobs, progress=bars)
        click.echo(f"{len(report.copied)} copied ({human_size(_bytes(items, report.copied))}).")
        report_failures(report)
        return
    one_source, name, size = _one(remote, source)
    one_target, target_name = _one_target(remote, target, base_name(name))
    bar = bars("copying", size)
    try:
        copy_one(one_source, one_target, name, bar.update, target_name=target_name)
    finally:
        bar.close()
    click.echo(f"Copied {source} to {_shown(one_target, target_name)} ({human_size(size)}).")


def _folder(remote: Remote, location: Location) -> Side:
    if isinstance(location, BucketLocation):
        return BucketFolder(remote.client, location.bucket, location.folder)
    path = location.path
    if path.exists() and not path.is_dir():
        raise click.UsageError(f"{location} is a file; -r copies folders")
    folder_can_exist(path)
    return LocalFolder(path)


def _one(remote: Remote, location: Location) -> tuple[Side, str, int]:
    """The side holding the single SOURCE, its name there and its size."""
    if isinstance(location, BucketLocation):
        if location.is_prefix:
            raise click.UsageError(f"{location} names a folder; add -r to copy what it holds")
        info = remote.client.find_object(location.bucket, location.key)
        return (
            BucketFolder(remote.client, location.bucket, "", {info.key: info}),
            info.key,
            info.size,
        )
    path = location.path
    if path.is_dir():
        raise click.UsageError(f"{location} is a folder; add -r to copy what it holds")
    if location.is_folder or not path.is_file():
        raise click.UsageError(f"{location}: no such file")
    return LocalFolder(path.parent), path.name, path.stat().st_size


def _one_target(remote: Remote, location: Location, name: str) -> tuple[Side, str]:
    """The side receiving a single object and its name there. A folder (an existing one,
    or one written with a trailing '/', made if missing) receives it under ``name``."""
    if isinstance(location, BucketLocation):
        key = location.key + name if location.is_prefix else location.key
        return BucketFolder(remote.client, location.bucket), key
    path = location.path
    if path.is_dir() or location.is_folder:
        if path.exists() and not path.is_dir():
            raise click.UsageError(f"{location}: {path} is a file, not a folder")
        folder_can_exist(path)
        local_target(path, name)  # refuses a key that would name no file here
        return LocalFolder(path), name
    folder_can_exist(path.parent)
    return LocalFolder(path.parent), path.name


def _shown(side: Side, name: str) -> str:
    if isinstance(side, BucketFolder):
        return f"wh://{side.bucket}/{side.key(name)}"
    return str(side.root / name)


def _bytes(items: list[Item], names: tuple[str, ...]) -> int:
    done = set(names)
    return sum(i.size for i in items if i.name in done)
