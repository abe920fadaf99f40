"""``weighthouse push``: a file or a whole folder as one commit."""

from __future__ import annotations

from pathlib import Path

import click

from weighthouse.cli.failures import CommandError
from weighthouse.cli.remote import (
    Remote,
    RepoAddressType,
    human_size,
    progress_bars,
    progress_option,
    remote_command,
    repo_type_option,
)
from weighthouse.client import RepoAddress, push_files, walk_local


@click.command("push")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.argument("repo", metavar="[NAMESPACE/]NAME", type=RepoAddressType(allow_revision=False))
@click.option("--tag", default=None, help="Tag the new commit, e.g. v1.2.")
@click.option("-m", "--message", default=None, help="Commit message.")
@click.option("--branch", default="main", show_default=True, help="Branch to commit to.")
@click.option("--path-in-repo", default="", help="Folder in the repo to put the files under.")
@repo_type_option
@progress_option
@remote_command
def command(
    path: Path,
    repo: RepoAddress,
    tag: str | None,
    message: str | None,
    branch: str,
    path_in_repo: str,
    repo_type: str,
    progress: bool | None,
    remote: Remote,
) -> None:
    """Upload a file or a folder as one commit.

    PATH is a file, or a folder whose files all go into ONE commit on --branch.

    Files are hashed locally first and each upload is checked against its SHA-256 by the
    server. Folder paths become repo paths with '/' separators; .git folders are skipped.
    """
    remote.require_token("pushing")
    repo = remote.namespace_of(repo)
    # Fail on a missing repo or a bad token before hashing what may be many gigabytes.
    remote.client.get_repo(repo.id, repo_type=repo_type)
    walk = walk_local(path, prefix=path_in_repo)
    for skipped in walk.skipped:
        click.echo(f"skipping {skipped.local} ({skipped.reason})", err=True)
    if not walk.files:
        raise CommandError(f"nothing to push: {path} holds no files")
    count = len(walk.files)
    if message is None:
        message = f"Upload {walk.files[0].repo_path}" if count == 1 else f"Upload {count} files"
    result = push_files(
        remote.client,
        repo.id,
        walk.files,
        message=message,
        branch=branch,
        tag=tag,
        repo_type=repo_type,
        progress=progress_bars(progress),
    )
    noun = "file" if count == 1 else "files"
    click.echo(
        f"Committed {result.commit.id[:12]} to {repo.id}@{branch}: "
        f"{count} {noun}, {human_size(walk.total_size)}."
    )
    if result.tag is not None:
        click.echo(f"Tagged {result.commit.id[:12]} as {result.tag.name}.")
