"""``weighthouse repo grant``."""

from __future__ import annotations

import click

from weighthouse.cli.remote import (
    ROLES,
    Remote,
    RepoAddressType,
    any_repo_type_option,
    remote_command,
)
from weighthouse.client import RepoAddress


@click.command("grant")
@click.argument("repo", metavar="[NAMESPACE/]NAME", type=RepoAddressType(allow_revision=False))
@click.argument("user")
@click.option("--role", type=ROLES, required=True, help="What USER may do with REPO.")
@any_repo_type_option
@remote_command
def command(repo: RepoAddress, user: str, role: str, repo_type: str, remote: Remote) -> None:
    """Give USER --role on REPO alone, or change it (repo admins).

    read: see it even when private; write: also push; admin: also manage it.
    """
    remote.require_token("granting a role")
    repo = remote.namespace_of(repo)
    member = remote.client.set_collaborator(repo.id, user, role, repo_type=repo_type)
    click.echo(f"{member.user} is now {member.role} on {repo_type} {repo.id}.")
