"""``weighthouse admin token revoke``."""

from __future__ import annotations

import click

from weighthouse.cli.remote import Remote, remote_command


@click.command("revoke")
@click.argument("token_id", metavar="ID")
@remote_command
def command(token_id: str, remote: Remote) -> None:
    """Revoke the token ID at once; requests using it fail from now on."""
    remote.client.revoke_token(token_id)
    click.echo(f"Revoked token {token_id}.")
