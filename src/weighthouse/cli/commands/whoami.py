"""``weighthouse whoami``: who the server thinks you are."""

from __future__ import annotations

import click

from weighthouse.cli.remote import Remote, remote_command


@click.command("whoami")
@remote_command
def command(remote: Remote) -> None:
    """Show the user and scope of the token or session in use."""
    me = remote.client.whoami()
    if me.user is None:
        click.echo(f"anonymous at {remote.url}")
        return
    role = " (site admin)" if me.user.is_admin else ""
    click.echo(f"{me.user.name}{role}, scope {me.scope}, at {remote.url}")
