"""``weighthouse org list``."""

from __future__ import annotations

import click

from weighthouse.cli.output import echo_records, json_option
from weighthouse.cli.remote import Remote, remote_command


@click.command("list")
@click.option("--mine", is_flag=True, help="Only organisations you are a member of.")
@json_option
@remote_command
def command(mine: bool, as_json: bool, remote: Remote) -> None:
    """List organisations: name, creation date and description, tab-separated."""
    if mine:
        remote.require_token("listing your organisations")
    orgs = remote.client.list_orgs(mine=mine)
    if as_json:
        echo_records(orgs)
        return
    for org in orgs:
        line = f"{org.name}\t{org.created_at:%Y-%m-%d}"
        click.echo(f"{line}\t{org.description}" if org.description else line)
