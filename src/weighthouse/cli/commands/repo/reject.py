"""``weighthouse repo reject``."""

from __future__ import annotations

import click

from weighthouse.cli.remote import Remote, RepoAddressType, remote_command, repo_type_option
from weighthouse.client import RepoAddress


@click.command("reject")
@click.argument("repo", metavar="[NAMESPACE/]NAME", type=RepoAddressType(allow_revision=False))
@click.argument("user")
@click.option("--reason", default="", help="Why, for the record (at most 1000 characters).")
@repo_type_option
@remote_command
def command(repo: RepoAddress, user: str, reason: str, repo_type: str, remote: Remote) -> None:
    """Reject USER's access request to a gated REPO, or take back access (repo admins)."""
    remote.require_token("rejecting an access request")
    repo = remote.namespace_of(repo)
    remote.client.decide_access(repo.id, user, "rejected", reason=reason, repo_type=repo_type)
    click.echo(f"{user}'s access request to {repo_type} {repo.id} is rejected.")
