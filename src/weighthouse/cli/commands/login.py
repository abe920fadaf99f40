"""``weighthouse login``: sign in with a password, or check a token, and remember the server
and the session or token."""

from __future__ import annotations

import click
from click.core import ParameterSource

from weighthouse.cli import credentials
from weighthouse.cli.failures import CommandError
from weighthouse.cli.remote import describe, password_stdin_option, read_password
from weighthouse.client import ClientError, WeighthouseClient


@click.command("login")
@click.option("--url", envvar="WEIGHTHOUSE_URL", required=True, help="Server URL.")
@click.option("--user", "name", default=None, help="Sign in as this user with a password.")
@password_stdin_option
@click.option(
    "--token",
    envvar="WEIGHTHOUSE_TOKEN",
    default=None,
    help="API token (asked for when neither it nor --user is given).",
)
@click.pass_context
def command(
    ctx: click.Context, url: str, name: str | None, password_stdin: bool, token: str | None
) -> None:
    """Sign in, or check a token, and remember it with the server URL.

    With --user, the password (asked for, or one line of stdin with --password-stdin) is
    exchanged for a session that 'weighthouse logout' ends. Otherwise the API token is
    checked and stored as it is.

    Later commands use the server and credential unless --url/--token or
    WEIGHTHOUSE_URL/WEIGHTHOUSE_TOKEN say otherwise. The file is readable by you only.
    """
    url = url.rstrip("/")
    if name is not None:
        if ctx.get_parameter_source("token") is ParameterSource.COMMANDLINE:
            raise click.UsageError("give --user (and a password) or --token, not both")
        _sign_in(url, name, read_password(password_stdin))
    else:
        if password_stdin:
            raise click.UsageError("--password-stdin needs --user")
        if token is None:
            token = click.prompt("Token", hide_input=True)
        _check_token(url, token.strip())


def _sign_in(url: str, name: str, password: str) -> None:
    try:
        with WeighthouseClient(url) as client:
            session = client.sign_in(name, password)
    except ClientError as exc:
        raise CommandError(describe(exc)) from exc
    path = credentials.save(credentials.Credentials(url, session.token))
    role = " (site admin)" if session.user.is_admin else ""
    click.echo(
        f"Logged in to {url} as {session.user.name}{role}, "
        f"session until {session.expires_at:%Y-%m-%d %H:%M} UTC."
    )
    click.echo(f"Credentials saved to {path}", err=True)


def _check_token(url: str, token: str) -> None:
    try:
        with WeighthouseClient(url, token) as client:
            me = client.whoami()
    except ClientError as exc:
        raise CommandError(describe(exc)) from exc
    if me.user is None:
        raise CommandError(f"unauthenticated: {url} did not accept the token")
    path = credentials.save(credentials.Credentials(url, token))
    role = " (site admin)" if me.user.is_admin else ""
    click.echo(f"Logged in to {url} as {me.user.name}{role}, token scope {me.scope}.")
    click.echo(f"Credentials saved to {path}", err=True)
