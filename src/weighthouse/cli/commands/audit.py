"""``weighthouse audit``: the security events of the server (site admins)."""

from __future__ import annotations

from collections.abc import Iterable

import click

from weighthouse.cli.output import echo_records, json_option
from weighthouse.cli.remote import Remote, remote_command, table
from weighthouse.client import AuditEventInfo

HEADERS = ("ID", "TIME (UTC)", "ACTION", "ACTOR", "TARGET", "CLIENT", "RESULT", "DETAIL")


def audit_rows(events: Iterable[AuditEventInfo]) -> list[tuple[str, ...]]:
    """One row of ``HEADERS`` per event; the detail as ``key=value`` pairs."""
    return [
        (
            str(event.id),
            f"{event.at:%Y-%m-%d %H:%M:%S}",
            event.action,
            event.actor or "-",
            event.target or "-",
            event.client or "-",
            "ok" if event.success else "FAILED",
            " ".join(f"{k}={v}" for k, v in sorted(event.detail.items())) or "-",
        )
        for event in events
    ]


@click.command("audit")
@click.option("--actor", default=None, help="Only what this user did.")
@click.option("--action", default=None, help="Only this action, e.g. user.signin.")
@click.option(
    "-n",
    "--max-count",
    type=click.IntRange(1, 1000),
    default=50,
    show_default=True,
    help="Show at most N events.",
)
@click.option(
    "--before", type=click.IntRange(min=1), default=None, help="Only events older than ID."
)
@json_option
@remote_command
def command(
    actor: str | None,
    action: str | None,
    max_count: int,
    before: int | None,
    as_json: bool,
    remote: Remote,
) -> None:
    """Show the audit log, newest first (site admins).

    Sign-ins and their failures, sign-ups, password changes, tokens made and revoked, users
    disabled, members and collaborators changed. Page back with --before set to the
    smallest ID shown.
    """
    remote.require_token("reading the audit log")
    events = remote.client.audit(before=before, limit=max_count, actor=actor, action=action)
    if as_json:
        echo_records(events)
        return
    if not events:
        click.echo("No events.", err=True)
        return
    for line in table(HEADERS, audit_rows(events)):
        click.echo(line)
