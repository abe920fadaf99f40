"""``weighthouse token revoke``."""

from __future__ import annotations

import click

from weighthouse.cli.commands import token
from weighthouse.cli.remote import Remote, remote_command


@click.command("revoke")
@click.argument("token_id", metavar="ID")
@remote_command
def command(token_id: str, remote: Remote) -> None:
    """Revoke your token ID at once; requests using it fail from now on."""
    token.revoke_token(remote, token_id)
