"""``weighthouse access-key list``."""

from __future__ import annotations

from datetime import UTC, datetime

import click

from weighthouse.cli.commands.access_key import key_line
from weighthouse.cli.output import echo_json, json_option, record
from weighthouse.cli.remote import Remote, remote_command


@click.command("list")
@click.option("--user", default=None, help="List this user's keys (site admins only).")
@json_option
@remote_command
def command(user: str | None, as_json: bool, remote: Remote) -> None:
    """List your S3 access keys.

    Tab-separated: id, name, scope, state (active, expired, revoked), expiry, last use and
    bucket restrictions. Secrets are never shown again.
    """
    remote.require_token("listing access keys")
    now = datetime.now(UTC)
    keys = remote.client.list_access_keys(user)
    if as_json:
        echo_json([record(k, state=k.state(now)) for k in keys])
        return
    for key in keys:
        click.echo(key_line(key, now))
