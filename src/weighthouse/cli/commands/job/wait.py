"""``weighthouse job wait``."""

from __future__ import annotations

import click

from weighthouse.cli.commands.job._shared import follow
from weighthouse.cli.remote import Remote, progress_option, remote_command


@click.command("wait")
@click.argument("job_id")
@click.option("--timeout", type=float, default=None, help="Give up after this many seconds.")
@progress_option
@remote_command
def command(job_id: str, timeout: float | None, progress: bool | None, remote: Remote) -> None:
    """Follow a job with a live progress bar until it ends; exit 1 unless it succeeded."""
    follow(remote, job_id, progress, timeout)
