"""``weighthouse repo create``."""

from __future__ import annotations

import click

from weighthouse.cli.remote import Remote, RepoAddressType, remote_command
from weighthouse.client import RepoAddress


@click.command("create")
@click.argument("repo", metavar="[NAMESPACE/]NAME", type=RepoAddressType(allow_revision=False))
@click.option(
    "--type",
    "repo_type",
    type=click.Choice(["model", "dataset", "bucket"]),
    default="model",
    show_default=True,
)
@click.option(
    "--private/--public",
    default=None,
    help="Private: only its namespace, collaborators and admins see it. Public: anyone may "
    "read it. Default: the server's setting (private unless changed).",
)
@click.option("--description", default="", help="One line about what it holds.")
@remote_command
def command(
    repo: RepoAddress, repo_type: str, private: bool | None, description: str, remote: Remote
) -> None:
    """Create a repo; the namespace defaults to your user name."""
    created = remote.client.create_repo(
        repo.name,
        namespace=repo.namespace,
        repo_type=repo_type,
        private=private,
        description=description,
    )
    visibility = "private" if created.private else "public"
    click.echo(f"Created {visibility} {created.type.value} {created.id}.")
