"""``weighthouse repo approve``."""

from __future__ import annotations

import click

from weighthouse.cli.remote import Remote, RepoAddressType, remote_command, repo_type_option
from weighthouse.client import RepoAddress


@click.command("approve")
@click.argument("repo", metavar="[NAMESPACE/]NAME", type=RepoAddressType(allow_revision=False))
@click.argument("user")
@repo_type_option
@remote_command
def command(repo: RepoAddress, user: str, repo_type: str, remote: Remote) -> None:
    """Give USER the files of a gated REPO, whether or not they asked (repo admins)."""
    remote.require_token("approving an access request")
    repo = remote.namespace_of(repo)
    remote.client.decide_access(repo.id, user, "accepted", repo_type=repo_type)
    click.echo(f"{user} may now download {repo_type} {repo.id}.")
