"""``weighthouse repo move``."""

from __future__ import annotations

import click

from weighthouse.cli.remote import Remote, RepoAddressType, remote_command
from weighthouse.client import RepoAddress


@click.command("move")
@click.argument(
    "repo",
    metavar="NAMESPACE/NAME",
    type=RepoAddressType(allow_revision=False, require_namespace=True),
)
@click.argument(
    "to",
    metavar="NAMESPACE/NEW-NAME",
    type=RepoAddressType(allow_revision=False, require_namespace=True),
)
@click.option(
    "--type",
    "repo_type",
    type=click.Choice(["model", "dataset", "bucket"]),
    default="model",
    show_default=True,
)
@remote_command
def command(repo: RepoAddress, to: RepoAddress, repo_type: str, remote: Remote) -> None:
    """Rename a repo or move it to another namespace, with its history, refs and
    collaborators. Nothing redirects from the old name."""
    moved = remote.client.move_repo(repo.id, to.id, repo_type=repo_type)
    click.echo(f"Moved {repo_type} {repo.id} to {moved.id}.")
