"""``weighthouse job status``."""

from __future__ import annotations

import click

from weighthouse.cli.commands.job._shared import describe
from weighthouse.cli.output import echo_json, json_option, record
from weighthouse.cli.remote import Remote, remote_command


@click.command("status")
@click.argument("job_id")
@json_option
@remote_command
def command(job_id: str, as_json: bool, remote: Remote) -> None:
    """Show a job: id, app, status, then its error or its result commit, and its progress."""
    job = remote.client.get_job(job_id)
    if as_json:
        echo_json(record(job))
        return
    click.echo(describe(job))
    for progress in job.progress:
        click.echo(f"  {progress.context or job.app}: {progress.current}/{progress.total}")
