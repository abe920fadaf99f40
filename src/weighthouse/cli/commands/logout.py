"""``weighthouse logout``: end the stored session and forget the server and credential."""

from __future__ import annotations

import click

from weighthouse.cli import credentials
from weighthouse.cli.remote import describe
from weighthouse.client import ClientError, WeighthouseClient


@click.command("logout")
def command() -> None:
    """Forget the stored server URL and credential.

    A session from 'login --user' is also ended on the server. An API token stays valid;
    revoke it with 'weighthouse token revoke ID'.
    """
    stored = credentials.load()
    if stored is not None and stored.is_session:
        try:
            with WeighthouseClient(stored.url, stored.token) as client:
                client.sign_out()
        except ClientError as exc:
            # Forget it anyway: an expired or already ended session needs no sign-out, and an
            # unreachable server must not keep the secret on disk.
            click.echo(
                f"warning: could not end the session on the server: {describe(exc)}", err=True
            )
        else:
            click.echo("Ended the session on the server.", err=True)
    elif stored is not None and stored.token:
        click.echo(
            "The API token stays valid; revoke it with 'weighthouse token revoke ID'.", err=True
        )
    if credentials.clear():
        click.echo("Logged out.")
    else:
        click.echo("Not logged in.")
