"""``weighthouse admin user list``."""

from __future__ import annotations

import click

from weighthouse.cli.remote import Remote, remote_command


@click.command("list")
@remote_command
def command(remote: Remote) -> None:
    """List users: name, role, id and creation time."""
    for user in remote.client.list_users():
        role = "admin" if user.is_admin else "user"
        click.echo(f"{user.name}\t{role}\t{user.id}\t{user.created_at:%Y-%m-%d %H:%M}")
