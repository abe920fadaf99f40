"""``weighthouse org remove``."""

from __future__ import annotations

import click

from weighthouse.cli.remote import Remote, remote_command


@click.command("remove")
@click.argument("org")
@click.argument("user")
@remote_command
def command(org: str, user: str, remote: Remote) -> None:
    """Remove USER from ORG (organisation admins; anyone may remove themselves).

    Their access ends with their next request. The last admin cannot leave.
    """
    remote.require_token("managing members")
    remote.client.remove_org_member(org, user)
    click.echo(f"Removed {user} from {org}.")
