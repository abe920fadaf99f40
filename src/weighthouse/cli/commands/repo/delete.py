"""``weighthouse repo delete``."""

from __future__ import annotations

import click

from weighthouse.cli.remote import Remote, RepoAddressType, remote_command
from weighthouse.client import RepoAddress


@click.command("delete")
@click.argument(
    "repo",
    metavar="NAMESPACE/NAME",
    type=RepoAddressType(allow_revision=False, require_namespace=True),
)
@click.option(
    "--type",
    "repo_type",
    type=click.Choice(["model", "dataset", "bucket"]),
    default="model",
    show_default=True,
)
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@remote_command
def command(repo: RepoAddress, repo_type: str, yes: bool, remote: Remote) -> None:
    """Delete a repo with its refs and history. Blobs no other repo uses are freed by the
    next 'weighthouse gc'."""
    if not yes:
        click.confirm(f"Delete the {repo_type} {repo.id} and all its history?", abort=True)
    remote.client.delete_repo(repo.id, repo_type=repo_type)
    click.echo(f"Deleted {repo_type} {repo.id}.")
