"""``weighthouse admin user disable``."""

from __future__ import annotations

import click

from weighthouse.cli.commands.admin import user
from weighthouse.cli.remote import Remote, remote_command


@click.command("disable")
@click.argument("name")
@remote_command
def command(name: str, remote: Remote) -> None:
    """Disable the account NAME: its tokens and sessions stop working at once, and it cannot
    sign in. Nothing is deleted; 'admin user enable' undoes it."""
    user.set_disabled(remote, name, True)
