"""What the bucket commands (``bucket``, ``cp``, ``sync``, ``rm``, ``stat``) share: the
location argument (``wh://ns/bucket/key``, ``ns/bucket/key`` or a local path), object rows as
JSON and as human lines, and the summary of a transfer."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from weighthouse.cli.failures import CommandError
from weighthouse.cli.remote import human_size, table
from weighthouse.client.bucket_paths import (
    BucketLocation,
    LocalPath,
    Location,
    local_exists,
    parse_location,
)
from weighthouse.client.bucket_transfers import DEFAULT_JOBS, TransferReport
from weighthouse.client.models import ObjectInfo


# Not subscripted: click before 8.2 has no generic ParamType at runtime.
class LocationType(click.ParamType):  # type: ignore[type-arg]
    """A bucket location or a local path; ``bucket_only`` refuses local paths."""

    name = "wh://ns/bucket/key|path"

    def __init__(self, *, bucket_only: bool = False) -> None:
        self.bucket_only = bucket_only
        if bucket_only:
            self.name = "wh://ns/bucket/key"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> Location:
        if isinstance(value, BucketLocation | LocalPath):
            return value
        try:
            location = parse_location(str(value), exists=local_exists)
        except ValueError as exc:
            self.fail(str(exc), param, ctx)
        if self.bucket_only and not isinstance(location, BucketLocation):
            self.fail(
                f"{value!r} is not a bucket location: write wh://namespace/bucket[/key]",
                param,
                ctx,
            )
        return location


jobs_option = click.option(
    "-j",
    "--jobs",
    type=click.IntRange(1, 64),
    default=DEFAULT_JOBS,
    show_default=True,
    help="Objects transferred at once.",
)


def object_json(bucket: str, info: ObjectInfo) -> dict[str, Any]:
    return {
        "bucket": bucket,
        "key": info.key,
        "size": info.size,
        "sha256": info.sha256,
        "etag": info.etag,
        "content_type": info.content_type,
        "modified_at": info.modified_at.isoformat() if info.modified_at else None,
        "metadata": info.metadata,
    }


def when(moment: datetime | None) -> str:
    """A date people read at a glance, in UTC: ``2026-12-04 11:24``."""
    if moment is None:
        return "-"
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M")


def size_text(size: int, human: bool) -> str:
    return human_size(size) if human else str(size)


def object_lines(
    objects: Sequence[ObjectInfo], prefixes: Sequence[str], *, long: bool, human: bool
) -> list[str]:
    """Keys (and ``PREFIX/`` rows), or with ``long`` a table with a header."""
    if not long:
        return [*prefixes, *(o.key for o in objects)]
    rows = [["-", "-", p] for p in prefixes]
    rows += [[size_text(o.size, human), when(o.modified_at), o.key] for o in objects]
    return table(["SIZE", "MODIFIED", "KEY"], rows)


def folder_can_exist(folder: Path) -> None:
    """Refuse, before any byte moves, a local folder that would have to be made below
    something that is a file (each item would fail on its own otherwise)."""
    for parent in (folder, *folder.parents):
        if parent.exists():
            if not parent.is_dir():
                raise click.UsageError(f"{parent} is a file, not a folder")
            return


def report_failures(report: TransferReport) -> None:
    """One line per failed item on stderr, then exit 1 if there was any."""
    for name, reason in report.failed:
        click.echo(f"failed: {name}: {reason}", err=True)
    if report.failed:
        raise CommandError(f"{len(report.failed)} of the items failed; see above")
