"""``weighthouse admin user create``."""

from __future__ import annotations

import click

from weighthouse.cli.remote import Remote, read_password, remote_command


@click.command("create")
@click.argument("name")
@click.option("--admin", "is_admin", is_flag=True, help="Make the user a site admin.")
@click.option(
    "--password",
    "ask_password",
    is_flag=True,
    help="Give the user a password, asked for twice (default: none, tokens only).",
)
@click.option(
    "--password-stdin",
    is_flag=True,
    help="Give the user a password read from standard input (one line).",
)
@remote_command
def command(
    name: str, is_admin: bool, ask_password: bool, password_stdin: bool, remote: Remote
) -> None:
    """Create the user NAME.

    Without a password they sign in with tokens only: give them one with
    'admin token create --user NAME'. With a password they can 'weighthouse login --user'.
    """
    password = None
    if ask_password or password_stdin:
        password = read_password(password_stdin, prompt=f"Password for {name}", confirm=True)
    user = remote.client.create_user(name, is_admin=is_admin, password=password)
    role = " (site admin)" if user.is_admin else ""
    click.echo(f"Created user {user.name}{role}, id {user.id}.")
