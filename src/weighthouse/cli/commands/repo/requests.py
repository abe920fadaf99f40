"""``weighthouse repo requests``."""

from __future__ import annotations

import click

from weighthouse.cli.output import echo_records, json_option
from weighthouse.cli.remote import Remote, RepoAddressType, remote_command, repo_type_option
from weighthouse.client import RepoAddress


@click.command("requests")
@click.argument("repo", metavar="[NAMESPACE/]NAME", type=RepoAddressType(allow_revision=False))
@click.option(
    "--status",
    type=click.Choice(["pending", "accepted", "rejected"]),
    default="pending",
    show_default=True,
)
@repo_type_option
@json_option
@remote_command
def command(repo: RepoAddress, status: str, repo_type: str, as_json: bool, remote: Remote) -> None:
    """List access requests to a gated REPO, oldest first (repo admins): user, status, date."""
    repo = remote.namespace_of(repo)
    found = remote.client.access_requests(repo.id, status=status, repo_type=repo_type)
    if as_json:
        echo_records(found)
        return
    for request in found:
        click.echo(f"{request.user}\t{request.status}\t{request.created_at:%Y-%m-%d %H:%M}")
