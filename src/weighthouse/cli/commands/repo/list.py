"""``weighthouse repo list``."""

from __future__ import annotations

import click

from weighthouse.cli.output import echo_json, json_option
from weighthouse.cli.remote import Remote, remote_command


@click.command("list")
@click.option(
    "--type", "repo_type", type=click.Choice(["model", "dataset", "bucket"]), default=None
)
@click.option("--namespace", default=None, help="Only this user's or namespace's repos.")
@click.option("--search", default=None, help="Only names containing this text.")
@click.option(
    "--sort",
    type=click.Choice(["name", "updated", "size"]),
    default="name",
    show_default=True,
    help="By name, most recently updated first, or largest first.",
)
@json_option
@remote_command
def command(
    repo_type: str | None,
    namespace: str | None,
    search: str | None,
    sort: str,
    as_json: bool,
    remote: Remote,
) -> None:
    """List the repos you can see: type, id, visibility and description (with ``--json``,
    also the size of main's files, or a bucket's objects, and the last update)."""
    repos = remote.client.iter_repos(
        repo_type=repo_type, namespace=namespace, search=search, sort=sort
    )
    if as_json:
        echo_json(
            [
                {
                    "type": r.type.value,
                    "id": r.id,
                    "private": r.private,
                    "description": r.description,
                    "created_at": r.created_at.isoformat(),
                    "size": r.size,
                    "updated_at": (r.updated_at or r.created_at).isoformat(),
                }
                for r in repos
            ]
        )
        return
    for repo in repos:
        visibility = "private" if repo.private else "public"
        line = f"{repo.type.value}\t{repo.id}\t{visibility}"
        click.echo(f"{line}\t{repo.description}" if repo.description else line)
