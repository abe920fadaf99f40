"""``weighthouse job list``."""

from __future__ import annotations

import click

from weighthouse.cli.commands.job._shared import describe
from weighthouse.cli.output import echo_records, json_option
from weighthouse.cli.remote import Remote, remote_command

STATUSES = click.Choice(["queued", "running", "succeeded", "failed", "cancelled"])


@click.command("list")
@click.option("--app", default=None, help="Only this app's jobs.")
@click.option("--status", type=STATUSES, default=None, help="Only jobs in this status.")
@click.option("--limit", type=click.IntRange(1, 1000), default=100, show_default=True)
@json_option
@remote_command
def command(app: str | None, status: str | None, limit: int, as_json: bool, remote: Remote) -> None:
    """Your jobs, newest first: id, app, status, and the error or the result commit."""
    jobs = remote.client.list_jobs(app=app, status=status, limit=limit)
    if as_json:
        echo_records(jobs)
        return
    for job in jobs:
        click.echo(describe(job))
