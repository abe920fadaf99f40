"""``weighthouse repo revoke``."""

from __future__ import annotations

import click

from weighthouse.cli.remote import Remote, RepoAddressType, any_repo_type_option, remote_command
from weighthouse.client import RepoAddress


@click.command("revoke")
@click.argument("repo", metavar="[NAMESPACE/]NAME", type=RepoAddressType(allow_revision=False))
@click.argument("user")
@any_repo_type_option
@remote_command
def command(repo: RepoAddress, user: str, repo_type: str, remote: Remote) -> None:
    """Take away USER's role on REPO (repo admins). Access through an organisation stays."""
    remote.require_token("revoking a role")
    repo = remote.namespace_of(repo)
    remote.client.remove_collaborator(repo.id, user, repo_type=repo_type)
    click.echo(f"Revoked {user}'s role on {repo_type} {repo.id}.")
