"""``weighthouse org add``."""

from __future__ import annotations

import click

from weighthouse.cli.remote import ROLES, Remote, remote_command


@click.command("add")
@click.argument("org")
@click.argument("user")
@click.option("--role", type=ROLES, required=True, help="What USER may do in ORG's repos.")
@remote_command
def command(org: str, user: str, role: str, remote: Remote) -> None:
    """Add USER to ORG with --role, or change their role (organisation admins).

    read: see its private repos; write: also push; admin: also manage members and repos.
    """
    remote.require_token("managing members")
    member = remote.client.set_org_member(org, user, role)
    click.echo(f"{member.user} is now {member.role} in {org}.")
