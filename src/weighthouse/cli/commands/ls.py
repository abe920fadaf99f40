"""``weighthouse ls``: the files of a revision."""

from __future__ import annotations

import click

from weighthouse.cli.bucket_args import size_text, when
from weighthouse.cli.output import echo_json, json_option, record
from weighthouse.cli.remote import (
    Remote,
    RepoAddressType,
    human_size,
    remote_command,
    repo_type_option,
    table,
)
from weighthouse.client import DEFAULT_REVISION, RepoAddress


@click.command("ls")
@click.argument("repo", metavar="[NAMESPACE/]NAME[@REV]", type=RepoAddressType())
@click.argument("path", required=False, default="")
@click.option("-r", "--recursive", is_flag=True, help="List every file below PATH.")
@click.option("-l", "--long", "long", is_flag=True, help="A table with a header and the commit.")
@click.option("-h", "--human-readable", "human", is_flag=True, help="Sizes as KiB, MiB, GiB.")
@json_option
@repo_type_option
@remote_command
def command(
    repo: RepoAddress,
    path: str,
    recursive: bool,
    long: bool,
    human: bool,
    as_json: bool,
    repo_type: str,
    remote: Remote,
) -> None:
    """List the files of a revision.

    Lists PATH (default: the top folder) of REPO at REV (default: main; @latest is the
    highest version tag).

    Columns: size in bytes (-h: in KiB, MiB, GiB), the first 12 hex digits of the SHA-256,
    the path; folders end in '/'. With -l, a header line names the commit listed (id, date
    in UTC, author) and the total size, then a table with column names. --json prints
    {"commit": ..., "entries": [...]} with full digests.
    """
    repo = remote.namespace_of(repo)
    revision = repo.revision or DEFAULT_REVISION
    commit, entries = remote.client.list_tree(
        repo.id, revision=revision, path=path, recursive=recursive, repo_type=repo_type
    )
    if as_json:
        entries_json = [record(e) for e in entries]
        echo_json(
            {"repo": repo.id, "revision": revision, "commit": commit, "entries": entries_json}
        )
        return
    rows = [
        (size_text(e.size or 0, human), (e.sha256 or "")[:12], e.path)
        if e.is_file
        else ("-", "", f"{e.path}/")
        for e in entries
    ]
    if not long:
        width = max((len(r[0]) for r in rows), default=0)
        for size, sha, name in rows:
            click.echo(f"{size:>{max(width, 14)}}  {sha:12}  {name}")
        return
    head = remote.client.log(repo.id, revision=commit, limit=1, repo_type=repo_type)
    total = sum(e.size or 0 for e in entries if e.is_file)
    files = sum(1 for e in entries if e.is_file)
    made = f"{when(head[0].created_at)} UTC by {head[0].author}" if head else "-"
    plural = "" if files == 1 else "s"
    click.echo(
        f"{repo.id}@{revision}: commit {commit[:12]}, {made}; "
        f"{files} file{plural}, {human_size(total)} in all"
    )
    for line in table(["SIZE", "SHA256", "PATH"], rows):
        click.echo(line)
