"""``weighthouse ls``: the files of a revision."""

from __future__ import annotations

import click

from weighthouse.cli.remote import Remote, RepoAddressType, remote_command, repo_type_option
from weighthouse.client import DEFAULT_REVISION, RepoAddress


@click.command("ls")
@click.argument("repo", metavar="[NAMESPACE/]NAME[@REV]", type=RepoAddressType())
@click.argument("path", required=False, default="")
@click.option("-r", "--recursive", is_flag=True, help="List every file below PATH.")
@repo_type_option
@remote_command
def command(repo: RepoAddress, path: str, recursive: bool, repo_type: str, remote: Remote) -> None:
    """List the files of a revision.

    Lists PATH (default: the top folder) of REPO at REV (default: main; @latest is the
    highest version tag).

    Columns: size in bytes, the first 12 hex digits of the SHA-256, the path; folders end
    in '/'.
    """
    repo = remote.namespace_of(repo)
    entries = remote.client.iter_tree(
        repo.id,
        revision=repo.revision or DEFAULT_REVISION,
        path=path,
        recursive=recursive,
        repo_type=repo_type,
    )
    for entry in entries:
        if entry.is_file:
            click.echo(f"{entry.size or 0:>14}  {(entry.sha256 or '')[:12]:12}  {entry.path}")
        else:
            click.echo(f"{'-':>14}  {'':12}  {entry.path}/")
