"""``weighthouse token create``: the secret is printed once, alone on stdout."""

from __future__ import annotations

import click

from weighthouse.cli.commands import token
from weighthouse.cli.remote import Remote, remote_command


@click.command("create")
@token.create_options
@remote_command
def command(
    name: str,
    scope: str,
    expires_in_days: int | None,
    restrict_to: tuple[str, ...],
    remote: Remote,
) -> None:
    """Create an API token for yourself. Its secret is shown only this once: copy it now.

    A token can be no broader than the credential that makes it: no wider scope, and, from
    a restricted token, only narrower restrictions.
    """
    token.create_token(
        remote,
        name=name,
        scope=scope,
        expires_in_days=expires_in_days,
        restrict_to=restrict_to,
    )
