"""``weighthouse bucket rm``."""

from __future__ import annotations

import click

from weighthouse.cli.failures import CommandError
from weighthouse.cli.remote import Remote, RepoAddressType, remote_command
from weighthouse.client import RepoAddress


@click.command("rm")
@click.argument(
    "bucket",
    metavar="NAMESPACE/NAME",
    type=RepoAddressType(allow_revision=False, require_namespace=True),
)
@click.option("--force", is_flag=True, help="Delete it even if it still holds objects.")
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@remote_command
def command(bucket: RepoAddress, force: bool, yes: bool, remote: Remote) -> None:
    """Delete a bucket. One that holds objects is refused unless --force is given, as
    'mc rb' and 'aws s3 rb' do; blobs nothing else uses are freed by the next 'weighthouse gc'."""
    remote.client.get_repo(bucket.id, repo_type="bucket")
    holds = next(remote.client.iter_objects(bucket.id, page_size=1), None) is not None
    if holds and not force:
        raise CommandError(
            f"bucket_not_empty: wh://{bucket.id} holds objects; "
            "add --force to delete them with it, or empty it with 'weighthouse rm -r'"
        )
    if not yes:
        what = "and every object in it" if holds else "(it is empty)"
        click.confirm(f"Delete the bucket wh://{bucket.id} {what}?", abort=True)
    remote.client.delete_repo(bucket.id, repo_type="bucket")
    click.echo(f"Deleted bucket wh://{bucket.id}.")
