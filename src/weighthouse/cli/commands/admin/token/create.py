"""``weighthouse admin token create``: the secret is printed once, alone on stdout."""

from __future__ import annotations

import click

from weighthouse.cli.commands import token
from weighthouse.cli.remote import Remote, remote_command


@click.command("create")
@token.create_options
@click.option("--user", default=None, help="Make it for this user (site admins only).")
@remote_command
def command(
    name: str,
    scope: str,
    expires_in_days: int | None,
    restrict_to: tuple[str, ...],
    user: str | None,
    remote: Remote,
) -> None:
    """Create an API token, for yourself or (site admins) for --user. Its secret is shown
    only this once: copy it now."""
    token.create_token(
        remote,
        name=name,
        scope=scope,
        expires_in_days=expires_in_days,
        restrict_to=restrict_to,
        user=user,
    )
