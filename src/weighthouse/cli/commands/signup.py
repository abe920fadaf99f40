"""``weighthouse signup``: create an account with a password."""

from __future__ import annotations

import click

from weighthouse.cli.failures import CommandError
from weighthouse.cli.remote import describe, password_stdin_option, read_password, server_url
from weighthouse.client import ClientError, WeighthouseClient


@click.command("signup")
@click.option("--url", envvar="WEIGHTHOUSE_URL", default=None, help="Server URL.")
@click.option("--user", "name", required=True, help="The user name to take.")
@password_stdin_option
def command(url: str | None, name: str, password_stdin: bool) -> None:
    """Create an account on a server that allows sign-up.

    The password is asked for twice, or read from one line of stdin with --password-stdin.
    Sign in afterwards with 'weighthouse login --user NAME'.
    """
    url = server_url(url)
    password = read_password(password_stdin, prompt="Choose a password", confirm=True)
    try:
        with WeighthouseClient(url) as client:
            user = client.sign_up(name, password)
    except ClientError as exc:
        raise CommandError(describe(exc)) from exc
    click.echo(f"Created the account {user.name} on {url}.")
    click.echo(f"Sign in with:  weighthouse login --url {url} --user {user.name}", err=True)
