"""``weighthouse stat``: one object's size, digests, type, date and metadata."""

from __future__ import annotations

import click

from weighthouse.cli.bucket_args import LocationType, object_json, when
from weighthouse.cli.output import echo_json, json_option
from weighthouse.cli.remote import Remote, human_size, remote_command
from weighthouse.client.bucket_paths import BucketLocation


@click.command("stat")
@click.argument("location", metavar="wh://NS/BUCKET/KEY", type=LocationType(bucket_only=True))
@json_option
@remote_command
def command(location: BucketLocation, as_json: bool, remote: Remote) -> None:
    """Show an object's details without downloading it. The type is the one stored (a
    download serves unsafe types as application/octet-stream)."""
    if location.is_prefix:
        raise click.UsageError(f"{location} names a folder, not an object")
    info = remote.client.find_object(location.bucket, location.key)
    if as_json:
        echo_json(object_json(location.bucket, info))
        return
    click.echo(f"Name      : {location}")
    click.echo(f"Size      : {human_size(info.size)} ({info.size} bytes)")
    click.echo(f"Modified  : {when(info.modified_at)} UTC")
    click.echo(f"SHA-256   : {info.sha256 or 'not computed (joined from multipart parts)'}")
    click.echo(f"ETag      : {info.etag}")
    click.echo(f"Type      : {info.content_type}")
    for name, value in sorted(info.metadata.items()):
        click.echo(f"Metadata  : {name}={value}")
