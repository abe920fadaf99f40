"""``weighthouse push``: a file or a whole folder as one commit, sending only what changed."""

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
from weighthouse.client import PathFilter, PushResult, RepoAddress, push_files, walk_local


@click.command("push")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.argument("repo", metavar="[NAMESPACE/]NAME", type=RepoAddressType(allow_revision=False))
@click.option("--tag", default=None, help="Tag the pushed state, e.g. v1.2 (must be new).")
@click.option("-m", "--message", default=None, help="Commit message.")
@click.option("--branch", default="main", show_default=True, help="Branch to commit to.")
@click.option("--path-in-repo", default="", help="Folder in the repo to put the files under.")
@click.option(
    "--delete",
    is_flag=True,
    help="Also delete repo files under --path-in-repo that the folder no longer has.",
)
@click.option(
    "--include", multiple=True, metavar="GLOB", help="Push only matching paths (repeatable)."
)
@click.option(
    "--exclude", multiple=True, metavar="GLOB", help="Leave matching paths out (repeatable)."
)
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
    delete: bool,
    include: tuple[str, ...],
    exclude: tuple[str, ...],
    repo_type: str,
    progress: bool | None,
    remote: Remote,
) -> None:
    """Make a branch hold a file or a folder, in one commit.

    PATH is a file, or a folder whose files all go into ONE commit on --branch. Files are
    hashed locally; files the branch already holds are not sent again, nor are bytes the
    server already has and lets you reuse. An unchanged folder makes no commit. Folder paths
    become repo paths with '/' separators; .git folders are skipped.

    --include/--exclude take shell globs matched against paths relative to PATH ('*'
    crosses '/'; 'logs/' means everything under logs). With --delete, repo files under
    --path-in-repo that PATH lacks are deleted in the same commit, except excluded ones.
    A --tag that exists already fails before anything is hashed or sent.
    """
    remote.require_token("pushing")
    if delete and not path.is_dir():
        raise click.UsageError("--delete needs a folder to compare with, not a file")
    repo = remote.namespace_of(repo)
    # Fail on a missing repo or a bad token before hashing what may be many gigabytes.
    remote.client.get_repo(repo.id, repo_type=repo_type)
    prefix = path_in_repo.strip("/")
    walk = walk_local(path, prefix=prefix)
    for skipped in walk.skipped:
        click.echo(f"skipping {skipped.local} ({skipped.reason})", err=True)
    patterns = PathFilter.of(include, exclude)
    start = len(prefix) + 1 if prefix else 0
    files = [f for f in walk.files if patterns(f.repo_path[start:])]
    # What the walk skipped (unreadable, broken links) is not gone: --delete must keep it.
    unread = {s.local.relative_to(path).as_posix() for s in walk.skipped if path.is_dir()}

    def selected(relative: str) -> bool:
        return patterns(relative) and relative not in unread

    if not files and not delete:
        what = "no files" if not walk.files else "no files the patterns select"
        raise CommandError(f"nothing to push: {path} holds {what}")
    count = len(files)
    if message is None:
        message = f"Upload {files[0].repo_path}" if count == 1 else f"Upload {count} files"
    result = push_files(
        remote.client,
        repo.id,
        files,
        message=message,
        branch=branch,
        tag=tag,
        delete_under=prefix if delete else None,
        selected=selected,
        repo_type=repo_type,
        progress=progress_bars(progress),
    )
    click.echo(_summary(result, repo.id, branch, count))
    if result.tag is not None:
        click.echo(f"Tagged {result.tag.commit[:12]} as {result.tag.name}.")


def _summary(result: PushResult, repo: str, branch: str, count: int) -> str:
    plan = result.plan
    noun = "file" if count == 1 else "files"
    if result.commit is None:
        return (
            f"Nothing to push: {repo}@{branch} (commit {result.head[:12]}) already holds "
            f"these {count} {noun}; no commit made."
        )
    uploads = len(plan.uploads) - len(result.reused)
    return (
        f"Committed {result.commit.id[:12]} to {repo}@{branch}: {len(plan.added)} added, "
        f"{len(plan.changed)} changed, {len(plan.deleted)} deleted, "
        f"{len(plan.unchanged)} unchanged; sent {human_size(result.sent)} "
        f"({uploads} uploaded, {len(result.reused)} already on the server)."
    )
