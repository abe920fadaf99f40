"""``weighthouse org create``."""

from __future__ import annotations

import click

from weighthouse.cli.remote import Remote, remote_command


@click.command("create")
@click.argument("name")
@click.option("--description", default="", help="One line about the organisation.")
@remote_command
def command(name: str, description: str, remote: Remote) -> None:
    """Create the organisation NAME, with you as its first admin.

    Its name is a namespace: create repos in it with 'weighthouse repo create NAME/REPO'.
    """
    remote.require_token("creating an organisation")
    org = remote.client.create_org(name, description=description)
    click.echo(f"Created organisation {org.name}; you are its admin.")
