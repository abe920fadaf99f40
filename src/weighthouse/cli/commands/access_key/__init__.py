"""Create, list and revoke S3 access keys, for S3 clients (aws, boto3, rclone) to sign with."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import click

from weighthouse.cli.commands.token import check_restriction
from weighthouse.client import AccessKeyInfo


def buckets_option(
    ctx: click.Context, param: click.Parameter, values: Iterable[str]
) -> tuple[str, ...]:
    """Each ``--bucket`` may also hold several entries separated by commas."""
    entries = [e.strip() for value in values for e in value.split(",") if e.strip()]
    try:
        return tuple(dict.fromkeys(check_restriction(e) for e in entries))
    except ValueError as exc:
        raise click.BadParameter(str(exc), ctx, param) from None


def _day(moment: datetime | None) -> str:
    return f"{moment:%Y-%m-%d}" if moment else "-"


def key_line(key: AccessKeyInfo, now: datetime) -> str:
    """One tab-separated line: id, name, scope, state, expiry, last use and any bucket
    restrictions. Never the secret."""
    line = (
        f"{key.id}\t{key.name}\t{key.scope}\t{key.state(now)}\t"
        f"expires {_day(key.expires_at)}\tused {_day(key.last_used_at)}"
    )
    return f"{line}\tonly {','.join(key.buckets)}" if key.buckets else line
