"""``weighthouse access-key create``: the secret is printed once, alone on stdout."""

from __future__ import annotations

import click

from weighthouse.cli.commands.access_key import buckets_option
from weighthouse.cli.commands.token import expiry
from weighthouse.cli.remote import Remote, remote_command


@click.command("create")
@click.option("--name", required=True, help="What the key is for, e.g. 'training-job'.")
@click.option(
    "--scope",
    type=click.Choice(["read", "write"]),
    default="read",
    show_default=True,
    help="What the key may do; write includes read.",
)
@click.option(
    "--expires-in-days",
    type=click.IntRange(min=1),
    default=None,
    help="Expire after this many days (default: never).",
)
@click.option(
    "--bucket",
    "buckets",
    multiple=True,
    callback=buckets_option,
    metavar="NS|NS/NAME",
    help="Only reach this namespace or bucket; repeat for more (default: all you can reach).",
)
@click.option("--user", default=None, help="Make it for this user (site admins only).")
@remote_command
def command(
    name: str,
    scope: str,
    expires_in_days: int | None,
    buckets: tuple[str, ...],
    user: str | None,
    remote: Remote,
) -> None:
    """Create an S3 access key. Its secret is shown only this once: copy it now.

    Prints the access key id on stderr and the secret alone on stdout, so scripts can capture
    it with $(...).
    """
    remote.require_token("creating an access key")
    key = remote.client.create_access_key(
        name, scope=scope, user=user, expires_at=expiry(expires_in_days), buckets=buckets
    )
    facts = [key.scope]
    if key.expires_at:
        facts.append(f"expires {key.expires_at:%Y-%m-%d}")
    if key.buckets:
        facts.append(f"only {', '.join(key.buckets)}")
    click.echo(f"Access key id: {key.id} ({'; '.join(facts)}). Its secret:", err=True)
    click.echo(key.secret)
