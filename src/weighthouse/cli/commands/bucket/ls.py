"""``weighthouse bucket ls``: buckets, or the objects of one."""

from __future__ import annotations

import click

from weighthouse.cli.bucket_args import object_json, object_lines, when
from weighthouse.cli.output import echo_json, json_option
from weighthouse.cli.remote import Remote, remote_command, table
from weighthouse.client.bucket_paths import BucketLocation, parse_bucket_location
from weighthouse.client.models import RepoInfo
from weighthouse.domain.names import is_valid_name


@click.command("ls")
@click.argument("where", metavar="[NAMESPACE | wh://NS/BUCKET[/PREFIX]]", required=False)
@click.option("-r", "--recursive", is_flag=True, help="Every object below PREFIX, no folders.")
@click.option("-l", "--long", "long", is_flag=True, help="A table: size, date, name.")
@click.option("-h", "--human-readable", "human", is_flag=True, help="Sizes as KiB, MiB, GiB.")
@json_option
@remote_command
def command(
    where: str | None, recursive: bool, long: bool, human: bool, as_json: bool, remote: Remote
) -> None:
    """List the buckets you can see (in NAMESPACE), or the objects of a bucket.

    Objects are listed under PREFIX in UTF-8 byte order; without -r, keys that go on past
    the next '/' are shown once as their folder, ending in '/'. Dates are UTC.
    """
    text = (where or "").removeprefix("wh://")
    if "/" not in text:
        if text and not is_valid_name(text):
            raise click.BadParameter(f"{where!r} is not a namespace", param_hint="NAMESPACE")
        _buckets(remote, text or None, long=long, as_json=as_json)
        return
    try:
        location = parse_bucket_location(text, original=where)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="WHERE") from None
    _objects(remote, location, recursive=recursive, long=long, human=human, as_json=as_json)


def _buckets(remote: Remote, namespace: str | None, *, long: bool, as_json: bool) -> None:
    buckets = list(remote.client.iter_repos(repo_type="bucket", namespace=namespace))
    if as_json:
        echo_json([_bucket_json(b) for b in buckets])
        return
    if not long:
        for bucket in buckets:
            click.echo(f"wh://{bucket.id}")
        return
    rows = [
        [f"wh://{b.id}", "private" if b.private else "public", when(b.created_at), b.description]
        for b in buckets
    ]
    for line in table(["BUCKET", "VISIBILITY", "CREATED", "DESCRIPTION"], rows):
        click.echo(line)


def _bucket_json(bucket: RepoInfo) -> dict[str, object]:
    return {
        "bucket": bucket.id,
        "private": bucket.private,
        "description": bucket.description,
        "created_at": bucket.created_at.isoformat(),
    }


def _objects(
    remote: Remote,
    location: BucketLocation,
    *,
    recursive: bool,
    long: bool,
    human: bool,
    as_json: bool,
) -> None:
    listing = remote.client.list_objects(
        location.bucket, prefix=location.key, delimiter=None if recursive else "/"
    )
    if as_json:
        echo_json(
            {
                "objects": [object_json(location.bucket, o) for o in listing.objects],
                "prefixes": list(listing.common_prefixes),
            }
        )
        return
    lines = object_lines(listing.objects, listing.common_prefixes, long=long, human=human)
    for line in lines:
        click.echo(line)
