"""``weighthouse admin user list``."""

from __future__ import annotations

import click

from weighthouse.cli.remote import Remote, remote_command


@click.command("list")
@remote_command
def command(remote: Remote) -> None:
    """List users: name, role, id, creation time, and 'disabled' for disabled accounts."""
    for user in remote.client.list_users():
        role = "admin" if user.is_admin else "user"
        line = f"{user.name}\t{role}\t{user.id}\t{user.created_at:%Y-%m-%d %H:%M}"
        click.echo(f"{line}\tdisabled" if user.disabled else line)
