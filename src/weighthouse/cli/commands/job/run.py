"""``weighthouse job run``."""

from __future__ import annotations

import click

from weighthouse.cli.commands.job._shared import describe, follow, parse_param, parse_repo
from weighthouse.cli.remote import Remote, progress_option, remote_command


@click.command("run")
@click.argument("app")
@click.option(
    "--input",
    "inputs",
    multiple=True,
    metavar="NAME=[TYPE:]NAMESPACE/REPO[@REV]",
    help="An input the app declares, pinned to the revision's commit (default: main).",
)
@click.option("--param", "params", multiple=True, metavar="KEY=VALUE", help="A parameter (JSON).")
@click.option(
    "--results",
    metavar="[TYPE:]NAMESPACE/REPO[@BRANCH]",
    help="Where result files are committed, one commit per job (default branch: main).",
)
@click.option("--label", default="", help="Your own tag for the job.")
@click.option(
    "--wait", is_flag=True, help="Follow the job until it ends; exit 1 unless it succeeds."
)
@click.option(
    "--timeout", type=float, default=None, help="With --wait: give up after this many seconds."
)
@progress_option
@remote_command
def command(
    app: str,
    inputs: tuple[str, ...],
    params: tuple[str, ...],
    results: str | None,
    label: str,
    wait: bool,
    timeout: float | None,
    progress: bool | None,
    remote: Remote,
) -> None:
    """Queue a job of APP and print its id (with --wait, follow it to its end)."""
    remote.require_token("running a job")
    pinned = {}
    for value in inputs:
        name, sep, ref = value.partition("=")
        if not sep or not name:
            raise click.BadParameter(f"{value!r}: expected NAME=REPO", param_hint="--input")
        pinned[name] = parse_repo(ref)
    job = remote.client.submit_job(
        app,
        inputs=pinned,
        params=dict(parse_param(p) for p in params),
        results=parse_repo(results) if results else None,
        label=label,
    )
    if not wait:
        click.echo(job.id)
        return
    click.echo(describe(job), err=True)
    follow(remote, job.id, progress, timeout)
