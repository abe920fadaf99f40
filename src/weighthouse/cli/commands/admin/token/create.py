"""``weighthouse admin token create``: the secret is printed once, alone on stdout."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import click

from weighthouse.cli.remote import Remote, remote_command


@click.command("create")
@click.option("--name", required=True, help="What the token is for, e.g. 'ci'.")
@click.option(
    "--scope",
    type=click.Choice(["read", "write", "admin"]),
    default="read",
    show_default=True,
    help="What the token may do; each scope includes the ones before it.",
)
@click.option("--user", default=None, help="Make it for this user (site admins only).")
@click.option(
    "--expires-in-days",
    type=click.IntRange(min=1),
    default=None,
    help="Expire after this many days (default: never).",
)
@remote_command
def command(
    name: str, scope: str, user: str | None, expires_in_days: int | None, remote: Remote
) -> None:
    """Create an API token. Its secret is shown only this once: copy it now."""
    expires_at = datetime.now(UTC) + timedelta(days=expires_in_days) if expires_in_days else None
    token = remote.client.create_token(name, scope=scope, user=user, expires_at=expires_at)
    expiry = f", expires {token.expires_at:%Y-%m-%d}" if token.expires_at else ""
    click.echo(f"Created token {token.id} ({token.scope}{expiry}). Its secret:", err=True)
    # The secret alone on stdout, so scripts can capture it with $(...).
    click.echo(token.secret)
