"""``weighthouse bucket create``."""

from __future__ import annotations

import click

from weighthouse.cli.remote import Remote, RepoAddressType, remote_command
from weighthouse.client import RepoAddress


@click.command("create")
@click.argument("bucket", metavar="[NAMESPACE/]NAME", type=RepoAddressType(allow_revision=False))
@click.option(
    "--public/--private",
    default=None,
    help="Public: anyone may read its objects. Default: the server's setting (private "
    "unless changed).",
)
@click.option("--description", default="", help="One line about what it holds.")
@remote_command
def command(bucket: RepoAddress, public: bool | None, description: str, remote: Remote) -> None:
    """Create a bucket; the namespace defaults to your user name."""
    created = remote.client.create_repo(
        bucket.name,
        namespace=bucket.namespace,
        repo_type="bucket",
        private=None if public is None else not public,
        description=description,
    )
    visibility = "private" if created.private else "public"
    click.echo(f"Created {visibility} bucket wh://{created.id}.")
