"""``weighthouse admin user create``."""

from __future__ import annotations

import click

from weighthouse.cli.remote import Remote, remote_command


@click.command("create")
@click.argument("name")
@click.option("--admin", "is_admin", is_flag=True, help="Make the user a site admin.")
@remote_command
def command(name: str, is_admin: bool, remote: Remote) -> None:
    """Create the user NAME. Give them a token with 'admin token create --user NAME'."""
    user = remote.client.create_user(name, is_admin=is_admin)
    role = " (site admin)" if user.is_admin else ""
    click.echo(f"Created user {user.name}{role}, id {user.id}.")
