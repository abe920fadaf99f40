"""What the ``job`` commands share: parsing repo references, and printing a job."""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from weighthouse.cli.remote import Remote, progress_bars
from weighthouse.client.jobs import JobInfo
from weighthouse.client.progress import ProgressBar


def parse_repo(value: str, *, default_ref: str = "main") -> tuple[str, str, str]:
    """``[type:]namespace/name[@ref]`` as ``(repo, type, ref)``; the type is ``model`` unless
    given."""
    kind, _, rest = value.rpartition(":") if ":" in value else ("model", "", value)
    repo, _, ref = rest.partition("@")
    if kind not in ("model", "dataset", "bucket") or repo.count("/") != 1:
        raise click.BadParameter(f"{value!r}: expected [model:|dataset:]namespace/name[@ref]")
    return repo, kind, ref or default_ref


def parse_param(value: str) -> tuple[str, Any]:
    """``key=value``, the value read as JSON when it is JSON (``3``, ``true``, ``"x"``,
    ``[1]``), else taken as text."""
    key, sep, raw = value.partition("=")
    if not sep or not key:
        raise click.BadParameter(f"{value!r}: expected key=value")
    try:
        return key, json.loads(raw)
    except ValueError:
        return key, raw


def describe(job: JobInfo) -> str:
    line = f"{job.id}\t{job.app}\t{job.status}"
    if job.status in ("failed", "cancelled") and job.error:
        # Why it ended: the app's message, the time limit, or when the cancel came.
        line += f"\t{job.error}"
    elif job.result_commit:
        line += f"\t{job.results_repo}@{job.result_commit}"
    return line


def follow(remote: Remote, job_id: str, enabled: bool | None, timeout: float | None) -> JobInfo:
    """Wait for a job with a live bar per progress context on stderr; exit 1 unless it
    succeeded."""
    factory = progress_bars(enabled, unit="step")
    bars: dict[str, tuple[ProgressBar, int]] = {}

    def update(job: JobInfo) -> None:
        for progress in job.progress:
            bar, shown = bars.get(progress.context) or (
                factory(progress.context or job.app, progress.total),
                0,
            )
            if progress.current > shown:
                bar.update(progress.current - shown)
                shown = progress.current
            bars[progress.context] = (bar, shown)

    try:
        job = remote.client.wait_job(job_id, timeout=timeout, on_update=update)
    except TimeoutError as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        for bar, _ in bars.values():
            bar.close()
    click.echo(describe(job))
    if job.status != "succeeded":
        sys.exit(1)
    return job
