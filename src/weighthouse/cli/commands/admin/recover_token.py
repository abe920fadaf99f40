"""``weighthouse admin recover-token``: a new admin token, made on the server's own host."""

from __future__ import annotations

import getpass
import socket
from pathlib import Path

import click

from weighthouse.cli.local import open_server, server_settings, settings_options


@click.command("recover-token")
@click.argument("user", required=False)
@settings_options
def command(user: str | None, config_file: Path | None, data_dir: Path | None) -> None:
    """Issue a new admin-scoped token for the site admin USER (default: the configured admin,
    WEIGHTHOUSE_ADMIN__NAME) when every admin credential is lost.

    Runs on the server's host with the server's settings, straight on the catalog: no server
    or sign-in is needed. The token is printed once, alone on stdout; the audit log records
    it as token.recover. Existing tokens keep working: revoke lost ones once signed in.
    """
    settings = server_settings(config_file, data_dir)
    name = user or settings.admin.name
    container = open_server(settings)
    try:
        issued = container.tokens.recover_admin(name, operator=_operator())
    finally:
        container.close()
    click.echo(
        f"Issued admin token {issued.token.id} for {name}; it is shown only this once:", err=True
    )
    click.echo(issued.secret)


def _operator() -> str:
    """Who ran the command, where: the audit log's client column for this event."""
    try:
        who = getpass.getuser()
    except (KeyError, OSError):
        who = "unknown"
    return f"{who}@{socket.gethostname()} (recover-token)"
