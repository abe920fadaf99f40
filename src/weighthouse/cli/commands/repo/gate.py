"""``weighthouse repo gate``."""

from __future__ import annotations

import click

from weighthouse.cli.remote import Remote, RepoAddressType, remote_command, repo_type_option
from weighthouse.client import RepoAddress


@click.command("gate")
@click.argument("repo", metavar="[NAMESPACE/]NAME", type=RepoAddressType(allow_revision=False))
@click.argument("mode", type=click.Choice(["off", "auto", "manual"]))
@repo_type_option
@remote_command
def command(repo: RepoAddress, mode: str, repo_type: str, remote: Remote) -> None:
    """Gate REPO's files behind access requests (repo admins).

    auto: every request is accepted as it is made; manual: a repo admin accepts or rejects
    each ('weighthouse repo approve|reject'); off: every reader gets the files. Members and
    collaborators never need a request.
    """
    remote.require_token("gating a repo")
    repo = remote.namespace_of(repo)
    info = remote.client.update_repo(repo.id, repo_type=repo_type, gated=mode)
    click.echo(f"{repo_type} {info.id} is gated: {info.gated}.")
