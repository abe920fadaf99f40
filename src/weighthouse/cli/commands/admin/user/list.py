"""``weighthouse admin user list``."""

from __future__ import annotations

import click

from weighthouse.cli.output import echo_records, json_option
from weighthouse.cli.remote import Remote, remote_command


@click.command("list")
@json_option
@remote_command
def command(as_json: bool, remote: Remote) -> None:
    """List users: name, role, id, creation time, and 'disabled' for disabled accounts."""
    users = remote.client.list_users()
    if as_json:
        echo_records(users)
        return
    for user in users:
        role = "admin" if user.is_admin else "user"
        line = f"{user.name}\t{role}\t{user.id}\t{user.created_at:%Y-%m-%d %H:%M}"
        click.echo(f"{line}\tdisabled" if user.disabled else line)
