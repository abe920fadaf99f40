"""``weighthouse repo ask-access``."""

from __future__ import annotations

import click

from weighthouse.cli.remote import Remote, RepoAddressType, remote_command, repo_type_option
from weighthouse.client import RepoAddress


@click.command("ask-access")
@click.argument("repo", metavar="[NAMESPACE/]NAME", type=RepoAddressType(allow_revision=False))
@repo_type_option
@remote_command
def command(repo: RepoAddress, repo_type: str, remote: Remote) -> None:
    """Ask for the files of a gated REPO; prints where the request stands."""
    remote.require_token("asking for access")
    repo = remote.namespace_of(repo)
    request = remote.client.ask_access(repo.id, repo_type=repo_type)
    click.echo(f"Access request for {repo_type} {repo.id}: {request.status}.")
