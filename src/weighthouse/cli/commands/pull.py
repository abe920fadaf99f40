"""``weighthouse pull``: every file of a revision into a folder, checked and resumable."""

from __future__ import annotations

from pathlib import Path

import click

from weighthouse.cli.remote import (
    Remote,
    RepoAddressType,
    progress_bars,
    progress_option,
    remote_command,
    repo_type_option,
)
from weighthouse.client import RepoAddress, pull_snapshot


@click.command("pull")
@click.argument("repo", metavar="[NAMESPACE/]NAME[@REV]", type=RepoAddressType())
@click.argument("dest", required=False, type=click.Path(file_okay=False, path_type=Path))
@repo_type_option
@progress_option
@remote_command
def command(
    repo: RepoAddress, dest: Path | None, repo_type: str, progress: bool | None, remote: Remote
) -> None:
    """Download a revision of a repo into a folder.

    REPO at REV (default: latest) goes into DEST (default: ./NAME).

    Each file's SHA-256 is checked before it takes its real name; files already present
    with the right content are skipped, and an interrupted pull continues where it stopped.
    """
    repo = remote.namespace_of(repo)
    revision = repo.revision or "latest"
    dest = dest if dest is not None else Path.cwd() / repo.name

    def resuming(path: str, offset: int) -> None:
        click.echo(f"resuming {path} from byte {offset}", err=True)

    result = pull_snapshot(
        remote.client,
        repo.id,
        dest,
        revision=revision,
        repo_type=repo_type,
        progress=progress_bars(progress),
        on_resume=resuming,
    )
    click.echo(
        f"Pulled {repo.id}@{revision} (commit {result.commit[:12]}) into {dest}: "
        f"{len(result.downloaded)} downloaded, {len(result.unchanged)} already up to date."
    )
