"""``weighthouse admin user enable``."""

from __future__ import annotations

import click

from weighthouse.cli.commands.admin import user
from weighthouse.cli.remote import Remote, remote_command


@click.command("enable")
@click.argument("name")
@remote_command
def command(name: str, remote: Remote) -> None:
    """Enable the disabled account NAME again: it can sign in, and its tokens and sessions
    that have not expired or been revoked work again."""
    user.set_disabled(remote, name, False)
