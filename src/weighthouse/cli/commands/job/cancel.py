"""``weighthouse job cancel``."""

from __future__ import annotations

import click

from weighthouse.cli.commands.job._shared import describe
from weighthouse.cli.remote import Remote, remote_command


@click.command("cancel")
@click.argument("job_id")
@remote_command
def command(job_id: str, remote: Remote) -> None:
    """Cancel a job: a queued one never starts, a running one stops."""
    click.echo(describe(remote.client.cancel_job(job_id)))
