"""``weighthouse token list``."""

from __future__ import annotations

import click

from weighthouse.cli.commands import token
from weighthouse.cli.output import json_option
from weighthouse.cli.remote import Remote, remote_command


@click.command("list")
@json_option
@remote_command
def command(as_json: bool, remote: Remote) -> None:
    """List your API tokens.

    Tab-separated: id, name, scope, state (active, expired, revoked), expiry, last use and
    restrictions. Secrets are never shown again.
    """
    token.show_tokens(remote, as_json=as_json)
