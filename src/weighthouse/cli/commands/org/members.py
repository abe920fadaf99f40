"""``weighthouse org members``."""

from __future__ import annotations

import click

from weighthouse.cli.output import echo_records, json_option
from weighthouse.cli.remote import Remote, remote_command


@click.command("members")
@click.argument("org")
@json_option
@remote_command
def command(org: str, as_json: bool, remote: Remote) -> None:
    """List the members of ORG: user, role and since when, tab-separated.

    Visible to its members and to site admins.
    """
    members = remote.client.org_members(org)
    if as_json:
        echo_records(members)
        return
    for member in members:
        click.echo(f"{member.user}\t{member.role}\t{member.since:%Y-%m-%d %H:%M}")
