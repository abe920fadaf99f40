"""``weighthouse pull``: files, folders or a whole revision into a folder, checked and
resumable."""

from __future__ import annotations

from pathlib import Path

import click

from weighthouse.cli.remote import (
    Remote,
    RepoAddressType,
    echo_beside_bars,
    progress_bars,
    progress_option,
    remote_command,
    repo_type_option,
)
from weighthouse.client import DEFAULT_REVISION, PathFilter, RepoAddress, pull_snapshot


def is_local_path(text: str) -> bool:
    """``text`` can only be a local folder, never a repo path: repo paths are relative and
    have no ``.`` or ``..`` component, so ``/x``, ``./x``, ``../x``, ``.`` and ``..`` are
    unambiguous. This keeps the older ``pull REPO ./DEST`` form working."""
    return text in (".", "..") or text.startswith(("/", "./", "../"))


@click.command("pull")
@click.argument("repo", metavar="[NAMESPACE/]NAME[@REV]", type=RepoAddressType())
@click.argument("paths", metavar="[PATH]...", nargs=-1)
@click.option(
    "--to",
    "dest",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder to download into (default: ./NAME for a whole revision, else '.').",
)
@click.option("--include", multiple=True, metavar="GLOB", help="Only matching repo paths.")
@click.option("--exclude", multiple=True, metavar="GLOB", help="Leave matching repo paths out.")
@repo_type_option
@progress_option
@remote_command
def command(
    repo: RepoAddress,
    paths: tuple[str, ...],
    dest: Path | None,
    include: tuple[str, ...],
    exclude: tuple[str, ...],
    repo_type: str,
    progress: bool | None,
    remote: Remote,
) -> None:
    """Download files of a revision into a folder.

    REPO at REV (default: main; @latest is the highest version tag). With PATHs (files or
    folders of the repo) only those come, each at its repo path under --to (default: the
    current folder); without, every file comes, into --to (default: ./NAME).

    Each file's SHA-256 is checked before it takes its real name; files already present
    with the right content are skipped, and an interrupted pull continues where it stopped.
    The older form 'pull REPO DEST' still works when DEST starts with '/', './' or '../'.
    """
    if dest is None and len(paths) == 1 and is_local_path(paths[0]):
        dest, paths = Path(paths[0]), ()
    repo = remote.namespace_of(repo)
    revision = repo.revision or DEFAULT_REVISION
    if dest is None:
        dest = Path.cwd() if paths else Path.cwd() / repo.name

    def resuming(path: str, offset: int) -> None:
        echo_beside_bars(f"resuming {path} from byte {offset}")

    result = pull_snapshot(
        remote.client,
        repo.id,
        dest,
        revision=revision,
        paths=paths,
        selected=PathFilter.of(include, exclude),
        repo_type=repo_type,
        progress=progress_bars(progress),
        on_resume=resuming,
    )
    click.echo(
        f"Pulled {repo.id}@{revision} (commit {result.commit[:12]}) into {dest}: "
        f"{len(result.downloaded)} downloaded, {len(result.unchanged)} already up to date."
    )
