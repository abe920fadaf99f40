"""``weighthouse cat``: one repo file's bytes on standard output."""

from __future__ import annotations

import sys

import click

from weighthouse.cli.failures import CommandError
from weighthouse.cli.remote import Remote, RepoAddressType, remote_command, repo_type_option
from weighthouse.client import DEFAULT_REVISION, RepoAddress


@click.command("cat")
@click.argument("repo", metavar="[NAMESPACE/]NAME[@REV]", type=RepoAddressType())
@click.argument("path")
@repo_type_option
@remote_command
def command(repo: RepoAddress, path: str, repo_type: str, remote: Remote) -> None:
    """Write the file PATH of REPO at REV (default: main) to standard output.

    The bytes are streamed, never held whole in memory, and hashed on the way: if they do
    not match the SHA-256 the server declared, the command fails (exit 1) after writing them.
    """
    repo = remote.namespace_of(repo)
    revision = repo.revision or DEFAULT_REVISION
    out = sys.stdout.buffer
    actual, declared = remote.client.stream_file(
        repo.id, path, out.write, revision=revision, repo_type=repo_type
    )
    out.flush()
    if declared is not None and actual != declared:
        raise CommandError(f"digest_mismatch: {path}: SHA-256 is {actual}, expected {declared}")
