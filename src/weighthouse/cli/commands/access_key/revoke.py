"""``weighthouse access-key revoke``."""

from __future__ import annotations

import click

from weighthouse.cli.remote import Remote, remote_command


@click.command("revoke")
@click.argument("key_id", metavar="ID")
@remote_command
def command(key_id: str, remote: Remote) -> None:
    """Revoke the access key ID at once; requests signed with it fail from now on."""
    remote.require_token("revoking an access key")
    remote.client.revoke_access_key(key_id)
    click.echo(f"Revoked access key {key_id}.")
