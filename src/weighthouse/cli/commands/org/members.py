"""``weighthouse org members``."""

from __future__ import annotations

import click

from weighthouse.cli.remote import Remote, remote_command


@click.command("members")
@click.argument("org")
@remote_command
def command(org: str, remote: Remote) -> None:
    """List the members of ORG: user, role and since when, tab-separated.

    Visible to its members and to site admins.
    """
    for member in remote.client.org_members(org):
        click.echo(f"{member.user}\t{member.role}\t{member.since:%Y-%m-%d %H:%M}")
