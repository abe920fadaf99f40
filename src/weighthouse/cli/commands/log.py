"""``weighthouse log``: the history of a revision."""

from __future__ import annotations

import click

from weighthouse.cli.output import echo_records, json_option
from weighthouse.cli.remote import Remote, RepoAddressType, remote_command, repo_type_option
from weighthouse.client import DEFAULT_REVISION, RepoAddress


@click.command("log")
@click.argument("repo", metavar="[NAMESPACE/]NAME[@REV]", type=RepoAddressType())
@click.option("-n", "--max-count", type=click.IntRange(min=1), default=None, help="Show at most N.")
@json_option
@repo_type_option
@remote_command
def command(
    repo: RepoAddress, max_count: int | None, as_json: bool, repo_type: str, remote: Remote
) -> None:
    """Show the history of a revision.

    Commits reachable from REV (default: main; @latest is the highest version tag), newest
    first: id, time (UTC), author and the message's first line. --json prints every field
    of each commit, with full ids and messages.
    """
    repo = remote.namespace_of(repo)
    commits = remote.client.log(
        repo.id, revision=repo.revision or DEFAULT_REVISION, limit=max_count, repo_type=repo_type
    )
    if as_json:
        echo_records(commits)
        return
    for commit in commits:
        subject = commit.message.splitlines()[0] if commit.message else ""
        click.echo(
            f"{commit.id[:12]}  {commit.created_at:%Y-%m-%d %H:%M}  {commit.author}  {subject}"
        )
