"""``weighthouse admin token list``."""

from __future__ import annotations

from datetime import datetime

import click

from weighthouse.cli.remote import Remote, remote_command


def _when(moment: datetime | None) -> str:
    return f"{moment:%Y-%m-%d}" if moment else "-"


@click.command("list")
@remote_command
def command(remote: Remote) -> None:
    """List API tokens.

    Yours, or everyone's for a site admin: id, name, scope, state, expiry, last use. Secrets
    are never shown again.
    """
    for token in remote.client.list_tokens():
        state = "revoked" if token.revoked_at else "active"
        click.echo(
            f"{token.id}\t{token.name}\t{token.scope}\t{state}\t"
            f"expires {_when(token.expires_at)}\tused {_when(token.last_used_at)}"
        )
