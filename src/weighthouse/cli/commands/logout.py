"""``weighthouse logout``: forget the stored server and token."""

from __future__ import annotations

import click

from weighthouse.cli import credentials


@click.command("logout")
def command() -> None:
    """Forget the stored server URL and token.

    The token stays valid on the server; revoke it with 'weighthouse admin token revoke'.
    """
    if credentials.clear():
        click.echo("Logged out.")
    else:
        click.echo("Not logged in.")
