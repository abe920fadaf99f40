"""``weighthouse login``: check a token against a server and remember both."""

from __future__ import annotations

import click

from weighthouse.cli import credentials
from weighthouse.cli.failures import CommandError
from weighthouse.cli.remote import describe
from weighthouse.client import ClientError, WeighthouseClient


@click.command("login")
@click.option("--url", envvar="WEIGHTHOUSE_URL", required=True, help="Server URL.")
@click.option(
    "--token",
    envvar="WEIGHTHOUSE_TOKEN",
    prompt=True,
    hide_input=True,
    help="API token (asked for when left out).",
)
def command(url: str, token: str) -> None:
    """Check a token and remember it with the server URL.

    Later commands use both unless --url/--token or WEIGHTHOUSE_URL/WEIGHTHOUSE_TOKEN say
    otherwise. The file is readable by you only.
    """
    url = url.rstrip("/")
    try:
        with WeighthouseClient(url, token.strip()) as client:
            me = client.whoami()
    except ClientError as exc:
        raise CommandError(describe(exc)) from exc
    if me.user is None:
        raise CommandError(f"unauthenticated: {url} did not accept the token")
    path = credentials.save(credentials.Credentials(url, token.strip()))
    role = " (site admin)" if me.user.is_admin else ""
    click.echo(f"Logged in to {url} as {me.user.name}{role}, token scope {me.scope}.")
    click.echo(f"Credentials saved to {path}", err=True)
