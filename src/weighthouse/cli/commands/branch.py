"""``weighthouse branch``: list a repo's branches, start one, or (``--delete``) drop one."""

from __future__ import annotations

import click

from weighthouse.cli.output import echo_records, json_option
from weighthouse.cli.remote import Remote, RepoAddressType, remote_command, repo_type_option
from weighthouse.client import RepoAddress


@click.command("branch")
@click.argument("repo", metavar="[NAMESPACE/]NAME[@REV]", type=RepoAddressType())
@click.argument("branch", required=False)
@click.option(
    "--revision", default=None, help="Where the new branch starts (default: REV, else main)."
)
@click.option("-d", "--delete", is_flag=True, help="Delete the branch instead (never main).")
@repo_type_option
@json_option
@remote_command
def command(
    repo: RepoAddress,
    branch: str | None,
    revision: str | None,
    delete: bool,
    repo_type: str,
    as_json: bool,
    remote: Remote,
) -> None:
    """List branches (no BRANCH), create BRANCH at a revision, or delete it with --delete.

    Branch names may hold '/' (feature/x); address them as NAMESPACE/NAME@feature/x.
    """
    repo = remote.namespace_of(repo)
    if branch is None:
        if delete or revision is not None:
            raise click.UsageError("name the BRANCH to create or delete")
        branches = remote.client.refs(repo.id, repo_type=repo_type).branches
        if as_json:
            echo_records(branches)
            return
        for ref in branches:
            click.echo(f"{ref.name}\t{ref.commit}")
        return
    if delete:
        if revision is not None or repo.revision is not None:
            raise click.UsageError("--delete takes no revision")
        remote.client.delete_branch(repo.id, branch, repo_type=repo_type)
        click.echo(f"Deleted branch {branch}.")
        return
    revision = revision or repo.revision or "main"
    ref = remote.client.create_branch(repo.id, branch, revision=revision, repo_type=repo_type)
    click.echo(f"Created branch {ref.name} at {ref.commit[:12]} ({revision}).")
