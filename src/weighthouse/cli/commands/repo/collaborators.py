"""``weighthouse repo collaborators``."""

from __future__ import annotations

import click

from weighthouse.cli.output import echo_records, json_option
from weighthouse.cli.remote import Remote, RepoAddressType, any_repo_type_option, remote_command
from weighthouse.client import RepoAddress


@click.command("collaborators")
@click.argument("repo", metavar="[NAMESPACE/]NAME", type=RepoAddressType(allow_revision=False))
@any_repo_type_option
@json_option
@remote_command
def command(repo: RepoAddress, repo_type: str, as_json: bool, remote: Remote) -> None:
    """List who holds a role on this one repo: user, role and since when, tab-separated.

    Members of the namespace's organisation are not listed; see 'weighthouse org members'.
    """
    repo = remote.namespace_of(repo)
    members = remote.client.list_collaborators(repo.id, repo_type=repo_type)
    if as_json:
        echo_records(members)
        return
    for member in members:
        click.echo(f"{member.user}\t{member.role}\t{member.since:%Y-%m-%d %H:%M}")
