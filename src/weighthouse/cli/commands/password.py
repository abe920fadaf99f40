"""``weighthouse password``: change your own password."""

from __future__ import annotations

import click

from weighthouse.cli.remote import Remote, remote_command, stdin_lines


@click.command("password")
@click.option(
    "--password-stdin",
    is_flag=True,
    help="Read two lines from standard input: the current password (empty if you have none) "
    "and the new one.",
)
@remote_command
def command(password_stdin: bool, remote: Remote) -> None:
    """Change your password; you are asked for the current one and the new one twice.

    An account made without a password (such as the first admin) leaves the current one
    empty. Needs a session or a write token.
    """
    remote.require_token("changing your password")
    if password_stdin:
        current, new = stdin_lines(2, "the current and the new password")
    else:
        current = click.prompt(
            "Current password (empty if none)", hide_input=True, default="", show_default=False
        )
        new = click.prompt("New password", hide_input=True, confirmation_prompt=True)
    if not new:
        raise click.UsageError("the new password is empty")
    remote.client.change_password(current or None, new)
    click.echo("Password changed.")
