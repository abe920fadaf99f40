"""``weighthouse token list``."""

from __future__ import annotations

import click

from weighthouse.cli.commands import token
from weighthouse.cli.remote import Remote, remote_command


@click.command("list")
@remote_command
def command(remote: Remote) -> None:
    """List your API tokens.

    Tab-separated: id, name, scope, state (active, expired, revoked), expiry, last use and
    restrictions. Secrets are never shown again.
    """
    token.show_tokens(remote)
