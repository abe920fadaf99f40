"""``weighthouse job logs``."""

from __future__ import annotations

import click

from weighthouse.cli.remote import Remote, remote_command


@click.command("logs")
@click.argument("job_id")
@remote_command
def command(job_id: str, remote: Remote) -> None:
    """Print a job's most recent log lines."""
    for line in remote.client.job_logs(job_id):
        click.echo(line)
