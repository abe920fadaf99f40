"""``weighthouse admin token list``."""

from __future__ import annotations

import click

from weighthouse.cli.commands import token
from weighthouse.cli.output import json_option
from weighthouse.cli.remote import Remote, remote_command


@click.command("list")
@click.option("--user", default=None, help="List this user's tokens (site admins only).")
@json_option
@remote_command
def command(user: str | None, as_json: bool, remote: Remote) -> None:
    """List API tokens: yours, or --user's.

    Tab-separated: id, name, scope, state (active, expired, revoked), expiry, last use and
    restrictions. Secrets are never shown again.
    """
    token.show_tokens(remote, user=user, as_json=as_json)
