"""``weighthouse tag``: name a commit for good, or (``--delete``, repo admins) drop a tag."""

from __future__ import annotations

import click

from weighthouse.cli.remote import Remote, RepoAddressType, remote_command, repo_type_option
from weighthouse.client import RepoAddress


@click.command("tag")
@click.argument("repo", metavar="[NAMESPACE/]NAME[@REV]", type=RepoAddressType())
@click.argument("tag")
@click.option("--revision", default=None, help="What to tag (default: REV, else main).")
@click.option("-d", "--delete", is_flag=True, help="Delete the tag instead (repo admins; audited).")
@repo_type_option
@remote_command
def command(
    repo: RepoAddress,
    tag: str,
    revision: str | None,
    delete: bool,
    repo_type: str,
    remote: Remote,
) -> None:
    """Tag a revision, or delete a tag with --delete.

    Tags never move; version-like tags (v1.2) decide what 'latest' means. A repo admin
    may delete a tag; 'latest' then names the highest remaining version.
    """
    repo = remote.namespace_of(repo)
    if delete:
        if revision is not None or repo.revision is not None:
            raise click.UsageError("--delete takes no revision")
        remote.client.delete_tag(repo.id, tag, repo_type=repo_type)
        click.echo(f"Deleted tag {tag}.")
        return
    revision = revision or repo.revision or "main"
    ref = remote.client.create_tag(repo.id, tag, revision=revision, repo_type=repo_type)
    click.echo(f"Tagged {ref.commit[:12]} ({revision}) as {ref.name}.")
