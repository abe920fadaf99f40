"""``weighthouse tag``: name a commit for good."""

from __future__ import annotations

import click

from weighthouse.cli.remote import Remote, RepoAddressType, remote_command, repo_type_option
from weighthouse.client import RepoAddress


@click.command("tag")
@click.argument("repo", metavar="[NAMESPACE/]NAME[@REV]", type=RepoAddressType())
@click.argument("tag")
@click.option("--revision", default=None, help="What to tag (default: REV, else main).")
@repo_type_option
@remote_command
def command(
    repo: RepoAddress, tag: str, revision: str | None, repo_type: str, remote: Remote
) -> None:
    """Tag a revision.

    Tags never move; version-like tags (v1.2) decide what 'latest' means.
    """
    repo = remote.namespace_of(repo)
    revision = revision or repo.revision or "main"
    ref = remote.client.create_tag(repo.id, tag, revision=revision, repo_type=repo_type)
    click.echo(f"Tagged {ref.commit[:12]} ({revision}) as {ref.name}.")
